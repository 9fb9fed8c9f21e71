"""Which missed calls were returned in time: the evidence MISSED_NO_CALLBACK looks for."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import select

from ledger.matching import number_key, same_number
from ledger.models import Call, LedgerEntry
from ledger.reconcile.context import Ctx
from ledger.reconcile.rows import CallRow


def called_back(ctx: Ctx, rows: list[CallRow]) -> set[int]:
    """Missed calls in the chunk that were returned within the callback limit: a later
    answered call from that number, an answered call from the desk to it, or an entry for
    that number.

    The chunk itself holds most later calls; the index on invited_at finds the others
    (its rowid lets the database skip the chunk's own rows without reading them). Entries
    are looked up by number only for the few missed calls no call returned."""
    missed = [c for c in rows if c.outcome == "missed" and c.direction == "in"]
    if not missed:
        return set()
    cb = ctx.rules.callback_s
    ends = [c.end for c in missed]
    wanted = {c.caller for c in missed}
    by_key: dict[str, list[str]] = defaultdict(list)  # last 8 digits → missed callers
    for n in wanted:
        by_key[number_key(n)[-8:]].append(n)
    later: dict[str, list[tuple[float, int]]] = defaultdict(list)

    def returned(caller: str, callee: str, at: float, cid: int, outcome: str, direction: str):
        if outcome != "answered":
            return
        if direction == "out":  # the desk called the resident back
            for n in by_key.get(number_key(callee)[-8:], ()):
                if same_number(n, callee):
                    later[n].append((at, cid))
        elif caller in wanted:
            later[caller].append((at, cid))

    for c in rows:
        returned(c.caller, c.callee, c.invited, c.id, c.outcome, c.direction)
    t0 = datetime.fromtimestamp(min(ends), UTC)
    t1 = datetime.fromtimestamp(max(ends) + cb, UTC)
    lo, hi = rows[0].id, rows[-1].id
    full = ctx.since is None and ctx.until is None  # the chunk is every call from lo to hi
    if not full:
        later.clear()  # a window's chunk has gaps: ask the database for every later call
    for caller, at, cid, outcome, direction, callee in ctx.q(
        select(Call.caller, ctx.ep(Call.invited_at), Call.id, Call.outcome, Call.direction,
               Call.callee).where(
            Call.invited_at >= t0, Call.invited_at <= t1, ctx.same_site(Call),
            ~Call.id.between(lo, hi) if full else True)
    ).all():  # fmt: skip
        returned(caller, callee, at, cid, outcome, direction)
    out = set()
    rest: list[tuple[CallRow, float]] = []
    for c, end in zip(missed, ends, strict=True):
        if any(other != c.id and end <= at <= end + cb for at, other in later.get(c.caller, ())):
            out.add(c.id)
        else:
            rest.append((c, end))
    # entries for those numbers, one query per 5,000 numbers rather than one per missed call
    # (a site-month has ~2,000 missed calls: round trips took most of its reconcile)
    phones = sorted({c.caller for c, _ in rest if c.caller})
    entered: dict[str, list[float]] = defaultdict(list)
    if phones:
        e0 = datetime.fromtimestamp(min(end for _, end in rest), UTC)
        e1 = datetime.fromtimestamp(max(end for _, end in rest) + cb, UTC)
        for cond in ctx.one_of(LedgerEntry.caller_phone, phones):
            for phone, at in ctx.rows(
                select(LedgerEntry.caller_phone, ctx.ep(LedgerEntry.created_at)).where(
                    cond, ctx.same_site(LedgerEntry),
                    LedgerEntry.created_at >= e0, LedgerEntry.created_at <= e1)
            ):  # fmt: skip
                entered[phone].append(at)
    for c, end in rest:
        if any(end <= at <= end + cb for at in entered.get(c.caller, ())):
            out.add(c.id)
    return out
