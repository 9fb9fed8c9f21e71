"""Measures of a transcript against what was said (tests and bench/asr.py).

- ``cer``: character error rate, the measure used for Mandarin.
- ``digit_runs``: the numbers said digit by digit (phone numbers, rooms) as digit strings,
  for digit-sequence exactness: a number is right only if every digit is.
- ``tail_loss``: characters lost at the ends of utterances (what VAD or a decoder that
  stops early drops: the last words, often a phone number).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_CN_DIGITS = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
# how a digit is said (幺 one, 两 two, 洞 zero) or written, → the digit
DIGIT_OF = {
    **{c: str(i) for i, c in enumerate("零一二三四五六七八九")},
    **{str(i): str(i) for i in range(10)},
    **{chr(ord("０") + i): str(i) for i in range(10)},
    "〇": "0", "洞": "0", "幺": "1", "两": "2",
}  # fmt: skip
# separators a number said in groups is written with (138，6677，2201 / 138-6677-2201)
_GROUP_SEP = re.compile(r"[\s,，、\-‐–—·]+")


def normalise_for_cer(text: str) -> str:
    """Simplified script, digits as Chinese numerals (Whisper writes 301 for 三零一), 幺/两/洞
    as 一/二/零, no punctuation."""
    from voice.asr.normalise import to_simplified

    t = "".join(_CN_DIGITS.get(c, c) for c in to_simplified(text))
    t = t.replace("幺", "一").replace("两", "二").replace("洞", "零")
    return re.sub(r"\W", "", t)


def edits(ref: str, hyp: str) -> list[tuple[str, int | None, int | None]]:
    """A minimal alignment: (op, ref index, hyp index) with op "=", "s", "d" (ref char not
    in hyp) or "i" (hyp char not in ref)."""
    n, m = len(ref), len(hyp)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]))
    out: list[tuple[str, int | None, int | None]] = []
    i, j = n, m
    while i or j:
        if i and j and d[i][j] == d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            out.append(("=" if ref[i - 1] == hyp[j - 1] else "s", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and d[i][j] == d[i - 1][j] + 1:
            out.append(("d", i - 1, None))
            i -= 1
        else:
            out.append(("i", None, j - 1))
            j -= 1
    return out[::-1]


def error_count(ref: str, hyp: str) -> tuple[int, int]:
    """(edit distance, reference length) of the normalised texts."""
    ref, hyp = normalise_for_cer(ref), normalise_for_cer(hyp)
    d = list(range(len(hyp) + 1))
    for i, a in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, b in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (a != b))
    return d[len(hyp)], len(ref)


def cer(ref: str, hyp: str) -> float:
    """Edit distance between the normalised texts over the reference length."""
    e, n = error_count(ref, hyp)
    return e / max(1, n)


def digit_runs(text: str, min_len: int = 3) -> list[str]:
    """Numbers said digit by digit, as digit strings, in order: "四栋二单元三零一，电话幺三八，
    六六七七，二二零一" → ["301", "13866772201"]. Groups split only by commas, spaces or
    dashes are one number. Runs shorter than ``min_len`` (building 4, unit 2, 一下) are not
    numbers a caller spells out."""
    t = _GROUP_SEP.sub(" ", text)
    runs, cur = [], ""
    for ch in t:
        d = DIGIT_OF.get(ch)
        if d is not None:
            cur += d
        elif ch != " " or not cur:  # a space inside a number keeps it going
            if cur:
                runs.append(cur)
            cur = ""
    if cur:
        runs.append(cur)
    return [r for r in runs if len(r) >= min_len]


def tail_loss(parts: Sequence[str], hyp: str, tail: int = 4) -> tuple[int, int, int]:
    """Of each reference part's last ``tail`` characters, how many the hypothesis lost
    (deleted, not merely misheard). (chars lost, tail chars, parts whose tail was mostly
    lost)."""
    norm = [normalise_for_cer(p) for p in parts]
    ref = "".join(norm)
    deleted = {i for op, i, _ in edits(ref, normalise_for_cer(hyp)) if op == "d"}
    lost = total = parts_lost = 0
    at = 0
    for p in norm:
        idx = range(at + max(0, len(p) - tail), at + len(p))
        k = sum(i in deleted for i in idx)
        lost, total = lost + k, total + len(idx)
        parts_lost += bool(idx) and k * 2 > len(idx)
        at += len(p)
    return lost, total, parts_lost
