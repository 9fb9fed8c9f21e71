"""The control socket's commands carried out on the phone, and the call as the socket shows it.

The protocol is written down in voice/sip/control.py; this module answers one command with
what the phone exposes (``Lines``). Which line a command without ``"call"`` means is decided
from the lines' states by ``pick``, a pure function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from domain.calls import AnsweredBy
from voice.sip.line_state import LineState

if TYPE_CHECKING:
    from voice.sip.phone import LiveCall


class Lines(Protocol):
    """What the commands need of the phone (voice/sip/phone.py : Phone)."""

    calls: list[LiveCall]

    def line_state(self, live: LiveCall) -> LineState: ...
    def describe(self, live: LiveCall) -> dict: ...
    def answer(self, live: LiveCall, by: AnsweredBy = "agent") -> bool: ...
    def reject(self, live: LiveCall) -> bool: ...
    def hangup(self, live: LiveCall, code: int | None = None) -> bool: ...
    def set_mute(self, live: LiveCall, muted: bool) -> bool: ...
    def set_hold(self, live: LiveCall, held: bool) -> bool: ...
    def take(self, live: LiveCall) -> bool: ...


ACTIONS: dict[str, Callable[[Lines, LiveCall], bool]] = {
    "answer": lambda p, c: p.answer(c, by="agent"),
    "reject": lambda p, c: p.reject(c),
    "hangup": lambda p, c: p.hangup(c),
    "mute": lambda p, c: p.set_mute(c, True),
    "unmute": lambda p, c: p.set_mute(c, False),
    "hold": lambda p, c: p.set_hold(c, True),
    "unhold": lambda p, c: p.set_hold(c, False),
    "take": lambda p, c: p.take(c),
}

_ANSWERED = frozenset({LineState.ON_HEADSET, LineState.WAITING, LineState.HELD})
# the lines a command without "call" may mean; every other command means an answered line
FITS: dict[str, frozenset[LineState]] = {
    "answer": frozenset({LineState.RINGING}),
    "reject": frozenset({LineState.RINGING}),
    "take": frozenset({LineState.WAITING, LineState.HELD}),  # not the one already in it
}


class CommandError(ValueError):
    """A command that names no line, or too many."""


def pick(lines: Sequence[tuple[str, LineState]], cmd: str, call_uuid: str | None) -> int:
    """The index of the line a command means, of ``(uuid, state)``: the one named, or the
    only one its command fits. Ended and refused lines are never meant."""
    active = [i for i, (_, s) in enumerate(lines) if s.takes_a_line]
    if call_uuid:
        for i in active:
            if lines[i][0] == call_uuid:
                return i
        raise CommandError(f"no active call {call_uuid}")
    wanted = FITS.get(cmd, _ANSWERED)
    fits = [i for i in active if lines[i][1] in wanted]
    if len(fits) != 1:
        raise CommandError(f'{len(fits)} calls fit; name one with "call": <uuid>')
    return fits[0]


def handle(phone: Lines, msg: dict) -> dict:
    """One command (``subscribe`` is the socket's own) → its reply."""
    cmd = msg["cmd"]
    if cmd == "status":
        return {"ok": True, "calls": [phone.describe(c) for c in phone.calls if not c.ended]}
    action = ACTIONS.get(cmd)
    if action is None:
        return {
            "ok": False,
            "error": f"unknown command {cmd!r}; known: status, subscribe, " + ", ".join(ACTIONS),
        }
    calls = list(phone.calls)
    try:
        live = calls[pick([(c.record.uuid, phone.line_state(c)) for c in calls], cmd,
                          msg.get("call"))]  # fmt: skip
    except CommandError as exc:
        return {"ok": False, "error": str(exc)}
    if action(phone, live):
        return {"ok": True, "call": phone.describe(live)}
    return {
        "ok": False,
        "error": f"cannot {cmd} call {live.record.uuid} now",
        "call": phone.describe(live),
    }


def call_view(live: LiveCall, line: LineState, rings: int, focused: bool) -> dict:
    """A call as the socket sends it (the fields are listed in voice/sip/control.py)."""
    r = live.record
    return {
        "uuid": r.uuid,
        "state": "ended" if live.ended else "active" if live.answered else "ringing",
        "caller": r.caller,
        "caller_name": r.caller_name,
        "callee": r.callee,
        "invited_at": r.invited_at.isoformat(),
        "answered_at": r.answered_at.isoformat() if r.answered_at else None,
        "rings": rings,
        "answered_by": r.answered_by,
        "muted": live.muted,
        "held": live.held,
        "focused": focused,
        "line": line.value,
        "outcome": r.outcome if live.ended else None,
    }
