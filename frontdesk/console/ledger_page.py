"""The ledger page (台账): a day's entries with filters and keyset pagination; /ledger/{id}
shows one entry, its audit trail and the actions of its lifecycle (dispatch, returned,
callback, close), each through ledger.entries so the trail names the user.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute

from domain.rules import Rules
from domain.vocabulary import CATEGORIES, DEPARTMENTS
from frontdesk.console import scope
from frontdesk.console.desk import PAGE_SIZE, _local_day, transcript_view
from frontdesk.console.desk_line import DESK_ROLES, STATUS_LABELS
from frontdesk.console.web import Console, Ctx, guarded
from ledger import entries
from ledger.models import Call, LedgerEntry
from ledger.types import utcnow

ACTIONS = ("dispatch", "in_progress", "returned", "callback", "close")
CALLBACK_RESULTS = {"satisfied": "满意 Satisfied", "partly_satisfied": "基本满意 Partly satisfied",
                    "not_satisfied": "不满意 Not satisfied"}


def visible_entry(ctx: Ctx, entry_id: int | str) -> LedgerEntry:
    """The entry, if it is of one of the user's sites; 404 otherwise (as if there were none)."""
    entry = ctx.db.get(LedgerEntry, int(entry_id))
    scope.require(ctx, entry.site if entry else None, f"no ledger entry {entry_id}")
    assert entry is not None
    return entry


def ledger(ctx: Ctx) -> Response:
    q = ctx.query
    start, end, day = _local_day(ctx.console, q.get("date"))
    status, category, building = (
        q.get("status") or "",
        q.get("category") or "",
        q.get("building") or "",
    )
    if status and status not in STATUS_LABELS:
        raise HTTPException(400, f"status {status!r} is not one of {', '.join(STATUS_LABELS)}")
    stmt = (
        select(LedgerEntry)
        .where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end,
               scope.where_chosen(ctx, LedgerEntry.site))
        .order_by(LedgerEntry.id.desc())
        .limit(PAGE_SIZE + 1)
    )  # fmt: skip
    if status:
        stmt = stmt.where(LedgerEntry.status == status)
    if category:
        stmt = stmt.where(LedgerEntry.category == category)
    if building:
        stmt = stmt.where(LedgerEntry.building == building)
    before = q.get("before")
    if before:
        if not before.isdigit():
            raise HTTPException(400, f"before={before!r} must be an entry number")
        stmt = stmt.where(LedgerEntry.id < int(before))
    rows = list(ctx.db.scalars(stmt))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    # a call's entry is dated by the call (when the resident rang), a walk-in by its entry
    call_ids = [e.call_id for e in rows if e.call_id]
    called = (
        dict(ctx.db.execute(select(Call.id, Call.invited_at).where(Call.id.in_(call_ids))).all())
        if call_ids
        else {}
    )
    times = {}
    for e in rows:
        at = ctx.console.local_time(called.get(e.call_id, e.created_at), "%Y-%m-%d %H:%M")
        times[e.id] = at[11:] if at.startswith(day) else at[5:]  # another day: with its date
    filters = {"date": day, "status": status, "category": category, "building": building,
               "site": q.get("site") or ""}  # fmt: skip
    keep = {k: v for k, v in filters.items() if v}
    return ctx.render(
        "desk/ledger.html",
        rows=rows,
        filters=filters,
        next_query=({**keep, "before": rows[-1].id} if more and rows else None),
        first_query=keep if before else None,
        status_labels=STATUS_LABELS,
        categories=CATEGORIES,
        overdue=_overdue_callbacks(rows, ctx.console.rules),
        times=times,
        sites=scope.choices(ctx),
        here=ctx.request.url.path + ("?" + ctx.request.url.query if ctx.request.url.query else ""),
    )


def _overdue_callbacks(rows: list[LedgerEntry], rules: Rules) -> set[int]:
    """Returned entries not called back in time (the callback rule)."""
    late = utcnow() - timedelta(seconds=rules.callback_s)
    return {e.id for e in rows if e.status == "returned" and e.returned_at
            and e.returned_at < late}  # fmt: skip


def ledger_entry(ctx: Ctx, entry_id: int, error: str | None = None, status_code: int = 200):
    entry = visible_entry(ctx, entry_id)
    call = ctx.db.get(Call, entry.call_id) if entry.call_id else None
    return ctx.render(
        "desk/entry.html",
        status_code=status_code,
        entry=entry,
        call=call,
        trail=_trail(ctx.console, entry.changes),
        transcript=transcript_view(ctx.db, call, entry.evidence),
        allowed=entries.TRANSITIONS.get(entry.status, set()),
        status_labels=STATUS_LABELS,
        departments=DEPARTMENTS,
        callback_results=CALLBACK_RESULTS,
        error=error,
        done=ctx.query.get("done") if ctx.query.get("done") in ACTIONS else None,
        can_replay=ctx.user.may("supervisor", "trainer"),
    )


FIELD_LABELS = {
    "status": "状态 status", "category": "类别 category", "building": "楼 building",
    "unit": "单元 unit", "room": "室 room", "public_area": "公共区域 public area",
    "urgent": "紧急 urgent", "department": "部门 department", "caller_name": "来电人 caller",
    "caller_phone": "电话 phone", "summary": "摘要 summary", "content": "内容 details",
    "repair_scope": "维修范围 repair scope", "complaint_class": "投诉分类 complaint class",
    "work_order_no": "工单 work order", "callback_result": "回访结果 callback result",
    "registered_at": "登记时间 registered", "registered_by": "登记人 registered by",
    "dispatched_at": "派单时间 dispatched", "returned_at": "返单时间 returned",
    "callback_at": "回访时间 callback", "closed_at": "关闭时间 closed",
}  # fmt: skip


def _trail(console: Console, changes: list[Any]) -> list[dict[str, Any]]:
    """The audit trail, one row per action (same moment, same person), times shown local."""
    rows: list[dict[str, Any]] = []
    for c in changes:
        item = {
            "field": c.field,
            "label": FIELD_LABELS.get(c.field, c.field),
            "old": _trail_value(console, c.field, c.old),
            "new": _trail_value(console, c.field, c.new),
        }
        if rows and rows[-1]["at"] == c.at and rows[-1]["by"] == c.by:
            rows[-1]["items"].append(item)
        else:
            rows.append({"at": c.at, "by": c.by, "items": [item]})
    return rows


def _trail_value(console: Console, field: str, value: str | None) -> str | None:
    if value and field.endswith("_at"):
        try:
            return console.local_time(datetime.fromisoformat(value), "%m-%d %H:%M:%S")
        except ValueError:
            return value
    return value


def ledger_act(ctx: Ctx, entry_id: int) -> Response:
    """One step of the lifecycle, by the logged-in user (the trail records who)."""
    eid = int(entry_id)
    visible_entry(ctx, eid)
    action = ctx.form.get("action", "")
    by = ctx.user.username
    f = ctx.form
    try:
        if action == "dispatch":
            dept = f.get("department", "").strip() or None
            wo = f.get("work_order_no", "").strip() or None
            entries.dispatch(ctx.db, eid, by, dept, wo)
        elif action == "in_progress":
            entries.transition(ctx.db, eid, "in_progress", by)
        elif action == "returned":
            entries.transition(ctx.db, eid, "returned", by)
        elif action == "callback":
            at = _local_input(ctx.console, f.get("callback_at", ""))
            entries.record_callback(ctx.db, eid, by, f.get("result", ""), at=at)
        elif action == "close":
            entries.transition(ctx.db, eid, "closed", by)
        else:
            raise entries.EntryError(f"unknown action {action!r}")
    except (entries.EntryError, IntegrityError) as exc:
        ctx.db.rollback()
        msg = str(exc)
        if isinstance(exc, IntegrityError):
            msg = f"work order number {f.get('work_order_no', '')!r} is already used"
        return ledger_entry(ctx, entry_id, error=msg, status_code=400)
    ctx.log(f"entry_{action}", f"entry:{eid}")
    back = f.get("next", "")
    if back.startswith("/ledger") and "//" not in back and "\\" not in back:
        return ctx.redirect(back)  # a quick action from the list: back to the same view
    return ctx.redirect(f"/ledger/{eid}?done={action}")


def _local_input(console: Console, value: str) -> datetime | None:
    """A datetime-local field (the agent's local time) → UTC; blank = now."""
    value = value.strip()
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise entries.EntryError(f"callback time {value!r} is not a date and time") from None
    local = naive.replace(tzinfo=console.tz) if console.tz else naive.astimezone()
    return local.astimezone(UTC)


routes: list[BaseRoute] = [
    guarded("/ledger", ledger, roles=DESK_ROLES),
    guarded("/ledger/{entry_id:int}", ledger_entry, roles=DESK_ROLES),
    guarded("/ledger/{entry_id:int}/act", ledger_act, roles=DESK_ROLES, methods=("POST",)),
]
