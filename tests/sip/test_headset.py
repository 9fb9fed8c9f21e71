"""Which line the headset takes and what take/hold do from each line state: pure functions,
no SIP (the real phone carries them out in tests/e2e and the desk's two-line browser test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from voice.sip import headset
from voice.sip.headset import Headset, Move, Sip
from voice.sip.line_state import LineState as S

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def at(s: int) -> datetime:
    return T0 + timedelta(seconds=s)


@pytest.mark.parametrize(
    "state, move",
    [
        (S.WAITING, Move(S.ON_HEADSET, None, Headset.TAKE)),  # greeted, waiting: just connect
        (S.HELD, Move(S.ON_HEADSET, Sip.UNHOLD, Headset.TAKE)),  # resumed first
        (S.ON_HEADSET, None),  # already there
        (S.RINGING, None),  # answer it instead
        (S.REFUSED, None),
        (S.ENDED, None),
    ],
)
def test_take(state, move):
    assert headset.take(state) == move


@pytest.mark.parametrize(
    "state, held, move",
    [
        (S.ON_HEADSET, True, Move(S.HELD, Sip.HOLD, Headset.RELEASE)),  # the next line comes in
        (S.WAITING, True, Move(S.HELD, Sip.HOLD, None)),  # the headset stays where it is
        (S.HELD, False, Move(S.ON_HEADSET, Sip.UNHOLD, Headset.TAKE)),  # resuming is taking
        (S.HELD, True, None),
        (S.ON_HEADSET, False, None),
        (S.WAITING, False, None),
        (S.RINGING, True, None),
        (S.REFUSED, True, None),
        (S.ENDED, True, None),
        (S.ENDED, False, None),
    ],
)
def test_hold_and_resume(state, held, move):
    assert headset.hold(state, held) == move


def test_only_the_agents_answer_takes_a_busy_headset():
    assert headset.answer("agent", headset_free=False) == Move(S.ON_HEADSET, None, Headset.TAKE)
    assert headset.answer("agent", headset_free=True) == Move(S.ON_HEADSET, None, Headset.TAKE)
    assert headset.answer("auto", headset_free=True) == Move(S.ON_HEADSET, None, Headset.TAKE)
    assert headset.answer("auto", headset_free=False) == Move(S.WAITING, None, None)


def test_next_line_is_the_longest_waiting_one_never_held_ringing_or_ended():
    lines = [
        ("held", S.HELD, at(0)),
        ("ringing", S.RINGING, at(1)),
        ("later", S.WAITING, at(30)),
        ("ended", S.ENDED, at(2)),
        ("sooner", S.WAITING, at(10)),
        ("refused", S.REFUSED, at(3)),
    ]
    assert headset.next_line(lines) == "sooner"
    assert headset.next_line(lines[:4]) == "later"
    assert headset.next_line(lines[:2]) is None
    assert headset.next_line([]) is None


def test_next_line_on_a_tie_is_the_first_listed():
    assert headset.next_line([("a", S.WAITING, at(5)), ("b", S.WAITING, at(5))]) == "a"
