"""RFC 5373 ``Answer-Mode: Auto`` and ``Call-Info: ...;answer-after=N`` in an INVITE.

A caller (an intercom, a paging PBX) may ask to be answered at once or after N seconds.
The phone honours it only when configured to (``phone.honour_answer_mode``): otherwise any
caller could open the front desk's microphone without anyone answering.
"""

from __future__ import annotations

import re

from voice.sip.sipmsg import headers

_AFTER = re.compile(r";\s*answer-after\s*=\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def requested_answer_delay(msg: str) -> float | None:
    """Seconds after which the caller asks to be answered automatically, or None."""
    delays: list[float] = []
    for name, value in headers(msg):
        if name in ("answer-mode", "priv-answer-mode"):
            if value.split(";", 1)[0].strip().lower() == "auto":
                delays.append(0.0)
        elif name == "call-info":
            delays += [float(m.group(1)) for m in _AFTER.finditer(value)]
    return min(delays) if delays else None
