"""Phone numbers and rooms in a first-pass transcript, and which re-decoded reading to keep.

Whisper base mishears digits (a repeat collapsed, 幺 heard as 要 or dropped, a filler such as
有 inside a number, 4.0.3 for 四零三). What a caller gives has a known shape: a mainland
mobile number is 11 digits from 1[3-9], a room 3-4 digits after 单元. ``doubtful`` says which
utterances deserve a second look; ``pick`` takes, from several readings of the same audio
(beam candidates, samples), the reading of each doubtful number that is well formed and
that most readings agree on, and leaves everything else as the first pass wrote it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from voice.asr.digits import DIGIT, suspect

PHONE_CUE = re.compile(r"电话|手机|号码|联系|回电|打给")
ROOM_CUE = re.compile(r"单元|房号|门牌")
MOBILE = re.compile(r"1[3-9]\d{9}")
# a digit as said or written (要 is 幺 heard wrong), and what may stand between the digits of
# one number: group separators, the dots Whisper writes (4.0.3), one filler (有, 要)
_D = "".join(DIGIT) + "要"
_RUN = re.compile(rf"[{_D}](?:[ ,，、.\-‐–—·]*[{_D}])*")
CUE_REACH = 4  # characters between a cue and its number (电话是, 手机号码是)
FILLER = 2  # characters between two runs of one phone number (…九，有九九九…)
MAX_EDITS = 2  # digits a reading may change in a number (inserted, dropped or replaced)


@dataclass(frozen=True)
class NumberSpan:
    start: int  # in the text
    end: int
    digits: str
    kind: str  # "phone" | "room" | "number"

    def well_formed(self) -> bool:
        if self.kind == "phone":
            return bool(MOBILE.fullmatch(self.digits))
        if self.kind == "room":
            return len(self.digits) in (3, 4)
        return not suspect(self.digits)


def _digits(raw: str) -> str:
    return "".join(DIGIT.get(c, "1" if c == "要" else "") for c in raw)


def number_spans(text: str) -> list[NumberSpan]:
    """Phone numbers (after a cue, or 7+ digits from 1), rooms (after 单元) and other numbers
    of three digits or more said digit by digit, in order."""
    runs = [(m.start(), m.end(), _digits(m.group(0))) for m in _RUN.finditer(text)]
    out: list[NumberSpan] = []
    i = 0
    while i < len(runs):
        a, b, d = runs[i]
        before = text[max(0, a - CUE_REACH - 2) : a]
        cue = PHONE_CUE.search(before)
        if cue and a - (max(0, a - CUE_REACH - 2) + cue.end()) <= CUE_REACH:
            # a phone number: the runs that follow with at most a filler between them
            while i + 1 < len(runs) and runs[i + 1][0] - b <= FILLER and len(d) < 11:
                b, d = runs[i + 1][1], d + runs[i + 1][2]
                i += 1
            if len(d) >= 3:  # 号码的一句话: a word, not a number
                out.append(NumberSpan(a, b, d, "phone"))
        elif ROOM_CUE.search(text[max(0, a - 2) : a]) and len(d) >= 2:
            out.append(NumberSpan(a, b, d, "room"))
        elif len(d) >= 7 and d.startswith("1"):
            out.append(NumberSpan(a, b, d, "phone"))
        elif len(d) >= 3 and not text[a:b].startswith("要"):
            out.append(NumberSpan(a, b, d, "number"))
        i += 1
    return out


def doubtful(text: str) -> NumberSpan | None:
    """The first phone number or room that is not well formed; None: the numbers need no
    second look. (Doubting also numbers whose digits Whisper gave a low probability sent
    twice as many utterances to the second pass on the dev split and mended none more.)"""
    return next((s for s in number_spans(text) if s.kind in ("phone", "room") and not s.well_formed()), None)


def edits(a: str, b: str) -> int:
    """Levenshtein distance between two digit strings."""
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[len(b)]


def pick(first: str, readings: Sequence[str]) -> str:
    """``first`` with each phone number or room that is not well formed replaced by the
    well-formed reading of the same kind that most ``readings`` give (ties: the earlier
    reading, the decoder's better one). Only when ``first`` holds one number of that kind,
    so it is clear which, and only by a reading at most ``MAX_EDITS`` digits from it: a
    reading mends a digit or two, it does not put a different number in the caller's mouth."""
    spans = number_spans(first)
    fixes: list[tuple[NumberSpan, str]] = []
    for kind in ("phone", "room"):
        mine = [s for s in spans if s.kind == kind]
        if len(mine) != 1 or mine[0].well_formed():
            continue
        votes: Counter[str] = Counter()
        order: dict[str, int] = {}
        for k, r in enumerate(readings):
            for d in {s.digits for s in number_spans(r) if s.kind == kind and s.well_formed()}:
                if edits(d, mine[0].digits) <= MAX_EDITS:
                    votes[d] += 1
                    order.setdefault(d, k)
        if votes:
            fixes.append((mine[0], max(votes, key=lambda d: (votes[d], -order[d]))))
    out = first
    for s, d in sorted(fixes, key=lambda f: -f[0].start):  # from the end: offsets stay right
        out = out[: s.start] + d + out[s.end :]
    return out
