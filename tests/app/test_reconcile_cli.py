"""`frontdesk reconcile --verify-all`: a deep audit that hashes every recording, so a file
edited with its size and modification time kept is still flagged RECORDING_TAMPERED."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import numpy as np
import soundfile as sf

from tests.conftest import frontdesk, frontdesk_json


def _stored_call(data_dir) -> str:
    from domain.calls import CallRecord
    from frontdesk.config import load_config
    from ledger import calls
    from ledger.db import open_database
    from recordings.archive import Archive

    cfg = load_config(data_dir)
    archive = Archive(cfg.recordings_dir)
    t0 = datetime.now(UTC) - timedelta(hours=1)
    dest = archive.final_path("deep-audit", t0)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tone = (np.sin(np.arange(16000) / 3) * 8000).astype(np.int16)
    sf.write(str(dest), np.stack([tone, tone], axis=1), 8000, subtype="PCM_16")
    rec = CallRecord(uuid="deep-audit", sip_call_id="deep-audit", caller="13900000000",
                     callee="8001", invited_at=t0, answered_at=t0 + timedelta(seconds=3),
                     ended_at=t0 + timedelta(seconds=5), rings=1, answered_by="agent",
                     outcome="answered", recording=archive.describe(dest))  # fmt: skip
    with open_database(cfg.database_url)() as s:
        calls.record_call(s, rec)
        s.commit()
    return str(dest)


def _tampered(rows) -> list:
    return [f for f in rows if f["kind"] == "RECORDING_TAMPERED"]


def test_verify_all_catches_an_edit_that_kept_size_and_mtime(tmp_path):
    d = tmp_path / "var"
    path = _stored_call(d)
    st = os.stat(path)
    with open(path, "r+b") as fh:  # one sample changed, same size
        fh.seek(st.st_size - 2)
        fh.write(b"\x01\x02")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old mtime put back

    quick = frontdesk(d, "reconcile", "--format", "json", check=False)
    assert not _tampered(json.loads(quick.stdout))
    deep = frontdesk(d, "reconcile", "--verify-all", "--format", "json", check=False)
    assert deep.returncode == 1
    [finding] = _tampered(json.loads(deep.stdout))
    assert finding["status"] == "open"
    # the finding is kept: a later quick run lists it still
    assert _tampered(frontdesk_json(d, "reconcile", check=False))
