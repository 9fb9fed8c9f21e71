"""The rules a call is checked against, one small function each, and ``check_call``, which
runs them in the order findings are reported. A check reads the call's row, its registered
entries (the first is the call's own, the rest duplicates) and what was gathered for its page
(``called_back``, ``heard``); the recording's file is read by ``files``. A finding's words
are made only when it fires (``Ctx.who``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ledger import explain as say
from ledger.reconcile.content import differences
from ledger.reconcile.context import Ctx, iso
from ledger.reconcile.detected import Detected
from ledger.reconcile.files import check_recording
from ledger.reconcile.rows import RECORDED, CallRow, EntryRow


def check_call(ctx: Ctx, c: CallRow, mine: list[EntryRow], called_back: set[int],
               heard: dict[str, Any] | None) -> Iterator[Detected]:  # fmt: skip
    """Every finding about one call. ``heard``: what the intake heard in it (None: not
    compared)."""
    talked = c.outcome in RECORDED  # connected: it has a recording, or should have
    end = c.end
    if talked and not mine and (d := unlogged_call(ctx, c, end)):
        yield d
    if len(mine) > 1:
        yield from duplicate_entries(ctx, c, mine)
    # the first entry's lateness only: a duplicate's own is no second fault
    if mine and (d := late_registration(ctx, c, mine[0], end)):
        yield d
    if d := slow_answer(ctx, c):
        yield d
    if d := missed_no_callback(ctx, c, end, called_back):
        yield d
    if not talked:
        return
    if not c.recording_path:
        if d := no_recording(ctx, c):
            yield d
        return
    yield from check_recording(ctx, c)
    if d := duration_mismatch(ctx, c):
        yield d
    if mine and heard is not None and (d := content_mismatch(ctx, c, mine[0], heard)):
        yield d


def unlogged_call(ctx: Ctx, c: CallRow, end: float) -> Detected | None:
    """UNLOGGED_CALL: a connected inbound call with no entry once the grace period is over."""
    grace = ctx.rules.grace_s
    if c.direction != "in" or ctx.now < end + grace:
        return None
    return Detected("UNLOGGED_CALL", c.id, None,
                    say.say("UNLOGGED_CALL", f"{ctx.who(c)} 没有台账登记"),
                    {"ended_at": iso(end), "grace_s": grace})  # fmt: skip


def duplicate_entries(ctx: Ctx, c: CallRow, mine: list[EntryRow]) -> Iterator[Detected]:
    """DUPLICATE_ENTRY: each entry after the call's first."""
    who = ctx.who(c)
    for e in mine[1:]:
        yield Detected("DUPLICATE_ENTRY", c.id, e.id,
                       say.say("DUPLICATE_ENTRY", f"{who} 登记了 {len(mine)} 条台账"
                               f"（{'、'.join(str(x.id) for x in mine)} 号）"),
                       {"entries": [x.id for x in mine]})  # fmt: skip


def late_registration(ctx: Ctx, c: CallRow, e: EntryRow, end: float) -> Detected | None:
    """LATE_REGISTRATION: the call's entry registered after the grace period."""
    grace = ctx.rules.grace_s
    if e.registered is None or e.registered <= end + grace:
        return None
    return Detected("LATE_REGISTRATION", c.id, e.id,
                    say.say("LATE_REGISTRATION", f"{ctx.who(c)} 挂机后 "
                            f"{say.span(e.registered - end)}才登记（应在 {say.span(grace)}内）"),
                    {"registered_at": iso(e.registered), "ended_at": iso(end),
                     "late_s": round(e.registered - end)})  # fmt: skip


def slow_answer(ctx: Ctx, c: CallRow) -> Detected | None:
    """SLOW_ANSWER: an inbound call answered after more rings than the rule allows."""
    max_rings = ctx.rules.max_rings
    if c.outcome != "answered" or c.direction != "in" or c.rings <= max_rings:
        return None
    return Detected("SLOW_ANSWER", c.id, None,
                    say.say("SLOW_ANSWER", f"{ctx.who(c)} 响铃 {c.rings} 声才接听"
                            f"（应在 {max_rings} 声内）"),
                    {"rings": c.rings, "answered_by": c.answered_by})  # fmt: skip


def missed_no_callback(ctx: Ctx, c: CallRow, end: float, called_back: set[int]
                       ) -> Detected | None:  # fmt: skip
    """MISSED_NO_CALLBACK: a missed inbound call not returned within the callback limit
    (``called_back``: the page's missed calls that were, from ``callbacks``)."""
    limit = ctx.rules.callback_s
    if (c.outcome != "missed" or c.direction != "in" or ctx.now < end + limit
            or c.id in called_back):  # fmt: skip
        return None
    return Detected("MISSED_NO_CALLBACK", c.id, None,
                    say.say("MISSED_NO_CALLBACK", f"{ctx.who(c)}（响铃 {c.rings} 声）"
                            f"{say.span(limit)}内没有回电"),
                    {"rings": c.rings})  # fmt: skip


def no_recording(ctx: Ctx, c: CallRow) -> Detected | None:
    """RECORDING_MISSING: a connected call whose row names no recording (an outbound one
    only when the PBX records those)."""
    if not (c.direction == "in" or (c.direction == "out" and ctx.rules.outbound_recorded)):
        return None
    return Detected("RECORDING_MISSING", c.id, None,
                    say.say("RECORDING_MISSING", f"{ctx.who(c)} 已接听，但没有录音"),
                    {"path": None})  # fmt: skip


def duration_mismatch(ctx: Ctx, c: CallRow) -> Detected | None:
    """DURATION_MISMATCH: the recording much shorter or longer than the call's talk."""
    if c.answered is None or c.ended is None or c.recording_s is None:
        return None
    talk, rec_s = c.ended - c.answered, c.recording_s
    if abs(talk - rec_s) <= max(ctx.rules.duration_tolerance_s, 0.05 * talk):
        return None
    return Detected("DURATION_MISMATCH", c.id, None,
                    say.say("DURATION_MISMATCH", f"{ctx.who(c)} 通话 {say.span(talk)}，"
                            f"录音只有 {say.span(rec_s)}"),
                    {"call_s": round(talk, 1), "recording_s": rec_s})  # fmt: skip


def content_mismatch(ctx: Ctx, c: CallRow, e: EntryRow, heard: dict[str, Any]
                     ) -> Detected | None:  # fmt: skip
    """CONTENT_MISMATCH: the call's entry differs from what the intake heard (content.py)."""
    diffs = differences(e, heard)
    if not diffs:
        return None
    return Detected("CONTENT_MISMATCH", c.id, e.id,
                    say.say("CONTENT_MISMATCH", f"{ctx.who(c)} 的台账（{e.id} 号）与录音不一致："
                            + say.content(diffs)),
                    diffs)  # fmt: skip
