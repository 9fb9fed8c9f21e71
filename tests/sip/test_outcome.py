"""The outcome of an ended call from what the phone did and the dialog's last status (no SIP;
tests/e2e/test_phone.py and test_agent_or_auto.py end real calls each way)."""

from __future__ import annotations

import pytest

from voice.sip.outcome import ended_outcome, rang_until_the_end, refused_outcome


@pytest.mark.parametrize(
    "rejected_with, answered, last_status, outcome",
    [
        (486, False, 486, "busy"),  # every line taken: refused before ringing
        (603, False, 603, "rejected"),  # the agent (or a shutdown) refused it
        (None, True, 200, "answered"),
        (None, True, 500, "answered"),  # how it ended later does not matter
        (None, False, 487, "missed"),  # CANCEL: the caller gave up while it rang
        (None, False, 408, "missed"),
        (None, False, 200, "missed"),
        (None, False, 0, "missed"),
        (None, False, 480, "failed"),
        (None, False, 500, "failed"),
    ],
)
def test_ended_outcome(rejected_with, answered, last_status, outcome):
    got = ended_outcome(rejected_with=rejected_with, answered=answered, last_status=last_status)
    assert got == outcome


@pytest.mark.parametrize(
    "outcome, counted",
    [("missed", True), ("rejected", True), ("answered", False), ("busy", False),
     ("failed", False)],
)  # fmt: skip
def test_rings_run_to_the_end_only_for_a_call_nobody_answered(outcome, counted):
    assert rang_until_the_end(outcome) is counted


def test_an_invite_refused_before_ringing_is_busy_only_for_486():
    assert refused_outcome(486) == "busy"
    assert [refused_outcome(c) for c in (500, 503, 488)] == ["failed"] * 3
