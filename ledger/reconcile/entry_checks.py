"""Checks that start from the entries: an entry with no recorded call behind it
(ORPHAN_ENTRY) and a returned repair not called back in time (CALLBACK_OVERDUE)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from ledger import explain as say
from ledger.models import Call, EntryChange, LedgerEntry
from ledger.reconcile.context import Ctx, iso
from ledger.reconcile.detected import Detected
from ledger.reconcile.rows import RECORDED, LooseEntryRow


def orphan_entries(ctx: Ctx, unmatched_loose: list[LooseEntryRow]) -> Iterator[Detected]:
    """ORPHAN_ENTRY: a loose entry of the window no call was matched to, and an entry linked
    to a call that never connected (nothing recorded to register)."""
    E = LedgerEntry
    lo = ctx.since.timestamp() if ctx.since else float("-inf")
    hi = ctx.until.timestamp() if ctx.until else float("inf")
    for e in unmatched_loose:
        if lo <= e.created < hi:
            yield _orphan(ctx, e.id, None, e.address or e.public_area, e.caller_phone, e.created)
    for eid, cid, b, u, r, area, phone, created in ctx.q(
        select(E.id, E.call_id, E.building, E.unit, E.room, E.public_area, E.caller_phone,
               ctx.ep(E.created_at))
        .join(Call, Call.id == E.call_id)
        .where(E.source == "来电", E.status != "draft", Call.outcome.not_in(RECORDED),
               ctx.in_window(E.created_at))
    ):  # fmt: skip
        yield _orphan(ctx, eid, cid, f"{b}-{u}-{r}" if b and u and r else area, phone, created)


def callbacks_overdue(ctx: Ctx) -> Iterator[Detected]:
    """CALLBACK_OVERDUE: a returned repair not called back within the callback limit."""
    rules, E = ctx.rules, LedgerEntry
    # when the callback was written down (the trail): a backdated callback_at is no excuse
    noted = (
        select(func.max(EntryChange.at))
        .where(EntryChange.entry_id == E.id, EntryChange.field == "callback_at")
        .scalar_subquery()
    )
    for eid, cid, returned, cb_at, category, status, b, u, r, area, cb_noted in ctx.q(
        select(E.id, E.call_id, ctx.ep(E.returned_at), ctx.ep(E.callback_at), E.category,
               E.status, E.building, E.unit, E.room, E.public_area, ctx.ep(noted))
        .where(E.returned_at.is_not(None), ctx.in_window(E.created_at))
        .execution_options(yield_per=20_000)  # PostgreSQL: a server-side cursor, not all rows
    ):  # fmt: skip
        # category and status filtered here: as SQL equalities their indexes would be
        # preferred to the created_at range and read a year of entries for one day
        if category != "报修" or status not in ("returned", "called_back", "closed"):
            continue
        due = returned + rules.callback_s
        if cb_at is not None and cb_noted is not None:
            cb_at = max(cb_at, cb_noted)
        if (cb_at is None and ctx.now > due) or (cb_at is not None and cb_at > due):
            where = "-".join(x for x in (b, u, r) if x) or area or "（无地址）"
            late = (f"返单后 {say.span(cb_at - returned)}才回访" if cb_at is not None
                    else "至今没有回访")  # fmt: skip
            yield Detected("CALLBACK_OVERDUE", cid, eid,
                           say.say("CALLBACK_OVERDUE", f"{where} 的报修（台账 {eid} 号）"
                                   f"{say.when(returned, ctx.tz)} 返单，{late}"
                                   f"（应在 {say.span(rules.callback_s)}内）"),
                           {"returned_at": iso(returned), "callback_at": iso(cb_at)})  # fmt: skip


def _orphan(ctx: Ctx, eid: int, cid: int | None, where: str | None, phone: str | None,
            at: float | None) -> Detected:  # fmt: skip
    return Detected("ORPHAN_ENTRY", cid, eid,
                    say.say("ORPHAN_ENTRY", f"{say.when(at, ctx.tz)} 登记的台账（{eid} 号，"
                            f"{where or '无地址'}，{say.mask(phone)}）找不到对应的来电录音"),
                    {"caller_phone": phone})  # fmt: skip
