"""English addresses: "Building 4, Unit 2, Room 301", "block 5 unit 1 flat 1002",
"unit 301, building 4, entrance 2", "4-2-301"."""

from __future__ import annotations

import re

from voice.intake.address import AddressMatch

PUBLIC_AREAS = {
    "电梯": ("lift", "elevator"), "地下车库": ("garage", "parking lot", "car park"),
    "大堂": ("lobby",), "楼道灯": ("corridor light", "hallway light", "stair light"),
    "楼道": ("corridor", "hallway", "stairwell"), "小区大门": ("gate", "main entrance"),
}  # fmt: skip
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
    # "unit" is the 单元 when a room is named too (Building 4, Unit 2, Room 301) or when its
    # number is small; "unit 301" alone is a flat
    room_word = re.search(rf"\b(?:room|apartment|apt|flat|suite)\s*(?:no\.?\s*)?{_NUM}", t)
    unit_word = re.search(rf"\b(?:unit|entrance|stairway|staircase)\s*(?:no\.?\s*)?{_NUM}", t)
    building = re.search(rf"\b(?:building|block|bldg|tower)\s*(?:no\.?\s*)?{_NUM}", t)
    if building and a.building is None:
        a.building = _n(building.group(1))
        m.spans.append(building.span())
    if unit_word and a.unit is None:
        n = _n(unit_word.group(1))
        if room_word or not n.isdigit() or int(n) < 30:
            a.unit = n
        elif a.room is None:
            a.room = n
        m.spans.append(unit_word.span())
    if room_word and a.room is None:
        a.room = _n(room_word.group(1))
        m.spans.append(room_word.span())
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
