"""Category, urgency, department, repair scope and complaint class from what was said."""

from __future__ import annotations

from dataclasses import dataclass, field

from voice.intake import lexicon_en, lexicon_zh
from voice.intake.numbers import pinyin

# Recognisers write homophones (爆 → 报, 修 → 休). Phrases this long are matched by sound as
# well as by characters; shorter ones are not, because 报了 ("reported") is not 爆了.
SOUND_MATCH_MIN = 3


@dataclass
class Judgement:
    value: str | bool | None
    confidence: float
    words: list[str] = field(default_factory=list)  # the phrases that led to it


def _lex(english: bool):
    return lexicon_en if english else lexicon_zh


def _find_all(text: str, phrase: str, sounds: list[str] | None) -> list[int]:
    """Start offsets of ``phrase`` in ``text``: by characters, else (long Chinese phrases,
    ``sounds`` given) by toneless pinyin."""
    starts = []
    start = text.find(phrase)
    while start >= 0:
        starts.append(start)
        start = text.find(phrase, start + 1)
    if starts or sounds is None or len(phrase) < SOUND_MATCH_MIN or not _is_chinese(phrase):
        return starts
    want = [pinyin(c) for c in phrase]
    n = len(want)
    return [i for i in range(len(sounds) - n + 1) if sounds[i : i + n] == want]


def _is_chinese(phrase: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in phrase)


def _sounds(text: str) -> list[str]:
    return [pinyin(c) if "\u4e00" <= c <= "\u9fff" else c for c in text]


def _hits(text: str, table: dict[str, float], by_sound: bool = True) -> list[tuple[str, float]]:
    """Phrases found, longest first, a shorter phrase inside a longer hit not counted twice.
    A phrase matched by sound is reported as the caller's words (水管报), so evidence and
    the summary point at what the transcript says."""
    found: list[tuple[str, float]] = []
    covered: list[tuple[int, int]] = []
    sounds = _sounds(text) if by_sound else None
    for phrase in sorted(table, key=len, reverse=True):
        for start in _find_all(text, phrase, sounds):
            end = start + len(phrase)
            if not any(s <= start and end <= e for s, e in covered):
                covered.append((start, end))
                found.append((text[start:end], table[phrase]))
                break
    return found


def category(text: str, english: bool = False) -> Judgement:
    lex = _lex(english)
    scores: dict[str, float] = {}
    words: dict[str, list[str]] = {}
    for cat, table in lex.CATEGORY.items():
        # 装修 (renovation) holds 修 but is never a repair request
        hits = _hits(text.replace("装修", "装潢") if cat == "报修" else text, table, not english)
        if hits:
            scores[cat] = sum(w for _, w in hits)
            words[cat] = [p for p, _ in hits]
    if not scores:
        return Judgement("咨询", 0.3, [])  # a call with no signal is most often a question
    order = lexicon_zh.PRIORITY
    best = max(scores, key=lambda c: (scores[c], -order.index(c)))
    total = sum(scores.values())
    return Judgement(best, round(min(0.99, 0.5 + 0.5 * scores[best] / total), 2), words[best])


def urgency(text: str, english: bool = False) -> Judgement:
    lex = _lex(english)
    sounds = None if english else _sounds(text)
    for phrase, why in lex.URGENT.items():
        for start in _find_all(text, phrase, sounds):
            said = text[start : start + len(phrase)]
            negated = any(
                text[max(0, start - len(n)) : start] == n for n in ("没有", "不是", "没", "no ")
            )
            if not negated:
                return Judgement(True, 0.9, [said, why])
    return Judgement(False, 0.8, [])


def department(text: str, cat: str | None, english: bool = False) -> Judgement:
    for dept, words in _lex(english).DEPARTMENT:
        hit = [w for w in words if w in text]
        if hit:
            return Judgement(dept, 0.8, hit[:3])
    fallback = "工程维修部" if cat == "报修" else "客服中心"
    return Judgement(fallback, 0.5, [])


def repair_scope(text: str, has_room: bool, public_area: str | None) -> str | None:
    if any(w in text for w in lexicon_zh.SCOPE_PAID):
        return "有偿"
    if public_area and not any(w in text for w in lexicon_zh.SCOPE_IN_UNIT):
        return "公共区域"
    if has_room or any(w in text for w in lexicon_zh.SCOPE_IN_UNIT):
        return "户内"
    return "公共区域" if public_area else None


def complaint_class(text: str) -> str | None:
    for cls in ("二类", "三类", "一类"):
        if any(w in text for w in lexicon_zh.COMPLAINT_CLASS[cls]):
            return cls
    return None
