"""Ledger entries (台账): drafts from intake, confirmation, the lifecycle, the audit trail.

The lifecycle's rules live here, once, for the console and the CLI alike: what confirming
needs, which status may follow which (``domain.status``), what a callback result does (not
satisfied reopens the entry and sends it back to the department). Every change of a field is
kept in ``entry_changes`` (who, when, old → new).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from domain.intake import Address, IntakeDraft, PriorEntry
from domain.sites import DEFAULT_SITE
from domain.status import STAMPS, TRANSITIONS, EntryStatus
from domain.vocabulary import CATEGORIES, NOT_SATISFIED, callback_result
from ledger.models import Call, EntryChange, LedgerEntry
from ledger.types import utcnow

__all__ = ["LedgerEntry", "create_draft", "confirm", "update", "transition", "dispatch",
           "record_callback", "entry_to_dict"]  # fmt: skip

STATUSES = [s.value for s in EntryStatus]
EDITABLE = {
    "category", "building", "unit", "room", "public_area", "urgent", "department",
    "caller_name", "caller_phone", "summary", "content", "repair_scope", "complaint_class",
    "work_order_no", "callback_result",
}  # fmt: skip
# a callback time this far before the return is a typing error, not a clock skew
CALLBACK_SKEW = timedelta(seconds=60)


class EntryError(ValueError):
    pass


def create_draft(
    session: Session, call_id: int, d: IntakeDraft, caller_number: str | None = None
) -> LedgerEntry:
    """The call's draft; re-running intake updates it (never a second draft for a call).

    An entry the agent has already registered is not overwritten by a machine.
    """
    entry = session.scalar(
        select(LedgerEntry).where(LedgerEntry.call_id == call_id).order_by(LedgerEntry.id)
    )
    if entry is None:
        site = session.scalar(select(Call.site).where(Call.id == call_id)) or DEFAULT_SITE
        entry = LedgerEntry(call_id=call_id, source="来电", status="draft", created_at=utcnow(),
                            site=site)  # fmt: skip
        session.add(entry)
    elif entry.status != "draft":
        return entry
    caller_name = (d.caller.surname or "") + (d.caller.honorific or "") or None
    entry.category = d.category
    entry.building, entry.unit, entry.room = d.address.building, d.address.unit, d.address.room
    entry.public_area = d.address.public_area
    entry.urgent = d.urgent
    entry.department = d.department
    entry.caller_name = caller_name
    entry.caller_phone = d.caller.phone or caller_number
    entry.summary = d.summary
    entry.content = d.summary
    entry.repair_scope = d.repair_scope
    entry.complaint_class = d.complaint_class
    entry.confidence = dict(d.confidence)
    entry.evidence = [e.__dict__ for e in d.evidence]
    entry.updated_at = utcnow()
    session.flush()
    return entry


def _set(entry: LedgerEntry, field: str, value: Any, by: str, at: datetime) -> None:
    old = getattr(entry, field)
    if old == value:
        return
    setattr(entry, field, value)
    entry.changes.append(EntryChange(at=at, by=by, field=field, old=_s(old), new=_s(value)))


def _s(v: Any) -> str | None:
    if v is None:
        return None
    return v.isoformat() if isinstance(v, datetime) else str(v)


def update(session: Session, entry_id: int, by: str, **fields: Any) -> LedgerEntry:
    entry = _get(session, entry_id)
    unknown = set(fields) - EDITABLE
    if unknown:
        raise EntryError(
            f"cannot edit {', '.join(sorted(unknown))}; editable: {', '.join(sorted(EDITABLE))}"
        )
    if fields.get("category") is not None and fields["category"] not in CATEGORIES:
        raise EntryError(f"category must be one of {', '.join(sorted(CATEGORIES))}")
    now = utcnow()
    for k, v in fields.items():
        _set(entry, k, v, by, now)
    entry.updated_at = now
    session.flush()
    return entry


def confirm(session: Session, entry_id: int, by: str, at: datetime | None = None,
            **corrections: Any) -> LedgerEntry:  # fmt: skip
    """The agent registers the entry (with any corrections): draft → registered. A
    registered entry names its category and says what the call was about."""
    entry = _get(session, entry_id)
    if entry.status != EntryStatus.DRAFT:
        raise EntryError(f"entry {entry_id} is already {entry.status}")
    if corrections:
        update(session, entry_id, by, **corrections)
    if not entry.category:
        raise EntryError("choose a category (类别) before confirming")
    if not (entry.summary or "").strip():
        raise EntryError("write a summary (摘要) before confirming")
    return transition(session, entry_id, EntryStatus.REGISTERED, by, at=at)


def dispatch(session: Session, entry_id: int, by: str, department: str | None,
             work_order_no: str | None = None) -> LedgerEntry:  # fmt: skip
    """Send the entry to a department (with its work-order number, or one made up)."""
    if not department:
        raise EntryError("choose the department (部门) to dispatch to")
    changes: dict[str, Any] = {"department": department}
    if work_order_no:
        changes["work_order_no"] = work_order_no
    update(session, entry_id, by, **changes)
    return transition(session, entry_id, EntryStatus.DISPATCHED, by)


def record_callback(session: Session, entry_id: int, by: str, result: str,
                    at: datetime | None = None) -> LedgerEntry:  # fmt: skip
    """The resident was called back (回访). ``at`` is when the call was made (blank: now) and
    is kept as a field; the trail records when it was entered. Not satisfied reopens the
    entry: it goes back to the department."""
    stored = callback_result(result or "")
    if stored is None:
        raise EntryError("choose the callback result: satisfied or not satisfied (满意/不满意)")
    entry = _get(session, entry_id)
    now = utcnow()
    if at is not None and at > now + timedelta(minutes=5):
        raise EntryError("the callback time is in the future")
    if at is not None and entry.returned_at and at < entry.returned_at - CALLBACK_SKEW:
        raise EntryError("the callback time is before the work was returned")
    entry = transition(session, entry_id, EntryStatus.CALLED_BACK, by, at=at, result=stored)
    if stored == NOT_SATISFIED:
        entry = transition(session, entry_id, EntryStatus.DISPATCHED, by)
    return entry


def transition(session: Session, entry_id: int, to: str, by: str, at: datetime | None = None,
               result: str | None = None) -> LedgerEntry:  # fmt: skip
    entry = _get(session, entry_id)
    if to not in STATUSES:
        raise EntryError(f"unknown status {to!r}; known: {', '.join(STATUSES)}")
    target = EntryStatus(to)
    allowed = TRANSITIONS.get(EntryStatus(entry.status), frozenset())
    if target not in allowed:
        names = ", ".join(sorted(s.value for s in allowed)) or "none"
        raise EntryError(f"entry {entry_id} is {entry.status}: cannot go to {to} (allowed: {names})")
    # ``at`` is when it happened (a field); the trail records when it was written down
    now = utcnow()
    at = at or now
    if target == EntryStatus.REGISTERED:
        _set(entry, "registered_by", by, by, now)
    if target in STAMPS:
        _set(entry, STAMPS[target], at, by, now)
    if target == EntryStatus.DISPATCHED and entry.work_order_no is None:
        _set(entry, "work_order_no", f"WO{at:%Y%m%d}-{entry.id:06d}", by, now)
    if target == EntryStatus.CALLED_BACK and result:
        _set(entry, "callback_result", result, by, now)
    _set(entry, "status", target.value, by, now)
    entry.updated_at = now
    session.flush()
    return entry


def _get(session: Session, entry_id: int) -> LedgerEntry:
    entry = session.get(LedgerEntry, entry_id)
    if entry is None:
        raise EntryError(f"no ledger entry {entry_id}")
    return entry


def list_entries(session: Session, status: str | None = None, category: str | None = None,
                 building: str | None = None, limit: int | None = None,
                 site: str | None = None) -> list[LedgerEntry]:  # fmt: skip
    q = select(LedgerEntry).order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
    if site:
        q = q.where(LedgerEntry.site == site)
    if status:
        q = q.where(LedgerEntry.status == status)
    if category:
        q = q.where(LedgerEntry.category == category)
    if building:
        q = q.where(LedgerEntry.building == building)
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q))


def prior_entries(
    session: Session, address: Address, days: float = 30.0, exclude_call_id: int | None = None,
    before: datetime | None = None, site: str | None = None,
) -> list[PriorEntry]:
    """Entries for the same room or public area in the ``days`` before ``before`` (default:
    now), for intake's repeat-complaint rule. A call re-read later (the reconciler) sees the
    history its draft saw, not entries made after it. With ``site``, only that site's
    entries (building 3 of one community is not building 3 of another)."""
    until = before or utcnow()
    q = select(LedgerEntry).where(
        LedgerEntry.created_at >= until - timedelta(days=days), LedgerEntry.created_at < until
    )
    if site is not None:
        q = q.where(LedgerEntry.site == site)
    if exclude_call_id is not None:  # the call's own draft is no earlier report
        q = q.where(or_(LedgerEntry.call_id.is_(None), LedgerEntry.call_id != exclude_call_id))
    if address.building and address.unit and address.room:
        q = q.where(LedgerEntry.building == address.building, LedgerEntry.unit == address.unit,
                    LedgerEntry.room == address.room)  # fmt: skip
    elif address.public_area:
        q = q.where(LedgerEntry.public_area == address.public_area)
        if address.building:
            q = q.where(
                or_(LedgerEntry.building == address.building, LedgerEntry.building.is_(None))
            )
    else:
        return []
    return [
        PriorEntry(
            entry_id=e.id,
            created_at=e.created_at,
            category=e.category,
            summary=e.summary,
            building=e.building,
            unit=e.unit,
            room=e.room,
            public_area=e.public_area,
            caller_phone=e.caller_phone,
        )  # fmt: skip
        for e in session.scalars(q.order_by(LedgerEntry.created_at))
    ]


def entry_to_dict(e: LedgerEntry, with_changes: bool = False) -> dict[str, Any]:
    d = {
        "id": e.id, "call_id": e.call_id, "source": e.source, "status": e.status, "site": e.site,
        "category": e.category, "address": e.address_code() or e.public_area,
        "building": e.building, "unit": e.unit, "room": e.room, "public_area": e.public_area,
        "urgent": e.urgent, "department": e.department, "caller_name": e.caller_name,
        "caller_phone": e.caller_phone, "summary": e.summary, "content": e.content,
        "repair_scope": e.repair_scope, "complaint_class": e.complaint_class,
        "work_order_no": e.work_order_no, "confidence": e.confidence, "evidence": e.evidence,
        "created_at": e.created_at, "registered_at": e.registered_at,
        "registered_by": e.registered_by, "dispatched_at": e.dispatched_at, "returned_at": e.returned_at,
        "closed_at": e.closed_at, "callback_at": e.callback_at,
        "callback_result": e.callback_result,
    }  # fmt: skip
    if with_changes:
        d["changes"] = [
            {"at": c.at, "by": c.by, "field": c.field, "old": c.old, "new": c.new}
            for c in e.changes
        ]
    return d


def list_for_call(session: Session, call_id: int) -> list[LedgerEntry]:
    return list(session.scalars(select(LedgerEntry).where(LedgerEntry.call_id == call_id)))


def labelled_entries(session: Session, limit: int | None = None) -> list[dict[str, Any]]:
    """What the company's own ledger teaches the intake: every registered entry (confirmed by
    an agent or imported from a spreadsheet), its words — the call's caller utterances when
    there is a transcript, else the entry's content — and the fields as the agent left them.
    A field the sheet did not record (urgent NULL) teaches nothing about that field."""
    from ledger.models import Transcript as TranscriptRow

    q = (
        select(LedgerEntry, TranscriptRow.data)
        .outerjoin(TranscriptRow, TranscriptRow.call_id == LedgerEntry.call_id)
        .where(LedgerEntry.status != EntryStatus.DRAFT.value)
        .order_by(LedgerEntry.id.desc())
    )
    if limit:
        q = q.limit(limit)
    out = []
    for e, data in session.execute(q):
        said = ""
        if data:
            said = "，".join(
                u.get("text", "") for u in data.get("utterances", []) if u.get("speaker") != "agent"
            )
        said = said or e.content or e.summary or ""
        if not said.strip() or not e.category:
            continue
        labels: dict[str, Any] = {"category": e.category}
        if e.department:
            labels["department"] = e.department
        if e.urgent is not None:
            labels["urgent"] = bool(e.urgent)
        if e.category == "报修" and e.repair_scope:
            labels["repair_scope"] = e.repair_scope
        if e.category == "投诉" and e.complaint_class:
            labels["complaint_class"] = e.complaint_class
        out.append({"entry_id": e.id, "text": said, "labels": labels,
                    "from_call": bool(data)})  # fmt: skip
    return out
