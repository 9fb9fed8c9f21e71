"""Every recording has its row, on SQLite and on a real PostgreSQL server: a long caller,
name or Call-ID does not lose the row, and a recording no row names is a finding."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from domain.calls import CallRecord
from domain.recording import RecordingInfo
from ledger import calls
from ledger.db import open_database
from ledger.models import Call, Finding
from ledger.reconcile import Rules, reconcile

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _rec(uuid: str, caller: str = "13800138000", **kw) -> CallRecord:
    return CallRecord(uuid=uuid, sip_call_id=kw.pop("sip_call_id", f"sip-{uuid}"), caller=caller,
                      callee="8001", invited_at=T0, answered_at=T0 + timedelta(seconds=3),
                      ended_at=T0 + timedelta(seconds=30), rings=1, answered_by="auto",
                      outcome="answered", **kw)  # fmt: skip


def test_a_caller_longer_than_its_column_keeps_the_row(db_url):
    db = open_database(db_url)
    long_from = "sip-" + "9" * 300
    with db() as s:
        calls.record_call(s, _rec("long", caller=long_from, caller_name="名" * 500,
                                  sip_call_id="x" * 1000 + "@pbx"))  # fmt: skip
        s.commit()
    with db() as s:
        [call] = s.query(Call).all()
        assert call.caller == long_from[:64] and len(call.caller_name) == 128
        assert len(call.sip_call_id) == 255
        assert "caller (304 chars)" in call.cause and "cut to fit" in call.cause


def test_a_recording_no_row_names_is_a_finding_until_one_does(db_url, tmp_path):
    db = open_database(db_url)
    root = tmp_path / "recordings"
    day = root / "2026" / "11" / "20"
    day.mkdir(parents=True)
    for name in ("named.wav", "stray.wav"):
        (day / name).write_bytes(b"RIFF")
        old = (T0 + timedelta(minutes=5)).timestamp()
        os.utime(day / name, (old, old))
    (day / "fresh.wav").write_bytes(b"RIFF")  # just renamed in: its row may be on its way
    info = RecordingInfo("2026/11/20/named.wav", "ab" * 32, 4, 30.0, 2, 8000)
    rules = Rules(recordings_root=root, verify_hashes=False)
    with db() as s:
        calls.record_call(s, _rec("named", recording=info))
        s.commit()
        now = T0 + timedelta(hours=1)
        for window in ({}, {"since": T0 - timedelta(hours=1), "until": T0 + timedelta(hours=1)}):
            found = [f for f in reconcile(s, now=now, rules=rules, **window)
                     if f.kind == "RECORDING_UNLOGGED" and f.status == "open"]  # fmt: skip
            assert [f.detail for f in found] == [
                "recording 2026/11/20/stray.wav is not named by any call row"
            ], window
            assert found[0].call_id is None and found[0].evidence["call_uuid"] == "stray"
        s.commit()
        # the phone's next start stores the call: the finding goes
        calls.record_call(s, _rec("stray", recording=RecordingInfo(
            "2026/11/20/stray.wav", "cd" * 32, 4, 30.0, 2, 8000)))  # fmt: skip
        s.commit()
        reconcile(s, now=now, rules=rules)
        s.commit()
        [f] = s.query(Finding).filter(Finding.kind == "RECORDING_UNLOGGED").all()
        assert f.status == "resolved"
