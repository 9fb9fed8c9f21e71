"""Which line a control command means (pure, no SIP), and the protocol's written list of
commands matching the ones the phone carries out. tests/e2e/test_phone.py and
test_agent_or_auto.py send real commands to a real phone."""

from __future__ import annotations

import pytest

from voice.sip import control
from voice.sip.commands import ACTIONS, CommandError, pick
from voice.sip.line_state import LineState as S

LINES = [
    ("a", S.ON_HEADSET),
    ("b", S.WAITING),
    ("c", S.RINGING),
    ("d", S.REFUSED),  # busy: its 486 is on the way
    ("e", S.ENDED),
]


@pytest.mark.parametrize(
    "lines, cmd, index",
    [
        (LINES, "answer", 2),  # the only ringing line
        (LINES, "reject", 2),
        (LINES, "take", 1),  # the waiting one, not the one already in the headset
        ([("a", S.ON_HEADSET), ("b", S.HELD)], "take", 1),
        ([("a", S.ON_HEADSET), ("c", S.RINGING)], "hangup", 0),  # hang up means an answered line
        ([("b", S.HELD), ("e", S.ENDED)], "unhold", 0),
    ],
)
def test_a_command_without_a_call_means_the_only_line_it_fits(lines, cmd, index):
    assert pick(lines, cmd, None) == index


@pytest.mark.parametrize(
    "lines, cmd",
    [
        (LINES, "hangup"),  # two answered lines: which?
        ([("a", S.ON_HEADSET), ("d", S.REFUSED), ("e", S.ENDED)], "answer"),  # none rings
        ([("a", S.ON_HEADSET)], "take"),  # already in the headset
        ([], "mute"),
    ],
)
def test_no_line_or_several_is_an_error_asking_for_the_call(lines, cmd):
    with pytest.raises(CommandError, match='calls fit; name one with "call"'):
        pick(lines, cmd, None)


def test_a_named_call_is_taken_whatever_its_state_unless_ended_or_refused():
    assert pick(LINES, "hangup", "c") == 2
    assert pick(LINES, "answer", "a") == 0  # the phone then says it cannot answer it now
    for gone in ("d", "e", "zz"):
        with pytest.raises(CommandError, match=f"no active call {gone}"):
            pick(LINES, "hangup", gone)


def test_every_command_the_phone_carries_out_is_in_the_written_protocol():
    doc = control.__doc__ or ""
    assert [c for c in (*ACTIONS, "status", "subscribe") if f'"{c}"' not in doc] == []
