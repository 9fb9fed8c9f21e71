"""The outcome of an ended call, from what the phone did and how the call ended.

``busy``: refused with 486 because every line was taken (by the phone, or by pjsua before the
phone saw the INVITE: ``refused_outcome``); ``rejected``: the agent (or a shutdown) refused it
while it rang; ``answered``: by the agent or the ring policy; ``missed``: the caller gave up
while it rang (CANCEL → 487, a 408, or a last status below 300: no failure response);
``failed``: anything else. ``interrupted`` is given only at recovery, to calls a dead phone
left behind (voice/sip/finisher.py : ``Finisher.recover``).
"""

from __future__ import annotations

from domain.calls import Outcome

CALLER_GAVE_UP = (487, 408)  # Request Terminated (CANCEL), Request Timeout


def ended_outcome(*, rejected_with: int | None, answered: bool, last_status: int) -> Outcome:
    """``rejected_with``: the final response we sent while it rang (486, 603), if any;
    ``last_status``: the last SIP status of the dialog (pjsua's ``lastStatusCode``)."""
    if rejected_with == 486:
        return "busy"
    if rejected_with is not None:
        return "rejected"
    if answered:
        return "answered"
    if last_status in CALLER_GAVE_UP or last_status < 300:
        return "missed"
    return "failed"


def rang_until_the_end(outcome: Outcome) -> bool:
    """Whether the call's rings are counted up to its end: it rang and nobody answered."""
    return outcome in ("rejected", "missed")


def refused_outcome(code: int) -> Outcome:
    """An INVITE pjsua answered itself before ringing: 486 when every call slot was taken."""
    return "busy" if code == 486 else "failed"
