"""The audit list's counts of findings per (site, kind, status), kept by triggers
(ledger/finding_counts.py), equal a direct count of the findings after every kind of change
— the reconciler's inserts, a supervisor's resolve, the reconciler's resolve and reopen on a
re-run, a call's deletion cascading to its findings — whether the marks are folded or not,
for a site and for the company (both backends)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from domain.calls import CallRecord
from domain.recording import RecordingInfo
from domain.sites import Site
from ledger import calls, finding_counts
from ledger.db import open_database
from ledger.models import Call, Finding, FindingCountMark, LedgerEntry
from ledger.reconcile import Rules, resolve, run
from ledger.sites import ensure_site

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)
SCOPES = (None, {"sunny"}, {"lake"}, {"sunny", "lake"}, set())


@pytest.fixture
def db(db_url):
    return open_database(db_url)


def _call(s, uuid: str, site: str, caller: str, rings: int = 2) -> int:
    answered = T0 + timedelta(seconds=5 * rings)
    rec = RecordingInfo(f"2026/11/01/{uuid}.wav", "ab" * 32, 1000, 30.0, 2, 8000)
    return calls.record_call(s, CallRecord(
        uuid=uuid, sip_call_id=uuid, caller=caller, callee="fd", invited_at=T0,
        answered_at=answered, ended_at=answered + timedelta(seconds=30), rings=rings,
        answered_by="agent", outcome="answered", recording=rec), site=site).id  # fmt: skip


def _direct(s, sites) -> Counter:
    q = select(Finding.kind, Finding.status, func.count()).group_by(Finding.kind, Finding.status)
    if sites is not None:
        q = q.where(Finding.site.in_(sorted(sites) or [""]))
    return Counter({(k, st): n for k, st, n in s.execute(q)})


def _check(s, fold: bool = False) -> None:
    """The kept counts equal the direct ones for every scope, before and after a fold."""
    conn = s.connection()
    for sites in SCOPES:
        kept, _ = finding_counts.counts(conn, sites)
        assert kept == _direct(s, sites), sites
    if fold:
        finding_counts.fold(conn)
        s.commit()
        assert s.scalar(select(func.count()).select_from(FindingCountMark)) == 0
        _check(s)


def test_counts_equal_a_direct_count_after_every_change(db):
    with db() as s:
        for site in (Site("sunny", "阳光花园"), Site("lake", "翠湖苑")):
            ensure_site(s, site)
        s.commit()
        _check(s)  # nothing yet
        sunny = _call(s, "a", "sunny", "13800000001")
        lake = _call(s, "b", "lake", "13800000002", rings=6)
        _call(s, "c", "lake", "13800000003", rings=5)
        s.add(LedgerEntry(source="来电", status="registered", caller_phone="13800000009",
                          summary="漏水", content="漏水", created_at=T0 + timedelta(minutes=2),
                          registered_at=T0 + timedelta(minutes=2), site="lake"))  # fmt: skip
        s.commit()

        # inserted by the reconciler (a bulk insert), counted before and after the fold
        run(s, now=NOW, rules=Rules(content=False))
        s.commit()
        opened = _direct(s, None)
        assert opened[("UNLOGGED_CALL", "open")] == 3 and opened[("SLOW_ANSWER", "open")] == 2
        assert opened[("ORPHAN_ENTRY", "open")] == 1
        _check(s)
        _check(s, fold=True)

        # a supervisor resolves one
        f = s.scalars(select(Finding).where(Finding.call_id == sunny)).one()
        resolve(s, f.id, "super1", "已补登记")
        s.commit()
        _check(s)

        # the reconciler resolves what it no longer finds, and reopens it when it returns
        s.get(Call, lake).rings = 2
        s.commit()
        run(s, now=NOW, rules=Rules(content=False, site="lake"))
        s.commit()
        slow = s.scalars(select(Finding).where(Finding.call_id == lake,
                                               Finding.kind == "SLOW_ANSWER")).one()  # fmt: skip
        assert slow.status == "resolved"
        _check(s, fold=True)
        s.get(Call, lake).rings = 6
        s.commit()
        run(s, now=NOW, rules=Rules(content=False, site="lake"))
        s.commit()
        s.refresh(slow)
        assert slow.status == "open"
        _check(s)

        # a re-run that changes nothing leaves nothing to fold, and the counts
        _check(s, fold=True)
        run(s, now=NOW, rules=Rules(content=False))
        s.commit()
        _check(s)

        # a call's deletion takes its findings with it (ON DELETE CASCADE)
        before = _direct(s, {"lake"})
        s.execute(delete(Call).where(Call.id == lake))
        s.commit()
        assert _direct(s, {"lake"}) != before
        _check(s, fold=True)


def test_an_uncommitted_change_is_counted_once_it_commits(db, backend):
    """A fold in another session while a writer's findings are uncommitted: the writer's
    marks are invisible to it, folded later; the counts are right at every step."""
    with db() as s:
        ensure_site(s, Site("sunny", "阳光花园"))
        _call(s, "a", "sunny", "13800000001", rings=6)
        s.commit()
        if backend == "sqlite":  # one writer at a time: the fold waits for the commit
            run(s, now=NOW, rules=Rules(content=False))
            s.commit()
            _check(s, fold=True)
            return
        run(s, now=NOW, rules=Rules(content=False))  # not committed yet
        with db() as other:
            assert finding_counts.counts(other.connection(), None)[0] == Counter()
            finding_counts.fold(other.connection())
            other.commit()
        s.commit()
        _check(s, fold=True)
        assert _direct(s, None)[("SLOW_ANSWER", "open")] == 1
