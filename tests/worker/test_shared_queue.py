"""Workers on two machines share one PostgreSQL queue and one recordings root: two real
`frontdesk worker` processes, each with its own data directory (its own PC, models and
spool, no recordings of its own), transcribe calls whose recordings lie under the shared
root. Every job is done exactly once (one claim each, one transcript, one draft), both
workers take part, and each reads the recording through the root. The "machines" share
this one host; what they share in a company (the database, the root) is real."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import soundfile as sf

from domain.calls import CallRecord
from ledger import calls, entries, jobs
from ledger.db import open_database
from ledger.models import Transcript
from recordings.archive import Archive
from tests.conftest import SPEECH
from tests.ledger.conftest import pg_server  # noqa: F401 (the private PostgreSQL server)

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
FIXTURES = ["burst_pipe_8k.wav", "lift_trapped_8k.wav", "fee_inquiry_8k.wav", "locked_out_8k.wav"]
N_CALLS = 8


def _desk(tmp_path, name, url, root, models_dir):
    d = tmp_path / name
    d.mkdir()
    (d / "models").symlink_to(models_dir)
    (d / "frontdesk.toml").write_text(
        f'[ledger]\ndatabase_url = "{url}"\n\n[recordings]\nroot = "{root}"\n'
        "\n[asr]\nrefine = false\n",  # the queue shared, not the second pass
        encoding="utf-8",
    )
    return d


def test_two_workers_on_one_postgres_take_each_job_once_through_the_shared_root(
    pg_server, tmp_path, models_dir  # noqa: F811
):
    url = pg_server.create_database(f"shared_queue_{os.getpid()}")
    root = tmp_path / "nas"
    archive = Archive(root)
    sessions = open_database(url)
    ids = []
    for i in range(N_CALLS):
        caller, rate = sf.read(str(SPEECH / FIXTURES[i % len(FIXTURES)]), dtype="int16")
        uuid = f"shared-{i}"
        t = T0 + timedelta(minutes=i)
        dest = archive.final_path(uuid, t)
        dest.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(dest), np.stack([caller, np.zeros_like(caller)], axis=1), rate,
                 subtype="PCM_16")  # fmt: skip
        rec = CallRecord(uuid=uuid, sip_call_id=uuid, caller=f"1380013800{i}", callee="8001",
                         invited_at=t, answered_at=t, ended_at=t, outcome="answered", rings=1,
                         recording=archive.describe(dest))  # fmt: skip
        with sessions() as s:
            call = calls.record_call(s, rec)
            assert not os.path.isabs(call.recording_path)
            jobs.enqueue(s, "transcribe", call.id)
            s.commit()
            ids.append(call.id)

    desks = [_desk(tmp_path, f"desk{n}", url, root, models_dir) for n in (1, 2)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(d), "worker", "--no-follow",
             "--poll", "0.2"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        for d in desks
    ]
    try:
        deadline = time.monotonic() + 600
        while True:
            with sessions() as s:
                done = [j.status for c in ids for j in jobs.jobs_for_call(s, c)]
            if done.count("done") == N_CALLS or time.monotonic() > deadline:
                break
            assert all(p.poll() is None for p in procs), "a worker died"
            time.sleep(1)
    finally:
        for p in procs:
            p.terminate()
        logs = [p.communicate(timeout=30)[0] for p in procs]
    with sessions() as s:
        all_jobs = [j for c in ids for j in jobs.jobs_for_call(s, c)]
        assert [(j.status, j.attempts) for j in all_jobs] == [("done", 1)] * N_CALLS, logs
        assert s.query(Transcript).count() == N_CALLS
        drafts = entries.list_entries(s)
        assert sorted(e.call_id for e in drafts) == sorted(ids)
    done_by = [re.findall(r"job \d+: call (\d+) transcribed", log) for log in logs]
    assert sorted(int(c) for got in done_by for c in got) == sorted(ids), logs
    assert all(done_by), f"both workers take part: {[len(d) for d in done_by]}"
    assert not any((d / "recordings").exists() for d in desks)  # read through the root
