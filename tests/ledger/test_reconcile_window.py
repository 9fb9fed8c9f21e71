"""The reconciler's shortcuts at scale keep their promises: a --since/--until run reads only
its window and leaves findings outside it alone; recordings unchanged since they were
stored are not hashed again, changed ones are (real files, both backends)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from domain.calls import CallRecord
from domain.recording import RecordingInfo
from ledger import calls
from ledger.db import open_database
from ledger.models import Finding
from ledger.reconcile import Rules, run
from recordings.archive import sha256_file

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(db_url):
    return open_database(db_url)


def _call(s, uuid, start, rings=2, rec: RecordingInfo | None = None) -> int:
    answered = start + timedelta(seconds=5)
    return calls.record_call(s, CallRecord(
        uuid=uuid, sip_call_id=uuid, caller="138", callee="fd", invited_at=start,
        answered_at=answered, ended_at=answered + timedelta(seconds=30), rings=rings,
        answered_by="agent", outcome="answered", recording=rec)).id  # fmt: skip


def test_a_window_reads_only_its_calls_and_leaves_other_findings_alone(db):
    with db() as s:
        days = [_call(s, f"d{d}", T0 + timedelta(days=d), rings=5) for d in range(5)]
        full = run(s, now=T0 + timedelta(days=6), rules=Rules(content=False))
        assert full.calls == 5 and full.open_by_kind["SLOW_ANSWER"] == 5
        s.commit()
        c = s.get(calls.Call, days[0])
        c.rings = 2  # day 0 fixed: only a run covering day 0 may resolve its finding
        day3 = T0.replace(hour=0) + timedelta(days=3)
        one = run(s, now=T0 + timedelta(days=6), since=day3, until=day3 + timedelta(days=1),
                  rules=Rules(content=False))  # fmt: skip
        assert one.calls == 1 and one.resolved == 0 and one.new == 0
        status = {f.call_id: f.status for f in s.query(Finding).filter_by(kind="SLOW_ANSWER")}
        assert status[days[0]] == "open"
        run(s, now=T0 + timedelta(days=6), since=T0.replace(hour=0),
            until=T0.replace(hour=0) + timedelta(days=1), rules=Rules(content=False))  # fmt: skip
        s.expire_all()
        status = {f.call_id: f.status for f in s.query(Finding).filter_by(kind="SLOW_ANSWER")}
        assert status[days[0]] == "resolved" and status[days[3]] == "open"


def test_unchanged_recordings_are_not_hashed_again_but_changed_ones_are(db, tmp_path):
    root = tmp_path / "rec"
    (root / "a").mkdir(parents=True)
    files = {}
    for name in ("kept", "edited"):
        p = root / "a" / f"{name}.wav"
        p.write_bytes(b"RIFF" + bytes(range(200)))
        files[name] = p
    past = time.time() - 120
    for p in files.values():
        os.utime(p, (past, past))  # recorded, then stored a minute later
    with db() as s:
        ids = {}
        for name, p in files.items():
            sha = "0" * 64 if name == "kept" else sha256_file(p)  # "kept": stale hash on purpose
            info = RecordingInfo(f"a/{name}.wav", sha, p.stat().st_size, 30.0, 2, 8000)
            ids[name] = _call(s, name, T0, rec=info)
            s.get(calls.Call, ids[name]).created_at = datetime.now(UTC) - timedelta(seconds=60)
        s.commit()
        # same size, new bytes, written after the row was stored
        files["edited"].write_bytes(b"RIFX" + bytes(range(200)))
        found = run(
            s, now=T0 + timedelta(hours=1), rules=Rules(content=False, recordings_root=root)
        )
        tampered = {f.call_id for f in s.query(Finding).filter_by(kind="RECORDING_TAMPERED")}
        assert tampered == {ids["edited"]} and found.open_by_kind["RECORDING_TAMPERED"] == 1
        # a full audit hashes every file, whatever its mtime says
        run(s, now=T0 + timedelta(hours=1),
            rules=Rules(content=False, recordings_root=root, verify_hashes=True))  # fmt: skip
        tampered = {f.call_id for f in s.query(Finding).filter_by(kind="RECORDING_TAMPERED")}
        assert tampered == {ids["edited"], ids["kept"]}
