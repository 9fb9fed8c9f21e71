"""Residents' phone numbers masked in free text: transcripts, entry fields, notes.

A number may be written in Arabic or Chinese digits (一三九…, 幺 for 1), split by spaces or
hyphens, or — in a transcript — spread over several recognised words ('39', '12', '3', …).
The rule is mask_phone's: first 3 (11+ digits) or 1 and last 4 digits kept.
"""

from __future__ import annotations

import re
from typing import Any

# Digits as people say them and as ASR writes them (幺 and 要 for 1, 两 for 2, 洞 for 0).
_DIGIT = "0-9０-９零〇一二三四五六七八九幺两洞"
_CN_DIGIT = "零〇一二三四五六七八九幺两洞"
# A phone number: 7 or more digits, maybe split by spaces, hyphens or dots.
_PHONE = re.compile(rf"[{_DIGIT}](?:[\s\-.]*[{_DIGIT}]){{6,}}")
# 要 is "1" only inside a number, e.g. ASR's "要3912345678" for 13912345678.
_LEADING_YAO = re.compile(rf"要(?=(?:[\s\-.]*[{_DIGIT}]){{6,}})")


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Index ranges in ``text`` holding what reads as a phone number (7+ digits, Arabic or
    Chinese). Short runs are left alone: 三零一 is a room, 2 号楼 a building."""
    spans = []
    for m in _PHONE.finditer(text):
        start = m.start()
        if start and _LEADING_YAO.match(text, start - 1):
            start -= 1
        spans.append((start, m.end()))
    return spans


def _mask_run(run: str) -> str:
    """Mask the digits of one run as mask_phone would (first 3 and last 4 kept for 11+
    digits, last 4 for shorter), keeping separators."""
    positions = [i for i, ch in enumerate(run) if ch in _CN_DIGIT + "要" or ch.isdigit()]
    n = len(positions)
    keep = 3 if n >= 11 else 1
    hidden = set(positions[keep : n - 4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(run))


def mask_text(text: str | None) -> str:
    """``text`` with every phone-number-like digit run masked."""
    if not text:
        return text or ""
    out = list(text)
    for a, b in _phone_spans(text):
        out[a:b] = list(_mask_run(text[a:b]))
    return "".join(out)


def mask_words(words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mask phone numbers spread over several recognised words ('39', '12', '3', …): the
    words are joined, masked as one text, and cut back at the same places."""
    joined = "".join(w["w"] for w in words)
    masked = mask_text(joined)
    out, at = [], 0
    for w in words:
        n = len(w["w"])
        out.append({**w, "w": masked[at : at + n]})
        at += n
    return out


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
    ends, at = [], 0
    for w in words:
        at += len(w["w"])
        ends.append(at)
    runs = []
    for a, b in _phone_spans("".join(w["w"] for w in words)):
        first = next(i for i, e in enumerate(ends) if e > a)
        last = next(i for i, e in enumerate(ends) if e >= b)
        runs.append((first, last + 1))
    return runs


def has_phone(text: str | None) -> bool:
    return bool(text) and bool(_phone_spans(text))
