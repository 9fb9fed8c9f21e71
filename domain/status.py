"""A ledger entry's status, its transitions and the field each status stamps.

Lifecycle (domain.md): registered → dispatched → in progress (跟进处理) → returned (返单) →
called back (回访) → closed (结案); a dissatisfied resident reopens it (→ dispatched).
Inquiries, suggestions and the like may be closed straight after registration.
"""

from __future__ import annotations

from enum import StrEnum


class EntryStatus(StrEnum):
    DRAFT = "draft"
    REGISTERED = "registered"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    RETURNED = "returned"
    CALLED_BACK = "called_back"
    CLOSED = "closed"


S = EntryStatus
TRANSITIONS: dict[EntryStatus, frozenset[EntryStatus]] = {
    S.DRAFT: frozenset({S.REGISTERED}),
    S.REGISTERED: frozenset({S.DISPATCHED, S.CLOSED}),
    S.DISPATCHED: frozenset({S.IN_PROGRESS, S.RETURNED}),
    S.IN_PROGRESS: frozenset({S.RETURNED}),
    S.RETURNED: frozenset({S.CALLED_BACK}),
    S.CALLED_BACK: frozenset({S.CLOSED, S.DISPATCHED}),  # not satisfied → dispatched again
    S.CLOSED: frozenset({S.DISPATCHED}),  # reopened
}
# the entry's field stamped with the time of entering a status (one table, no copies)
STAMPS: dict[EntryStatus, str] = {
    S.REGISTERED: "registered_at",
    S.DISPATCHED: "dispatched_at",
    S.RETURNED: "returned_at",
    S.CALLED_BACK: "callback_at",
    S.CLOSED: "closed_at",
}
