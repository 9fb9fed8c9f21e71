"""Character error rate, the measure used for Mandarin transcripts (tests and bench)."""

from __future__ import annotations

import re

_CN_DIGITS = dict(zip("0123456789", "零一二三四五六七八九", strict=True))


def normalise_for_cer(text: str) -> str:
    """Digits as Chinese numerals (Whisper writes 301 for 三零一), 幺/两 as 一/二, no punctuation."""
    t = "".join(_CN_DIGITS.get(c, c) for c in text).replace("幺", "一").replace("两", "二")
    return re.sub(r"\W", "", t)


def cer(ref: str, hyp: str) -> float:
    """Edit distance between the normalised texts over the reference length."""
    ref, hyp = normalise_for_cer(ref), normalise_for_cer(hyp)
    d = list(range(len(hyp) + 1))
    for i, a in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, b in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (a != b))
    return d[len(hyp)] / max(1, len(ref))
