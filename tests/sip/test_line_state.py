"""A line's state from its facts: the one place the phone and the desk agree on."""

from __future__ import annotations

import pytest

from voice.sip.line_state import LineState, line_state


@pytest.mark.parametrize(
    "facts, state",
    [
        ({}, LineState.RINGING),
        ({"refused": True}, LineState.REFUSED),
        ({"answered": True, "on_headset": True}, LineState.ON_HEADSET),
        ({"answered": True}, LineState.WAITING),  # greeted by the policy, agent busy
        ({"answered": True, "held": True, "on_headset": False}, LineState.HELD),
        ({"answered": True, "held": True, "on_headset": True}, LineState.HELD),
        ({"answered": True, "ended": True, "on_headset": True}, LineState.ENDED),
        ({"refused": True, "ended": True}, LineState.ENDED),
    ],
)
def test_line_state(facts, state):
    base = {"answered": False, "ended": False, "refused": False, "held": False, "on_headset": False}
    assert line_state(**{**base, **facts}) == state


def test_only_ringing_and_answered_lines_take_a_line():
    assert [s for s in LineState if s.takes_a_line] == [
        LineState.RINGING, LineState.ON_HEADSET, LineState.WAITING, LineState.HELD,
    ]  # fmt: skip
