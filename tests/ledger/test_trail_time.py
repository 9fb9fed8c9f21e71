"""The audit trail records when a change was made; the callback time is a field — on
SQLite and a real PostgreSQL server."""

from __future__ import annotations

from datetime import timedelta

from ledger import calls, entries
from ledger.db import open_database
from ledger.models import LedgerEntry
from ledger.reconcile import Rules, reconcile
from ledger.types import utcnow
from tests.ledger.test_ledger import _call, _draft


def test_a_backdated_callback_keeps_the_trails_time_and_is_still_overdue(db_url):
    db = open_database(db_url)
    now = utcnow()
    returned = now - timedelta(hours=4)
    with db() as s:
        cid = calls.record_call(s, _call(start=returned - timedelta(hours=1))).id
        e = entries.create_draft(s, cid, _draft())
        entries.confirm(s, e.id, by="li", at=returned - timedelta(minutes=50))
        for to in ("dispatched", "returned"):
            entries.transition(s, e.id, to, by="li", at=returned)
        # written down now, claimed for an hour after the return (within the 2 hours)
        entries.transition(s, e.id, "called_back", by="li", at=returned + timedelta(hours=1),
                           result="satisfied")  # fmt: skip
        s.commit()
        entry = s.get(LedgerEntry, e.id)
        assert abs(entry.callback_at - (returned + timedelta(hours=1))) < timedelta(seconds=1)
        [change] = [c for c in entry.changes if c.field == "callback_at"]
        assert abs(change.at - now) < timedelta(minutes=1)  # when it was written, not claimed
        found = reconcile(s, now=utcnow(), rules=Rules(content=False))
        assert ("CALLBACK_OVERDUE", e.id) in {(f.kind, f.entry_id) for f in found
                                              if f.status == "open"}  # fmt: skip
