"""Numbers as residents say them and as speech recognition writes them.

三零一 (digit by digit) and 三百零一 (positional) are both 301; 幺 is 1, 两 is 2, 洞 is 0
(radio style). Next to an address marker, recognisers write homophones (斯多 for 四栋,
巴东 for 八栋, 无号楼 for 五号楼, 要 for 幺): ``digit_of(..., loose=True)`` reads those by
pinyin, but only where a number is expected.
"""

from __future__ import annotations

from functools import lru_cache

import cn2an

DIGITS = {
    "零": 0, "〇": 0, "洞": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
POSITIONAL = {"十", "百", "千"}
# pinyin → digit for homophones that recognisers write where a digit was said
PINYIN_DIGITS = {
    "ling": 0, "yi": 1, "yao": 1, "er": 2, "liang": 2, "san": 3, "si": 4, "wu": 5,
    "liu": 6, "qi": 7, "ba": 8, "jiu": 9,
}  # fmt: skip


@lru_cache(maxsize=4096)
def pinyin(ch: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(ch)[0] if ch else ""


def digit_of(ch: str, loose: bool = False) -> int | None:
    """The digit a character stands for; ``loose`` also reads homophones by pinyin."""
    if ch.isascii() and ch.isdigit():
        return int(ch)
    if "０" <= ch <= "９":
        return ord(ch) - ord("０")
    if ch in DIGITS:
        return DIGITS[ch]
    if loose and "\u4e00" <= ch <= "\u9fff":
        return PINYIN_DIGITS.get(pinyin(ch))
    return None


def is_numeral(ch: str) -> bool:
    return digit_of(ch) is not None or ch in POSITIONAL


def read_number(run: str) -> str | None:
    """A run of numeral characters → its digits as a string ("三零一" → "301",
    "三百零一" → "301", "十二" → "12", "4" → "4"); None if it is not a number."""
    run = run.strip()
    if not run:
        return None
    if any(c in POSITIONAL for c in run):
        text = run.replace("幺", "一").replace("两", "二").replace("洞", "零")
        try:
            return str(int(cn2an.cn2an(text, "smart")))
        except (ValueError, KeyError, TypeError):
            pass
        # e.g. "一五零二十" (室 heard as 十): read the digits, drop the stray 十
        digits = [digit_of(c) for c in run if c not in POSITIONAL]
        return "".join(str(d) for d in digits) if digits and None not in digits else None
    digits = [digit_of(c, loose=True) for c in run]
    if None in digits:
        return None
    return "".join(str(d) for d in digits)


def digit_string(text: str) -> str:
    """Every digit said in ``text``, in order, ignoring separators (for phone numbers)."""
    out = []
    for ch in text:
        d = digit_of(ch)
        if d is not None:
            out.append(str(d))
    return "".join(out)
