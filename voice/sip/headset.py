"""One agent, several lines: which line the headset is on, decided from the lines' states.

The headset (microphone and earpiece) is connected to one answered line at a time. Another
line answered meanwhile hears the greeting and then waits; it never hears the agent's
conversation with someone else. Taking a line, answering one as the agent or resuming a held
one puts the line in the headset on hold; when the line in the headset is held or ends, the
longest-waiting line comes to the headset. Pure functions: the phone carries them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from domain.calls import AnsweredBy
from voice.sip.line_state import LineState

T = TypeVar("T")


class Sip(StrEnum):
    """The re-INVITE a move sends for its line."""

    HOLD = "hold"
    UNHOLD = "unhold"


class Headset(StrEnum):
    """What a move does with the headset."""

    TAKE = "take"  # the line comes to the headset; the one there (if any) goes on hold
    RELEASE = "release"  # the line leaves it; the longest-waiting line comes instead


@dataclass(frozen=True)
class Move:
    to: LineState  # the line's state once the move is done
    sip: Sip | None = None  # None: no re-INVITE
    headset: Headset | None = None  # None: the headset stays where it is


def take(state: LineState) -> Move | None:
    """The agent takes a waiting or held line into the headset; None: not from ``state``."""
    if state is LineState.WAITING:
        return Move(LineState.ON_HEADSET, None, Headset.TAKE)
    if state is LineState.HELD:
        return Move(LineState.ON_HEADSET, Sip.UNHOLD, Headset.TAKE)
    return None


def hold(state: LineState, held: bool) -> Move | None:
    """Hold (``held``) or resume an answered line; None: not from ``state``."""
    if not held:
        return take(state) if state is LineState.HELD else None
    if state is LineState.ON_HEADSET:
        return Move(LineState.HELD, Sip.HOLD, Headset.RELEASE)
    if state is LineState.WAITING:
        return Move(LineState.HELD, Sip.HOLD, None)
    return None


def answer(by: AnsweredBy, headset_free: bool) -> Move:
    """A ringing line answered: the agent's answer takes the headset; the policy's only
    when nobody is in it (otherwise the caller hears the greeting and waits)."""
    if by == "agent" or headset_free:
        return Move(LineState.ON_HEADSET, None, Headset.TAKE)
    return Move(LineState.WAITING, None, None)


def next_line(lines: Iterable[tuple[T, LineState, datetime]]) -> T | None:
    """The line the headset goes to when it is free: of ``(line, state, answered at)``, the
    longest-waiting line in state WAITING (answered, not held); the first listed on a tie."""
    waiting = [(line, since) for line, state, since in lines if state is LineState.WAITING]
    return min(waiting, key=lambda w: w[1], default=(None, None))[0]
