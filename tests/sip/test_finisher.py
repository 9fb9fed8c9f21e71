"""After the call, off the SIP loop: real archive files, a store that fails once. No SIP here
(tests/e2e/test_no_call_missing.py does the same through a real phone and database)."""

from __future__ import annotations

import wave
from datetime import UTC, datetime

import numpy as np

from domain.calls import CallRecord
from recordings.archive import CALLER, Archive
from voice.sip.finisher import Finisher

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _ringing_call(archive: Archive, call_uuid: str) -> CallRecord:
    archive.write_meta(call_uuid, {"sip_call_id": f"sip-{call_uuid}", "caller": "13800138000",
                                   "callee": "frontdesk", "invited_at": T0.isoformat()})  # fmt: skip
    with wave.open(str(archive.partial_dir(call_uuid) / CALLER), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.full(800, 100, np.int16).tobytes())
    return CallRecord(call_uuid, f"sip-{call_uuid}", "13800138000", "frontdesk", T0,
                      answered_by="auto", outcome="answered")  # fmt: skip


def test_calls_are_stored_in_order_and_one_the_store_refused_is_stored_at_the_next_start(
    tmp_path,
):
    archive = Archive(tmp_path)
    stored: list[CallRecord] = []

    def store_failing_on_b(rec: CallRecord) -> None:
        if rec.uuid == "b":
            raise RuntimeError("database is locked")
        stored.append(rec)

    f = Finisher(archive, store_failing_on_b)
    for u in ("a", "b", "c"):
        f.put(_ringing_call(archive, u), recorded=True)
    f.put(CallRecord("d", "sip-d", "13800138000", "frontdesk", T0, outcome="busy"), recorded=False)
    f.close()
    assert [r.uuid for r in stored] == ["a", "c", "d"]
    assert stored[0].recording is not None and stored[0].recording.channels == 2
    assert archive.pending() == ["b"]  # kept, with its finished record

    again: list[CallRecord] = []
    recovered = Finisher(archive, again.append)
    assert [r.uuid for r in recovered.recover()] == ["b"]
    recovered.close()
    assert [(r.uuid, r.outcome, r.answered_by) for r in again] == [("b", "answered", "auto")]
    assert again[0].recording is not None and archive.pending() == []


def test_a_call_cut_by_a_crash_is_stored_as_interrupted(tmp_path):
    archive = Archive(tmp_path)
    _ringing_call(archive, "x")  # meta.json and a channel file, no finished record
    stored: list[CallRecord] = []
    f = Finisher(archive, stored.append)
    f.recover()
    f.close()
    [rec] = stored
    assert (rec.outcome, rec.caller, rec.invited_at) == ("interrupted", "13800138000", T0)
    assert rec.recording is not None and archive.pending() == []
