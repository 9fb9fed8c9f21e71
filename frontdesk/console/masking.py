"""Residents' phone numbers masked in free text: transcripts, entry fields, notes, names.

Numbers are found by the intake's own reader (``voice.intake.numbers.number_spans``), so
whatever intake reads as a phone number is masked here and bleeped in training audio:
Arabic, full-width or Chinese digits (一三九…, 幺 for 1, a recogniser's 要), English digit
words, split by spaces, hyphens, dots, commas, 、 or slashes, or — in a transcript — spread
over several recognised words ('39', '12', '3', …). The rule is mask_phone's: first 3
(11+ digits) or 1 and last 4 digits kept; a masked digit keeps its length ("three" → *****)
so masked words can be cut back where they were.
"""

from __future__ import annotations

from typing import Any

from voice.intake.numbers import number_spans


def hidden_digits(n: int) -> range:
    """Which of a number's n digits are masked: mask_phone's rule."""
    if n <= 4:
        return range(n)
    keep = 3 if n >= 11 else 1
    return range(keep, n - 4)


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Index ranges in ``text`` holding what reads as a phone number (7+ digits). Short
    runs are left alone: 三零一 is a room, 2 号楼 a building."""
    return [(s.start, s.end) for s in number_spans(text)]


def _masked(text: str, min_digits: int) -> str:
    out = list(text)
    for span in number_spans(text, min_digits):
        for k in hidden_digits(len(span.digits)):
            a, b = span.places[k]
            for i in range(a, b):
                if not out[i].isspace():
                    out[i] = "*"
    return "".join(out)


def mask_text(text: str | None) -> str:
    """``text`` with every phone-number-like digit run masked (same length as ``text``)."""
    if not text:
        return text or ""
    return _masked(text, 7)


def mask_name(name: str | None) -> str:
    """A caller name masked like a number wherever it holds digits (a PBX's caller-ID name
    is often the number itself, or part of it)."""
    if not name:
        return name or ""
    return _masked(name, 1)


def _join(words: list[dict[str, Any]]) -> tuple[str, list[int]]:
    """The words as one text, and where each starts in it. Words a recogniser gives without
    spaces ("one", "three") get one between them when both sides are letters, so English
    digit words read as words; the space belongs to no word."""
    text, starts = "", []
    for w in words:
        s = w["w"]
        if text and s and text[-1].isascii() and text[-1].isalpha() and s[0].isascii() \
                and s[0].isalpha():  # fmt: skip
            text += " "
        starts.append(len(text))
        text += s
    return text, starts


def mask_words(words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mask phone numbers spread over several recognised words ('39', '12', '3', …): the
    words are joined, masked as one text, and cut back at the same places."""
    joined, starts = _join(words)
    masked = mask_text(joined)
    return [{**w, "w": masked[at : at + len(w["w"])]} for w, at in zip(words, starts, strict=True)]


def masked_transcript(data: dict[str, Any]) -> dict[str, Any]:
    utts = []
    for u in data.get("utterances", []):
        utts.append(
            {**u, "text": mask_text(u.get("text")), "words": mask_words(u.get("words", []))}
        )
    return {**data, "utterances": utts}


def phone_word_runs(words: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Index ranges [i, j) of the words that make up each phone number in ``words`` (joined as
    mask_words joins them), so the audio of those words can be masked too."""
    joined, starts = _join(words)
    ends = [at + len(w["w"]) for w, at in zip(words, starts, strict=True)]
    runs = []
    for a, b in _phone_spans(joined):
        first = next(i for i, e in enumerate(ends) if e > a)
        last = next(i for i, e in enumerate(ends) if e >= b)
        runs.append((first, last + 1))
    return runs


def has_phone(text: str | None) -> bool:
    return bool(text) and bool(_phone_spans(text))
