"""One line's state, named once: what the phone publishes, what the desk shows.

Worked out here from the call's facts (answered, ended, refused, held, in the headset) so the
phone, the control socket and desk.js never each recompute it.
"""

from __future__ import annotations

from enum import StrEnum


class LineState(StrEnum):
    RINGING = "ringing"  # not answered yet; the ring policy is counting
    REFUSED = "refused"  # rejected or busy; the final response is on its way
    ON_HEADSET = "on_headset"  # answered and connected to the agent's headset
    WAITING = "waiting"  # answered (by the policy), greeted, waiting for the agent to take it
    HELD = "held"  # put on hold (re-INVITE sent)
    ENDED = "ended"

    @property
    def takes_a_line(self) -> bool:
        """Ringing or answered: counts against max_lines and may be commanded (a refused
        line's slot is already being freed)."""
        return self not in (LineState.ENDED, LineState.REFUSED)


def line_state(*, answered: bool, ended: bool, refused: bool, held: bool,
               on_headset: bool) -> LineState:  # fmt: skip
    if ended:
        return LineState.ENDED
    if refused:
        return LineState.REFUSED
    if not answered:
        return LineState.RINGING
    if held:
        return LineState.HELD
    return LineState.ON_HEADSET if on_headset else LineState.WAITING
