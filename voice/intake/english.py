"""English addresses: "unit 301, building 4, entrance 2", "building 4 room 301", "4-2-301"."""

from __future__ import annotations

import re

from voice.intake.address import AddressMatch
from voice.intake.lexicon_en import PUBLIC_AREAS

_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
          "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12"}  # fmt: skip
_NUM = r"(\d+|" + "|".join(_WORDS) + r")"


def _n(s: str) -> str:
    return _WORDS.get(s.lower(), s)


def parse_address_en(text: str) -> AddressMatch:
    t = text.lower()
    m = AddressMatch()
    a = m.address
    code = re.search(r"\b(\d{1,3})-(\d{1,2})-(\d{3,4})\b", t)
    if code:
        a.building, a.unit, a.room = code.group(1), code.group(2), code.group(3)
        m.spans.append(code.span())
    for pattern, attr in (
        (rf"\b(?:building|block|bldg|tower)\s*(?:no\.?\s*)?{_NUM}", "building"),
        (rf"\b(?:entrance|stairway|staircase)\s*{_NUM}", "unit"),
        (rf"\b(?:unit|room|apartment|apt|flat)\s*(?:no\.?\s*)?{_NUM}", "room"),
    ):
        mm = re.search(pattern, t)
        if mm and getattr(a, attr) is None:
            setattr(a, attr, _n(mm.group(1)))
            m.spans.append(mm.span())
    for name, words in PUBLIC_AREAS.items():
        hit = next((w for w in words if w in t), None)
        if hit:
            a.public_area = name
            m.spans.append((t.find(hit), t.find(hit) + len(hit)))
            break
    if a.public_area and a.room:
        a.public_area = None
    m.confidence = 0.9 if a.code() else (0.6 if (a.building or a.room or a.public_area) else 0.0)
    return m
