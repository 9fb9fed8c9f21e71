"""Reading header fields from a raw SIP message (pjsua2 hands some callbacks only the text)."""

from __future__ import annotations

import re

COMPACT = {"i": "call-id", "f": "from", "t": "to", "m": "contact", "v": "via"}


def headers(msg: str) -> list[tuple[str, str]]:
    """(lower-case name, value) pairs of the header section, compact names expanded."""
    head = re.split(r"\r?\n\r?\n", msg, maxsplit=1)[0]
    out: list[tuple[str, str]] = []
    for line in re.split(r"\r?\n", head)[1:]:  # skip the request line
        if line[:1] in (" ", "\t") and out:  # folded continuation line
            out[-1] = (out[-1][0], out[-1][1] + " " + line.strip())
        elif ":" in line:
            name, value = line.split(":", 1)
            name = name.strip().lower()
            out.append((COMPACT.get(name, name), value.strip()))
    return out


def header(msg: str, name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive), or None."""
    want = name.lower()
    return next((v for n, v in headers(msg) if n == want), None)
