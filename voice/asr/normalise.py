"""Chinese text for display: no spaces between Chinese words, simplified characters."""

from __future__ import annotations

import re

_CJK = r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<={_CJK})\s+(?={_CJK})")
_converter = None


def to_simplified(text: str) -> str:
    global _converter
    if _converter is None:
        from opencc_purepy import OpenCC

        _converter = OpenCC("t2s")
    return _converter.convert(text)


def display_text(text: str, numbers: bool = True) -> str:
    """Vosk writes "我 家 水管 爆 了"; people read "我家水管爆了". Latin words keep spaces.
    ``numbers``: numbers said digit by digit in Arabic digits (幺三八 → 138; see digits.py),
    and 栋 where a recogniser lost it between a building and a unit number (五度二单元)."""
    t = _SPACE_BETWEEN_CJK.sub("", text.strip())
    t = re.sub(rf"(?<={_CJK})\s+(?=\d)|(?<=\d)\s+(?={_CJK})", "", t)
    t = to_simplified(t)
    if numbers:
        from voice.asr.digits import address_slots, normalise_numbers

        t = address_slots(normalise_numbers(t))
    return t
