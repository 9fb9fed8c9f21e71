"""How often the worker's drafts were right: over the last N entries an agent confirmed from a
call's draft, the share of each field the agent left as drafted. The agent's corrections are
the truth; they are the entry's trail (``entry_changes``) up to its registration."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import EntryChange, LedgerEntry
from ledger.sites import in_sites

# trail field → the draft field it corrects
FIELDS: dict[str, str] = {
    "category": "category", "building": "address", "unit": "address", "room": "address",
    "public_area": "address", "urgent": "urgent", "department": "department",
    "caller_phone": "caller phone", "caller_name": "caller name",
    "repair_scope": "repair scope", "complaint_class": "complaint class",
}  # fmt: skip
SHOWN = ["category", "address", "urgent", "department", "caller phone", "caller name"]


@dataclass
class FieldAccuracy:
    field: str
    right: int
    total: int

    @property
    def share(self) -> float | None:
        return self.right / self.total if self.total else None


def draft_accuracy(
    session: Session, last: int = 200, sites: Collection[str] | None = None
) -> list[FieldAccuracy]:
    """Per field, over the last ``last`` confirmed call drafts (newest registrations) of
    ``sites`` (None: every site)."""
    # the entries as a subquery of the trail's: one statement, not their ids sent back as
    # `last` bound parameters (a round trip and 200 parameters rendered per KPI page)
    ids = (
        select(LedgerEntry.id)
        .where(LedgerEntry.call_id.is_not(None), LedgerEntry.registered_at.is_not(None),
               LedgerEntry.registered_by.is_not(None), in_sites(LedgerEntry.site, sites))
        .order_by(LedgerEntry.registered_at.desc())
        .limit(last)
    )  # fmt: skip
    corrected: dict[int, set[str]] = defaultdict(set)
    registered_at: dict[int, object] = {}
    rows = session.execute(
        select(EntryChange.entry_id, EntryChange.field, EntryChange.new, EntryChange.at)
        .where(EntryChange.entry_id.in_(ids.scalar_subquery()))
        .order_by(EntryChange.id)
    ).all()
    for eid, field, new, at in rows:  # the change that registered it closes the window
        if field == "status" and new == "registered" and eid not in registered_at:
            registered_at[eid] = at
    for eid, field, _, at in rows:
        if field in FIELDS and eid in registered_at and at <= registered_at[eid]:
            corrected[eid].add(FIELDS[field])
    n = len(registered_at)
    return [
        FieldAccuracy(f, n - sum(1 for eid in registered_at if f in corrected[eid]), n)
        for f in SHOWN
    ]
