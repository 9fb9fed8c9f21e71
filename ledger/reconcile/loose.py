"""Unlinked phone entries (typed by hand, no call id) matched one to one to the recorded
calls still without an entry (ledger.matching: caller number, time, address, content); an
entry repeating a call's entry is its duplicate; one written from the desk's own outbound
call has that call behind it."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import exists, select, text

from ledger.matching import (
    CLOCK_SLACK_S,
    CallCandidate,
    LooseEntry,
    assign,
    number_key,
    same_number,
    similarity,
)
from ledger.models import Call, LedgerEntry
from ledger.reconcile.context import Ctx
from ledger.reconcile.intake_cache import heard_for
from ledger.reconcile.rows import RECORDED, EntryRow, LooseEntryRow, loose_entry_columns

UNLINKED = text("coalesce(entries.call_id, 0) = 0")


def match_loose(ctx: Ctx) -> tuple[dict[int, list[EntryRow]], list[LooseEntryRow]]:
    """Unlinked registered phone entries assigned one to one to recorded calls that have
    no registered entry of their own. Returns call id → [entry row], and the rest."""
    rules = ctx.rules
    margin = max(rules.match_window_s, rules.late_match_window_s)
    E = LedgerEntry
    loose_rows = [LooseEntryRow._make(r) for r in ctx.q(
        select(*loose_entry_columns(ctx.ep))
        # the condition of the partial index ix_entries_unlinked (migration 0012), written as
        # literally as there so both databases match it; it also keeps the planner off the
        # call_id index
        .where(UNLINKED, E.source == "来电", E.status != "draft",
               ctx.in_window(E.created_at, margin))
        .order_by(E.id)
    )]  # fmt: skip
    if not loose_rows:
        return {}, []
    has_entry = exists().where(E.call_id == Call.id, E.status != "draft")
    free = [
        (cid, caller, invited, ended)
        for cid, caller, invited, ended, outcome, direction in ctx.q(
            select(Call.id, Call.caller, ctx.ep(Call.invited_at), ctx.ep(Call.ended_at),
                   Call.outcome, Call.direction)
            .where(~has_entry, ctx.in_window(Call.invited_at, margin))
        )
        if outcome in RECORDED and direction == "in"  # here, or the planner scans the outcome index
    ]  # fmt: skip
    heard = heard_for(ctx, [cid for cid, *_ in free], with_text=True)
    calls = [
        CallCandidate(cid, caller, ended if ended is not None else invited,
                      heard.get(cid, {}).get("address"), heard.get(cid, {}).get("text", ""),
                      invited, heard.get(cid, {}).get("phone"))
        for cid, caller, invited, ended in free
    ]  # fmt: skip
    loose = [
        LooseEntry(e.id, e.caller_phone, e.at, e.address,
                   " ".join(x for x in (e.content, e.summary, e.public_area) if x))
        for e in loose_rows
    ]  # fmt: skip
    pairs = assign(loose, calls, window_s=rules.match_window_s,
                   late_window_s=rules.late_match_window_s)  # fmt: skip
    by_id = {e.id: e for e in loose_rows}
    assigned: dict[int, list[EntryRow]] = defaultdict(list)
    for entry_id, call_id in pairs.items():
        assigned[call_id].append(by_id[entry_id].entry())
    unmatched = [e for e in loose_rows if e.id not in pairs]
    # an entry written twice for one call: the second is a duplicate of the call's entry
    # (DUPLICATE_ENTRY), not an entry without a call
    dups = _duplicates(ctx, unmatched, [(by_id[eid], cid) for eid, cid in pairs.items()])
    for e, call_id in dups:
        assigned[call_id].append(e.entry())
    duplicated = {e.id for e, _ in dups}
    unmatched = [e for e in unmatched if e.id not in duplicated]
    behind = _outbound_behind(ctx, unmatched)
    return assigned, [e for e in unmatched if e.id not in behind]


def _outbound_behind(ctx: Ctx, unmatched: list[LooseEntryRow]) -> set[int]:
    """Entries written from a call the desk made (a missed call returned, and the resident
    reported something): an answered outbound call to the entry's number near its time is
    the call behind it, so it is no orphan."""
    if not unmatched:
        return set()
    window = ctx.rules.match_window_s
    ats = [e.at for e in unmatched]
    t0 = datetime.fromtimestamp(min(ats) - window, UTC)
    t1 = datetime.fromtimestamp(max(ats) + window, UTC)
    out: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for callee, start, end, outcome in ctx.q(
        select(Call.callee, ctx.ep(Call.invited_at), ctx.ep(Call.ended_at), Call.outcome)
        .where(Call.invited_at >= t0, Call.invited_at <= t1, Call.direction == "out",
               ctx.same_site(Call))
    ):  # fmt: skip
        if outcome == "answered":
            out[number_key(callee)[-8:]].append((start, end if end is not None else start, callee))
    found = set()
    for e, at in zip(unmatched, ats, strict=True):
        phone = e.caller_phone
        for start, end, callee in out.get(number_key(phone)[-8:], ()) if phone else ():
            if same_number(callee, phone) and start - CLOCK_SLACK_S <= at <= end + window:
                found.add(e.id)
                break
    return found


DUPLICATE_SIMILARITY = 0.8  # the wording of two entries for one call, both ways


class _Original(NamedTuple):
    """An entry of a call that a loose entry may repeat."""

    id: int
    call_id: int
    phone: str
    at: float
    category: str | None
    address: tuple[str | None, str | None, str | None]  # building, unit, room
    text: str


def _wording(content: str | None, summary: str | None) -> str:
    return " ".join(x for x in (content, summary) if x)


def _duplicates(ctx: Ctx, unmatched: list[LooseEntryRow],
                matched: list[tuple[LooseEntryRow, int]]) -> list[tuple[LooseEntryRow, int]]:  # fmt: skip
    """Unmatched loose entries that repeat an entry of a call (loose and matched, or linked
    to it): the same number, category and address, the same wording, within the late
    window. Returns (entry row, call id) pairs."""
    if not unmatched:
        return []
    E = LedgerEntry
    phones = sorted({e.caller_phone for e in unmatched if e.caller_phone})
    originals = [_Original(e.id, cid, e.caller_phone, e.at, e.category,
                           (e.building, e.unit, e.room), _wording(e.content, e.summary))
                 for e, cid in matched]  # fmt: skip
    for cond in ctx.one_of(E.caller_phone, phones):
        for eid, cid, phone, registered, created, category, b, u, r, content, summary in ctx.q(
            select(E.id, E.call_id, E.caller_phone, ctx.ep(E.registered_at),
                   ctx.ep(E.created_at), E.category, E.building, E.unit, E.room, E.content,
                   E.summary)
            .where(cond, E.call_id.is_not(None),
                   E.status != "draft", ctx.same_site(E))
        ):  # fmt: skip
            originals.append(_Original(eid, cid, phone,
                                       registered if registered is not None else created,
                                       category, (b, u, r), _wording(content, summary)))  # fmt: skip
    by_number: dict[str, list[_Original]] = defaultdict(list)
    for o in originals:
        by_number[number_key(o.phone)[-8:]].append(o)
    window = max(ctx.rules.match_window_s, ctx.rules.late_match_window_s)
    out = []
    for e in unmatched:
        at, phone = e.at, e.caller_phone
        text = _wording(e.content, e.summary)
        address = (e.building, e.unit, e.room)
        best = None
        for o in by_number.get(number_key(phone)[-8:], ()) if phone else ():
            if (o.id == e.id or not same_number(o.phone, phone) or abs(o.at - at) > window
                    or (o.category and e.category and o.category != e.category)
                    or o.address != address):
                continue  # fmt: skip
            sim = min(similarity(text, o.text), similarity(o.text, text)) if text or o.text else 1.0
            if sim >= DUPLICATE_SIMILARITY and (best is None or abs(o.at - at) < best[0]):
                best = (abs(o.at - at), o.call_id)
        if best is not None:
            out.append((e, best[1]))
    return out
