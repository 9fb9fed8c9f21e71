"""Numbers as English speakers say them in an address, written as digits: "room five oh
one" → 501, "fourteen-oh-two" → 1402, "two thousand and three" → 2003, "twenty-one" → 21,
"double five" → 55. A room said digit by digit is the digits side by side; a number with
hundred or thousand is its value. The map back to the original text keeps evidence spans
pointing at what the caller said."""

from __future__ import annotations

import re

UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
         "seven": 7, "eight": 8, "nine": 9}  # fmt: skip
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}  # fmt: skip
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1000}
REPEATS = {"double": 2, "triple": 3}
# "oh"/"o" is a zero only between number words ("five oh one"), never "Oh, sorry"
ZEROS = {"oh", "o"}
_WORD = re.compile(r"[a-z]+")


def _is_number(w: str) -> bool:
    return w in UNITS or w in TEENS or w in TENS or w in SCALES


def _value(words: list[str]) -> str | None:
    """The digits a run of number words stands for, or None if it is not one number."""
    if any(w in SCALES for w in words):
        total, part = 0, 0
        for w in words:
            if w == "and":
                continue
            if w in SCALES:
                part = (part or 1) * SCALES[w]
                if SCALES[w] == 1000:
                    total, part = total + part, 0
            elif w in UNITS or w in TEENS or w in TENS:
                part += UNITS.get(w, TEENS.get(w, TENS.get(w, 0)))
            else:
                return None
        return str(total + part)
    out, i = "", 0
    while i < len(words):
        w = words[i]
        if w in REPEATS and i + 1 < len(words) and words[i + 1] in UNITS:
            out += str(UNITS[words[i + 1]]) * REPEATS[w]
            i += 2
            continue
        if w in TENS:
            n = TENS[w]
            if i + 1 < len(words) and words[i + 1] in UNITS and UNITS[words[i + 1]]:
                n += UNITS[words[i + 1]]
                i += 1
            out += str(n)
        elif w in TEENS:
            out += str(TEENS[w])
        elif w in UNITS:
            out += str(UNITS[w])
        elif w in ZEROS:
            out += "0"
        else:
            return None
        i += 1
    return out


def digits_for_words(text: str) -> tuple[str, list[int], list[int]]:
    """``text`` lower-cased with every run of number words (joined by spaces or hyphens)
    replaced by its digits, and for each character of the result where in ``text`` what it
    stands for starts and ends (a span (s, e) of the result is text[starts[s]:ends[e - 1]])."""
    t = text.lower()
    words = list(_WORD.finditer(t))
    out: list[str] = []
    where: list[int] = []
    ends: list[int] = []
    pos = 0
    i = 0
    while i < len(words):
        w = words[i].group()
        if not (_is_number(w) or (w in REPEATS and i + 1 < len(words) and words[i + 1].group() in UNITS)):
            i += 1
            continue
        j = i + 1
        while j < len(words):  # the run goes on over spaces and hyphens only
            gap = t[words[j - 1].end() : words[j].start()]
            nxt = words[j].group()
            joins = gap.strip(" -") == "" and len(gap) <= 3
            wordy = _is_number(nxt) or nxt in REPEATS or (nxt == "and" and j + 1 < len(words)
                                                          and _is_number(words[j + 1].group()))
            if not joins or not (wordy or nxt in ZEROS):
                break
            j += 1
        run = [m.group() for m in words[i:j]]
        while run and run[-1] in ZEROS | {"and"} and len(run) > 1:  # a trailing "oh" is a word
            run.pop()
            j -= 1
        digits = _value(run)
        if digits is None:
            i += 1
            continue
        start, end = words[i].start(), words[j - 1].end()
        out.append(t[pos:start])
        where.extend(range(pos, start))
        ends.extend(range(pos + 1, start + 1))
        out.append(digits)
        where.extend([start] * len(digits))
        ends.extend([end] * len(digits))
        pos = end
        i = j
    out.append(t[pos:])
    where.extend(range(pos, len(t)))
    ends.extend(range(pos + 1, len(t) + 1))
    return "".join(out), where, ends
