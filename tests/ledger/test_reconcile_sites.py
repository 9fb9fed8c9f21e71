"""Findings carry their site, and a run limited to one site (`frontdesk reconcile --site`)
reads and settles only that site's findings (both backends)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from domain.calls import CallRecord
from domain.recording import RecordingInfo
from domain.sites import Site
from ledger import calls
from ledger.db import open_database
from ledger.models import Finding, LedgerEntry
from ledger.reconcile import Rules, finding_to_dict, run
from ledger.sites import ensure_site

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)


@pytest.fixture
def db(db_url):
    return open_database(db_url)


def _call(s, uuid: str, site: str, caller: str, rings: int = 2) -> int:
    answered = T0 + timedelta(seconds=5)
    rec = RecordingInfo(f"2026/11/01/{uuid}.wav", "ab" * 32, 1000, 30.0, 2, 8000)
    return calls.record_call(s, CallRecord(
        uuid=uuid, sip_call_id=uuid, caller=caller, callee="fd", invited_at=T0,
        answered_at=answered, ended_at=answered + timedelta(seconds=30), rings=rings,
        answered_by="agent", outcome="answered", recording=rec), site=site).id  # fmt: skip


def _open(s) -> dict[tuple[str, int | None, int | None], str]:
    s.expire_all()
    return {(f.kind, f.call_id, f.entry_id): f.site for f in s.query(Finding).filter_by(status="open")}


def test_findings_carry_their_site_and_a_site_run_touches_only_its_own(db):
    with db() as s:
        for site in (Site("sunny", "阳光花园"), Site("lake", "翠湖苑")):
            ensure_site(s, site)
        sunny = _call(s, "a", "sunny", "13800000001")
        lake = _call(s, "b", "lake", "13800000002", rings=6)
        # an entry of 翠湖苑 with no call behind it (the same number as 阳光花园's call:
        # it must not be matched across sites)
        s.add(LedgerEntry(source="来电", status="registered", caller_phone="13800000001",
                          summary="漏水", content="漏水", created_at=T0 + timedelta(minutes=2),
                          registered_at=T0 + timedelta(minutes=2), site="lake"))  # fmt: skip
        s.commit()
        only = run(s, now=NOW, rules=Rules(content=False, site="sunny"))
        assert only.calls == 1
        found = _open(s)
        assert found == {("UNLOGGED_CALL", sunny, None): "sunny"}
        s.commit()

        every = run(s, now=NOW, rules=Rules(content=False))
        assert every.calls == 2
        found = _open(s)
        assert found[("UNLOGGED_CALL", lake, None)] == "lake"
        assert found[("SLOW_ANSWER", lake, None)] == "lake"
        orphan = [k for k in found if k[0] == "ORPHAN_ENTRY"]
        assert orphan and found[orphan[0]] == "lake"  # an entry's finding: the entry's site
        s.commit()

        # 翠湖苑's call answered in time after all: a run of 阳光花园 must not settle it,
        # a run of 翠湖苑 does — and leaves 阳光花园's finding open
        s.get(calls.Call, lake).rings = 2
        s.commit()
        again = run(s, now=NOW, rules=Rules(content=False, site="sunny"))
        assert again.resolved == 0 and ("SLOW_ANSWER", lake, None) in _open(s)
        run(s, now=NOW, rules=Rules(content=False, site="lake"))
        found = _open(s)
        assert ("SLOW_ANSWER", lake, None) not in found
        assert ("UNLOGGED_CALL", sunny, None) in found
        f = s.query(Finding).filter_by(call_id=sunny).one()
        assert finding_to_dict(f)["site"] == "sunny"


def test_with_several_sites_a_recording_no_row_names_is_still_found(db, tmp_path):
    day = tmp_path / "2026" / "11" / "01"
    day.mkdir(parents=True)
    stray = day / "0b7f6c8e-0000-4000-8000-000000000000.wav"
    stray.write_bytes(b"RIFF")
    os.utime(stray, (T0.timestamp(), T0.timestamp()))
    with db() as s:
        for site in (Site("sunny", "阳光花园"), Site("lake", "翠湖苑")):
            ensure_site(s, site)
        s.commit()
        rules = Rules(content=False, recordings_root=tmp_path, verify_hashes=False)
        first = run(s, now=NOW, rules=rules)
        assert first.open_by_kind["RECORDING_UNLOGGED"] == 1
        s.commit()
        # a run of one site cannot say whose the file is: it leaves the finding alone
        one = run(s, now=NOW, rules=Rules(content=False, recordings_root=tmp_path, site="lake"))
        assert one.resolved == 0
        stray.unlink()
        assert run(s, now=NOW, rules=rules).resolved == 1


def test_two_runs_at_once_on_one_ledger_both_finish_with_one_set_of_findings(db_url, backend):
    """Two machines reconciling one PostgreSQL ledger at the same moment: the second waits
    for the first (an advisory lock) instead of failing on the findings' unique keys.
    (SQLite takes one writer at a time by itself; run there too, sequentially safe.)"""
    import threading

    db = open_database(db_url)
    with db() as s:
        for i in range(40):
            _call(s, f"c{i}", "default", f"1380000{i:04d}", rings=6)  # unlogged and slow
        s.commit()
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def one() -> None:
        try:
            with db() as s:
                start.wait()
                run(s, now=NOW, rules=Rules())
                s.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] if backend == "postgresql" else len(errors) <= 1
    with db() as s:
        keys = [f.key for f in s.query(Finding)]
    assert len(keys) == len(set(keys)) >= 80  # every call: unlogged + answered late
