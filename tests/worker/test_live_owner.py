"""Several workers, one follower per live call: two real `frontdesk worker` processes and a
call recording growing in `.partial/` as the phone writes it (the two-party fixture, at
twice real time). Exactly one worker follows the call; when it is killed (-9) the other
takes the call over and carries on from what the first had done."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import soundfile as sf

from tests.asr.growing import GrowingCall, stereo_call
from tests.conftest import SPEECH
from voice.asr.live import load_live


def _worker(data_dir):
    p = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir), "worker", "--poll", "0.2"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    lines: list[tuple[float, str]] = []
    threading.Thread(
        target=lambda: [lines.append((time.monotonic(), ln)) for ln in p.stderr], daemon=True
    ).start()
    return p, lines


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what()
        time.sleep(0.1)


def test_one_worker_follows_a_live_call_and_another_takes_over_when_it_dies(data_dir):
    partial = data_dir / "recordings" / ".partial"
    partial.mkdir(parents=True)
    data, rate = sf.read(str(SPEECH / "call_two_party.wav"), dtype="int16", always_2d=True)
    workers = [_worker(data_dir) for _ in range(2)]
    uid = "c0ffee00-0000-4000-8000-000000000001"
    call = GrowingCall(partial.parent, uid, stereo_call(data[: 30 * rate]), rate, speed=2.0)

    def logs():
        return "\n".join(f"[{i}] {ln}" for i, (_, lines) in enumerate(workers) for _, ln in lines)

    def following(i):
        return [t for t, ln in workers[i][1] if uid in ln and ("following" in ln or "taking over" in ln)]  # fmt: skip

    try:
        call.start()
        _wait(lambda: following(0) or following(1), 20, logs)
        owner = 0 if following(0) else 1
        other = 1 - owner
        # the owner transcribes the greeting; the other worker only sees the lock
        _wait(lambda: load_live(partial, uid).segments, 20, logs)
        time.sleep(0.5)
        assert not following(other), logs()
        assert (partial / f"{uid}.lock").exists()
        done_before = len(load_live(partial, uid).segments)
        killed_at = time.monotonic()
        workers[owner][0].send_signal(signal.SIGKILL)
        workers[owner][0].wait(timeout=10)
        _wait(lambda: following(other), 10, logs)
        assert following(other)[0] > killed_at
        assert re.search(rf"{uid}: taking over a live call \(\d+ utterances already done\)", logs())
        call.join(timeout=30)
        # the phone finalizes the call: its folder goes; the follower hands its result over
        _wait(lambda: len(load_live(partial, uid).segments) > done_before, 15, logs)
        time.sleep(1.0)
        import shutil

        shutil.rmtree(partial / uid)
        _wait(lambda: not (partial / f"{uid}.lock").exists(), 10, logs)
    finally:
        call.stop_early.set()
        for p, _ in workers:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=20)
    live = load_live(partial, uid)
    starts = [(s.speaker, round(s.start, 1)) for s in live.segments]
    assert len(starts) == len(set(starts)), f"a segment was transcribed twice: {starts}"
    texts = {s.speaker: "".join(x.utterance.text for x in live.segments
                                 if x.speaker == s.speaker and x.utterance) for s in live.segments}  # fmt: skip
    assert "物业" in texts["agent"] and "四栋" in texts["caller"], texts


def test_the_worker_that_takes_the_job_reuses_what_the_follower_did(tmp_path, models_dir, caplog):
    """Worker A follows the live call; worker B (not following) takes the job at hangup and
    reuses A's utterances from the sidecar instead of transcribing them again."""
    import logging
    from datetime import UTC, datetime

    import numpy as np

    from domain.calls import CallRecord
    from frontdesk.config import AsrConfig
    from frontdesk.worker import AsrSettings, Worker
    from ledger import calls, entries, jobs
    from ledger.db import open_database
    from ledger.transcripts import load_transcript
    from recordings.archive import Archive

    sessions = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    root = tmp_path / "rec"
    asr = AsrSettings(model="whisper-base", models_dir=models_dir,
                      initial_prompt=AsrConfig().initial_prompt)  # fmt: skip
    a = Worker(sessions, root, asr, worker_id="a", follow_live=True)
    speech, rate = sf.read(str(SPEECH / "burst_pipe_8k.wav"), dtype="int16")
    # then 6 s on the line: the caller's turn has ended (silent for longer than turn_gap_s)
    caller = np.concatenate([speech, np.zeros(6 * rate, np.int16)])
    uid = "c0ffee00-0000-4000-8000-000000000002"
    call = GrowingCall(root, uid, stereo_call(np.stack([caller, np.zeros_like(caller)], 1)), rate)
    call.open()
    while call.advance(0.5):
        a._follow_live_calls()
    call.close()
    [seg] = load_live(root / ".partial", uid).segments  # the caller's sentence, done live
    assert "水管" in seg.utterance.text

    t0 = datetime.now(UTC)
    info = Archive(root).finalize(uid, t0)
    a._follow_live_calls()  # A sees the call gone and lets it go
    with sessions() as s:
        c = calls.record_call(s, CallRecord(uuid=uid, sip_call_id=uid, caller="13800138000",
                                            callee="fd", invited_at=t0, answered_at=t0, ended_at=t0,
                                            outcome="answered", recording=info))  # fmt: skip
        jobs.enqueue(s, "transcribe", c.id)
        s.commit()
        cid = c.id
    b = Worker(sessions, root, asr, worker_id="b")
    b._engine = a.engine()  # the same model, loaded once for the test
    with caplog.at_level(logging.INFO, logger="frontdesk.asr"):
        assert b.run(once=True) == 1
    assert "1 segments transcribed while the call was live, reused" in caplog.text
    with sessions() as s:
        assert load_transcript(s, cid).utterances[0] == seg.utterance
        [e] = entries.list_entries(s)
        assert (e.category, e.address_code()) == ("报修", "4-2-301")
    assert not list((root / ".partial").iterdir()), "lock and sidecar are gone after the job"
