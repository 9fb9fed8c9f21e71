"""The rows the reconciler reads in pages, named: a call, an entry of a call, an unlinked
phone entry. Plain tuples straight from the driver's cursor (``Ctx.rows``) made into
NamedTuples: a million of them cost a fraction of a second, and no check reads a row by
position. Times are float epoch seconds computed by the database (``Ctx.ep``).

Each row's columns are written beside its fields, by name, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ledger.models import Call, LedgerEntry

RECORDED = ("answered", "interrupted")  # a call's outcomes that connected: it has a recording

Epoch = Callable[[Any], Any]  # a column → the same as float epoch seconds (Ctx.ep)


class CallRow(NamedTuple):
    id: int
    caller: str | None
    invited: float
    answered: float | None
    ended: float | None
    rings: int
    answered_by: str | None
    outcome: str
    recording_path: str | None
    recording_sha256: str | None
    recording_size: int | None
    recording_s: float | None  # the recording's length
    stored: float | None  # when the row was written (created_at)
    direction: str
    callee: str | None

    @property
    def end(self) -> float:
        """When the call ended; its invite when it never did."""
        return self.ended if self.ended is not None else self.invited


class EntryRow(NamedTuple):
    """A registered entry, as the checks of its call read it."""

    id: int
    call_id: int | None
    registered: float | None
    building: str | None
    unit: str | None
    room: str | None
    category: str | None
    urgent: bool | None


class LooseEntryRow(NamedTuple):
    """A registered phone entry with no call id: what matching it to a call reads."""

    id: int
    call_id: int | None
    registered: float | None
    building: str | None
    unit: str | None
    room: str | None
    category: str | None
    urgent: bool | None
    caller_phone: str | None
    created: float
    content: str | None
    summary: str | None
    public_area: str | None

    @property
    def at(self) -> float:
        """When it was registered; when it was typed when that is unknown."""
        return self.registered if self.registered is not None else self.created

    @property
    def address(self) -> str | None:
        """building-unit-room, None unless all three are written."""
        b, u, r = self.building, self.unit, self.room
        return f"{b}-{u}-{r}" if b and u and r else None

    def entry(self) -> EntryRow:
        return EntryRow(self.id, self.call_id, self.registered, self.building, self.unit,
                        self.room, self.category, self.urgent)  # fmt: skip


def _columns(row: type[tuple], cols: dict[str, Any]) -> tuple:
    if tuple(cols) != row._fields:  # type: ignore[attr-defined]
        raise AssertionError(f"{row.__name__}: columns {tuple(cols)} != fields {row._fields}")  # type: ignore[attr-defined]
    return tuple(cols.values())


def call_columns(ep: Epoch) -> tuple:
    return _columns(CallRow, {
        "id": Call.id, "caller": Call.caller, "invited": ep(Call.invited_at),
        "answered": ep(Call.answered_at), "ended": ep(Call.ended_at), "rings": Call.rings,
        "answered_by": Call.answered_by, "outcome": Call.outcome,
        "recording_path": Call.recording_path, "recording_sha256": Call.recording_sha256,
        "recording_size": Call.recording_size, "recording_s": Call.recording_duration_s,
        "stored": ep(Call.created_at), "direction": Call.direction, "callee": Call.callee,
    })  # fmt: skip


def _entry_cols(ep: Epoch) -> dict[str, Any]:
    E = LedgerEntry
    return {
        "id": E.id, "call_id": E.call_id, "registered": ep(E.registered_at),
        "building": E.building, "unit": E.unit, "room": E.room, "category": E.category,
        "urgent": E.urgent,
    }  # fmt: skip


def entry_columns(ep: Epoch) -> tuple:
    return _columns(EntryRow, _entry_cols(ep))


def loose_entry_columns(ep: Epoch) -> tuple:
    E = LedgerEntry
    return _columns(LooseEntryRow, {
        **_entry_cols(ep), "caller_phone": E.caller_phone, "created": ep(E.created_at),
        "content": E.content, "summary": E.summary, "public_area": E.public_area,
    })  # fmt: skip
