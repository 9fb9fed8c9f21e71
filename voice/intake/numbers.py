"""Numbers as residents say them and as speech recognition writes them.

三零一 (digit by digit) and 三百零一 (positional) are both 301; 幺 is 1, 两 is 2, 洞 is 0
(radio style). Next to an address marker, recognisers write homophones (斯多 for 四栋,
巴东 for 八栋, 无号楼 for 五号楼, 要 for 幺): ``digit_of(..., loose=True)`` reads those by
pinyin, but only where a number is expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import cn2an

from voice.intake.prefilter import LATIN, latin_free

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


class _Sounds(dict):
    """character → its pinyin (a Chinese character) or itself, filled as characters are met:
    a text's syllables are then one dict look-up per character, in a C loop."""

    def __missing__(self, ch: str) -> str:
        sound = pinyin(ch) if "\u4e00" <= ch <= "\u9fff" else ch
        if len(self) < 1 << 16:  # bounded, whatever a transcript holds
            self[ch] = sound
        return sound


_SOUNDS = _Sounds()


@lru_cache(maxsize=256)
def syllables(text: str) -> tuple[str, ...]:
    """Each character's pinyin (other characters as they are); parsing reads one text several
    times (buildings, units, public areas, urgent words), so the last few are kept."""
    return tuple(map(_SOUNDS.__getitem__, text))


def digit_of(ch: str, loose: bool = False) -> int | None:
    """The digit a character stands for; ``loose`` also reads homophones by pinyin."""
    d = _DIGIT_OF.get(ch)  # 0-9, ０-９, 零一二… as one look-up
    if d is not None or len(ch) != 1:
        return d if d is not None else _digit_of_text(ch, loose)
    if loose and "\u4e00" <= ch <= "\u9fff":
        return PINYIN_DIGITS.get(pinyin(ch))
    return None


def _digit_of_text(ch: str, loose: bool) -> int | None:
    """``digit_of`` of a string that is not one character, as it always read one."""
    if ch.isascii() and ch.isdigit():
        return int(ch)
    if "０" <= ch <= "９":
        return ord(ch) - ord("０")
    if ch in DIGITS:
        return DIGITS[ch]
    if loose and "\u4e00" <= ch <= "\u9fff":
        return PINYIN_DIGITS.get(pinyin(ch))
    return None


_DIGIT_OF = {**{str(d): d for d in range(10)}, **{chr(ord("０") + d): d for d in range(10)},
             **DIGITS}  # fmt: skip
_NUMERALS = frozenset(_DIGIT_OF) | POSITIONAL


def is_numeral(ch: str) -> bool:
    return ch in _NUMERALS if len(ch) == 1 else digit_of(ch) is not None or ch in POSITIONAL


@lru_cache(maxsize=4096)
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


# ---- phone numbers in free text: one reader for intake, masking and bleeping ----

# Between two digits of one number people (and recognisers) write spaces, hyphens and
# dashes, dots, commas, enumeration commas and slashes, half- or full-width.
SEPARATORS = frozenset(" \t\r\n\u3000-－—–‐.．,，、/／")
MAX_GAP = 3  # separator characters between two digits of the same number
MOBILE_DIGITS = 11
# English digits as said ("oh" only inside a number: "Oh, one moment" is not a zero).
EN_DIGITS = {"zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
             "six": 6, "seven": 7, "eight": 8, "nine": 9}  # fmt: skip
EN_REPEAT = {"double": 2, "triple": 3}
_EN_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class NumberSpan:
    """A number said or written in ``text``: text[start:end] runs from its first digit to
    its last; ``places`` gives, per digit, the characters it was said with (a word like
    "three" or "double five" is one place for one or more digits)."""

    start: int
    end: int
    digits: str
    places: tuple[tuple[int, int], ...]

    @property
    def mobile(self) -> bool:
        return len(self.digits) == MOBILE_DIGITS and self.digits.startswith("1")


@dataclass(slots=True)
class _Token:
    start: int
    end: int
    digits: str
    soft: bool  # 要/腰 for 幺, "oh" for 0: a digit only between other digits


def _token_at(text: str, i: int) -> _Token | None:
    ch = text[i]
    d = _DIGIT_OF.get(ch)  # digit_of(ch) of one character
    if d is not None:
        return _Token(i, i + 1, str(d), False)
    if "\u4e00" <= ch <= "\u9fff" and pinyin(ch) == "yao":  # 要/腰/药 heard for 幺
        return _Token(i, i + 1, "1", True)
    if ch.isascii() and ch.isalpha() and (i == 0 or not _is_letter(text[i - 1])):
        m = _EN_WORD.match(text, i)
        assert m is not None
        word = m.group(0).lower()
        if word in EN_DIGITS:
            return _Token(i, m.end(), str(EN_DIGITS[word]), word == "oh")
        if word in EN_REPEAT:  # "double five" → 55
            j = m.end()
            while j < len(text) and text[j] == " ":
                j += 1
            n = _EN_WORD.match(text, j)
            if n and j > m.end() and n.group(0).lower() in EN_DIGITS:
                digit = str(EN_DIGITS[n.group(0).lower()])
                return _Token(i, n.end(), digit * EN_REPEAT[word], False)
    return None


def _is_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _runs(text: str, starts: list[int] | None = None) -> list[list[_Token]]:
    """Digit tokens grouped into runs: within a run, only separators (at most MAX_GAP of
    them) lie between two tokens. ``starts``: ``_starts(text)`` when already known."""
    runs: list[list[_Token]] = []
    run: list[_Token] = []
    i = 0
    for at in _starts(text) if starts is None else starts:
        if at < i:
            continue  # inside the token just read
        tok = _token_at(text, at)
        if tok is None:
            continue
        if run:
            gap = text[run[-1].end : tok.start]
            if len(gap) > MAX_GAP or not SEPARATORS.issuperset(gap):
                runs.append(run)
                run = []
        run.append(tok)
        i = tok.end
    if run:
        runs.append(run)
    return runs


# where a token of ``_token_at`` may begin, but for the 幺 homophones (要, 腰 …: any Chinese
# character read "yao"): a digit, or a whole English word (ASCII letters, any case) that is a
# digit or "double"/"triple" — not every Latin letter, which _token_at would read in vain
_TOKEN_START = re.compile("[0-9０-９" + "".join(DIGITS) + "]|(?<![A-Za-z])(?:"
                          + "|".join(sorted({*EN_DIGITS, *EN_REPEAT})) + ")(?![A-Za-z])",
                          re.I | re.A)  # fmt: skip
_DIGIT_START = latin_free(_TOKEN_START.pattern, _TOKEN_START.flags)  # a text with no Latin letter




def _starts(text: str) -> list[int]:
    """Where in ``text`` a token of ``_token_at`` may begin (a digit, a 幺 homophone, an
    English digit word), in order: every other position is skipped without a look."""
    rx = _TOKEN_START if LATIN.search(text) else _DIGIT_START
    out = [m.start() for m in rx.finditer(text)]
    sounds = syllables(text)
    if "yao" in sounds:  # only a Chinese character reads "yao"; 幺 is found twice
        out = sorted({*out, *(i for i, s in enumerate(sounds) if s == "yao")})
    return out


def _digits(tokens: list[_Token]) -> str:
    return "".join(t.digits for t in tokens)


def _is_mobile(digits: str) -> bool:
    return len(digits) == MOBILE_DIGITS and digits.startswith("1")


def _trim(run: list[_Token]) -> list[_Token]:
    """A run without the soft tokens at its ends, except where one completes the number:
    要 written just before the digits (要3912345678 is 13912345678), or a soft token after
    them when that makes an 11-digit mobile."""
    a, b = 0, len(run)
    while a < b and run[a].soft:
        a += 1
    while b > a and run[b - 1].soft:
        b -= 1
    if a == b:
        return []
    before = run[a - 1] if a else None
    if (
        before is not None
        and before.end - before.start == 1  # 要, not "oh"
        and before.end == run[a].start
        and not _is_mobile(_digits(run[a:b]))
    ):
        a -= 1
    if b < len(run) and not _is_mobile(_digits(run[a:b])) and _is_mobile(_digits(run[a : b + 1])):
        b += 1
    return run[a:b]


def _split_mobiles(run: list[_Token]) -> list[list[_Token]]:
    """A run longer than one mobile, cut where a separator ends an 11-digit mobile
    (13912345678，13800138000 are two numbers, not one of 22 digits)."""
    out: list[list[_Token]] = []
    start = 0
    count = 0
    for k, tok in enumerate(run):
        count += len(tok.digits)
        gap_after = k + 1 < len(run) and run[k + 1].start > tok.end
        if count == MOBILE_DIGITS and gap_after and _is_mobile(_digits(run[start : k + 1])):
            out.append(run[start : k + 1])
            start, count = k + 1, 0
    if start < len(run):
        out.append(run[start:])
    return out


def number_spans(text: str, min_digits: int = 7) -> list[NumberSpan]:
    """Every number of ``min_digits`` or more digits in ``text``, however it is written:
    13912345678, 139-1234-5678, 139，1234，5678, 139、1234、5678, 139/1234/5678,
    一三九幺二三四五六七八, 要3912345678 (a recogniser's 要 for 幺), "one three nine …".
    Runs of fewer digits (a room 三零一, a building 4) are not numbers here."""
    spans: list[NumberSpan] = []
    starts = _starts(text)
    # a token is one digit, but for "double" and "triple" (two, three; both begin a word
    # with d or t): fewer places than that bound cannot hold a number of min_digits
    if len(starts) + 2 * sum(map(text.count, "dDtT")) < min_digits:
        return spans
    for raw in _runs(text, starts):
        for part in _split_mobiles(raw):
            run = _trim(part)
            digits = _digits(run)
            if len(digits) < min_digits:
                continue
            places = tuple((t.start, t.end) for t in run for _ in t.digits)
            spans.append(NumberSpan(run[0].start, run[-1].end, digits, places))
    return spans
