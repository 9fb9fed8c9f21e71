"""Category, urgency, department, repair scope and complaint class from what was said."""

from __future__ import annotations

from dataclasses import dataclass, field

from voice.intake import lexicon_en, lexicon_zh


@dataclass
class Judgement:
    value: str | bool | None
    confidence: float
    words: list[str] = field(default_factory=list)  # the phrases that led to it


def _lex(english: bool):
    return lexicon_en if english else lexicon_zh


def _hits(text: str, table: dict[str, float]) -> list[tuple[str, float]]:
    """Phrases found, longest first, a shorter phrase inside a longer hit not counted twice."""
    found: list[tuple[str, float]] = []
    covered: list[tuple[int, int]] = []
    for phrase in sorted(table, key=len, reverse=True):
        start = text.find(phrase)
        while start >= 0:
            end = start + len(phrase)
            if not any(s <= start and end <= e for s, e in covered):
                covered.append((start, end))
                found.append((phrase, table[phrase]))
                break
            start = text.find(phrase, start + 1)
    return found


def category(text: str, english: bool = False) -> Judgement:
    lex = _lex(english)
    scores: dict[str, float] = {}
    words: dict[str, list[str]] = {}
    for cat, table in lex.CATEGORY.items():
        # 装修 (renovation) holds 修 but is never a repair request
        hits = _hits(text.replace("装修", "装潢") if cat == "报修" else text, table)
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
    for phrase, why in lex.URGENT.items():
        if phrase in text:
            negated = any(text.find(n + phrase) >= 0 for n in ("没有", "不是", "没", "no "))
            if not negated:
                return Judgement(True, 0.9, [phrase, why])
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
