"""English addresses: "Building 4, Unit 2, Room 301", "block 5 unit 1 flat 1002",
"unit 301, building 4, entrance 2", "4-2-301", numbers said as words ("building fifteen,
unit one, room nine-oh-four"), a room with no word before it ("Building 9, Unit 2, 1601";
"302 in Building 6") and a room corrected ("fourteen-oh-two. Sorry, fifteen-oh-two")."""

from __future__ import annotations

import re

from voice.intake.address import AddressMatch
from voice.intake.english_numbers import digits_for_words

PUBLIC_AREAS = {
    "电梯": ("lift", "elevator"), "地下车库": ("garage", "parking lot", "car park"),
    "大堂": ("lobby",), "楼道灯": ("corridor light", "hallway light", "stair light"),
    "楼道": ("corridor", "hallway", "stairwell"), "小区大门": ("gate", "main entrance"),
}  # fmt: skip
_NO = r"\s*(?:no\.?\s*|number\s*|#\s*)?"
CODE = re.compile(r"\b(\d{1,3})-(\d{1,2})-(\d{3,4})\b")
ROOM = re.compile(rf"(?:\b(?:room|apartment|apt|flat|suite)|#){_NO}(\d{{1,4}})\b")
UNIT = re.compile(rf"\b(?:unit|entrance|stairway|staircase){_NO}(\d{{1,4}})\b")
BUILDING = re.compile(rf"\b(?:building|block|bldg|tower){_NO}(\d{{1,3}})\b")
# a room said bare: right after the unit, or just before the building it is in
ROOM_AFTER_UNIT = re.compile(
    rf"\b(?:unit|entrance|stairway|staircase){_NO}\d{{1,2}}\b[\s,]*(?:and\s+)?(\d{{3,4}})\b(?![\s-]*\d)"
)
ROOM_BEFORE_BUILDING = re.compile(
    r"(?<![\d-])(?<!\d\s)\b(\d{3,4})\b[\s,]*(?:in|of|at|on)?\s*(?:the\s+)?(?:building|block|tower)\b"
)
# the caller puts the room right: "… fourteen-oh-two. Oh sorry, fifteen-oh-two"
CORRECTED_ROOM = re.compile(
    r"\b(?:sorry|i mean|no wait|no,\s*wait|correction|actually)\b[\s,.]*(?:i mean\s*)?"
    rf"(?:it'?s\s*|that'?s\s*)?(?:(?:room|apartment|apt|flat|suite){_NO})?(\d{{3,4}})\b(?![\s-]*\d)"
)


def parse_address_en(text: str) -> AddressMatch:
    t, starts, ends = digits_for_words(text)
    m = AddressMatch()
    a = m.address

    def keep(match: re.Match, group: int = 0) -> None:
        s, e = match.span(group)
        m.spans.append((starts[s], ends[e - 1]))

    code = CODE.search(t)
    if code:
        a.building, a.unit, a.room = code.group(1), code.group(2), code.group(3)
        keep(code)
    # "unit" is the 单元 when a room is named too (Building 4, Unit 2, Room 301) or when its
    # number is small; "unit 301" alone is a flat
    room_word = ROOM.search(t) or ROOM_AFTER_UNIT.search(t) or ROOM_BEFORE_BUILDING.search(t)
    unit_word = UNIT.search(t)
    building = BUILDING.search(t)
    if building and a.building is None:
        a.building = building.group(1)
        keep(building)
    if unit_word and a.unit is None:
        n = unit_word.group(1)
        if room_word or int(n) < 30:
            a.unit = n
        elif a.room is None:
            a.room = n
        keep(unit_word)
    if room_word and a.room is None:
        a.room = room_word.group(1)
        keep(room_word, 1)
    fix = CORRECTED_ROOM.search(t, room_word.end() if room_word else 0)
    if fix and a.room and fix.group(1) != a.room:
        a.room = fix.group(1)
        keep(fix)
    for name, words in PUBLIC_AREAS.items():
        hit = next((w for w in words if w in t), None)
        if hit:
            a.public_area = name
            s = t.find(hit)
            m.spans.append((starts[s], ends[s + len(hit) - 1]))
            break
    if a.public_area and a.room:
        a.public_area = None
    m.confidence = 0.9 if a.code() else (0.6 if (a.building or a.room or a.public_area) else 0.0)
    return m
