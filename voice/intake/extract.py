"""Transcript → IntakeDraft: listen to the caller the way an experienced agent does.

The caller's own words come first; the agent's words (read-backs such as "您的地址是
四栋二单元三零一，对吗") fill what the caller left out. Every field carries evidence
(which words of which utterance) and a confidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from domain.intake import Address, Evidence, IntakeDraft, PriorEntry
from domain.transcript import Transcript, Utterance
from voice.intake import classify
from voice.intake.address import parse_address, validate
from voice.intake.caller import phone_number, surname
from voice.intake.english import parse_address_en
from voice.intake.lexicon_zh import FILLERS

REPEAT_WINDOW = timedelta(days=30)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def normalise(text: str) -> str:
    """Full-width → half-width, no spaces between Chinese words, no fillers."""
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff\d])|(?<=\d)\s+(?=[\u4e00-\u9fff])", "", t)
    for f in FILLERS:
        t = t.replace(f, "")
    return t.replace("，，", "，").strip()


def is_english(text: str) -> bool:
    letters = sum(c.isascii() and c.isalpha() for c in text)
    return letters > 2 * len(_CJK.findall(text)) and letters > 3


def _utterances(source: Transcript | str) -> list[Utterance]:
    if isinstance(source, str):
        return [Utterance("caller", 0.0, 0.0, source)]
    return list(source.utterances)


def extract(
    source: Transcript | str,
    *,
    caller_number: str | None = None,
    history: Sequence[PriorEntry] = (),
    layout: dict[str, dict[str, int]] | None = None,
    now: datetime | None = None,
    repeat_window: timedelta = REPEAT_WINDOW,
) -> IntakeDraft:
    utts = _utterances(source)
    caller_idx = [i for i, u in enumerate(utts) if u.speaker in ("caller", "unknown")]
    agent_idx = [i for i, u in enumerate(utts) if u.speaker == "agent"]
    texts = {i: normalise(utts[i].text) for i in range(len(utts))}
    caller_text = "，".join(texts[i] for i in caller_idx)
    english = is_english(caller_text)
    d = IntakeDraft()

    def ev(field: str, words: str, idxs: list[int]) -> None:
        i = next((i for i in idxs if words and words in texts[i]), idxs[0] if idxs else None)
        u = utts[i] if i is not None else None
        d.evidence.append(Evidence(field, words, i, u.start if u else None, u.end if u else None))

    # address: the caller first, then the agent's read-back
    for idxs in (caller_idx, agent_idx):
        for i in idxs:
            m = parse_address_en(texts[i]) if english else parse_address(texts[i])
            a = m.address
            if a.building or a.room or a.public_area:
                if _better(a, d.address):
                    d.address = _merge(d.address, a)
                    d.confidence["address"] = m.confidence * (1.0 if idxs is caller_idx else 0.9)
                    for s, e in m.spans:
                        ev("address", texts[i][s:e], [i])
            if d.address.code():
                break
        if d.address.code():
            break
    problem = validate(d.address, layout)
    if problem:
        d.evidence.append(Evidence("address.invalid", problem))
        d.confidence["address"] = min(d.confidence.get("address", 0.5), 0.3)

    # category, urgency, department from the caller's words
    cat = classify.category(caller_text, english)
    d.category = cat.value  # type: ignore[assignment]
    d.confidence["category"] = cat.confidence
    for w in cat.words[:3]:
        ev("category", w, caller_idx)
    urg = classify.urgency(caller_text, english)
    d.urgent = bool(urg.value)
    d.confidence["urgent"] = urg.confidence
    if urg.value:
        ev("urgent", urg.words[0], caller_idx)
    dept = classify.department(caller_text, d.category, english)
    d.department = dept.value  # type: ignore[assignment]
    d.confidence["department"] = dept.confidence
    for w in dept.words[:2]:
        ev("department", w, caller_idx)
    if d.category == "报修":
        d.repair_scope = classify.repair_scope(
            caller_text, bool(d.address.room), d.address.public_area
        )
    if d.category == "投诉":
        d.complaint_class = classify.complaint_class(caller_text)

    # caller: surname and phone number as said, else the SIP caller number
    all_text = "，".join(texts[i] for i in caller_idx + agent_idx)
    sn, hon, words = surname(caller_text) if caller_text else (None, None, None)
    if sn is None:
        sn, hon, words = surname(all_text)
    if sn:
        d.caller.surname, d.caller.honorific = sn, hon
        d.confidence["caller.surname"] = 0.8
        ev("caller.surname", words or sn, caller_idx + agent_idx)
    phone, words = phone_number(caller_text)
    if phone:
        d.caller.phone = phone
        d.confidence["caller.phone"] = 0.85 if len(phone) == 11 else 0.6
        ev("caller.phone", words or phone, caller_idx)
    elif caller_number:
        d.caller.phone = caller_number
        d.confidence["caller.phone"] = 0.95
        d.evidence.append(Evidence("caller.phone", f"SIP caller number {caller_number}"))

    d.summary = summarise(caller_text or all_text, cat.words)
    _repeat_rule(d, history, now or datetime.now(UTC), repeat_window)
    return d


def _better(new: Address, old: Address) -> bool:
    def score(a: Address) -> int:
        return 4 * bool(a.building) + 2 * bool(a.unit) + 3 * bool(a.room) + bool(a.public_area)

    return score(new) > score(old)


def _merge(old: Address, new: Address) -> Address:
    return Address(
        new.building or old.building, new.unit or old.unit, new.room or old.room,
        new.public_area or old.public_area,
    )  # fmt: skip


_CLAUSE = re.compile(r"[，,。！？!?；;]")
_GREETING = re.compile(r"^(你好|您好|喂|哎)+")


def summarise(text: str, key_words: list[str], limit: int = 40) -> str:
    """One line in the caller's terms: the clauses that carry the problem."""
    clauses = [c.strip() for c in _CLAUSE.split(text) if c.strip()]
    clauses = [_GREETING.sub("", c).strip() for c in clauses]
    clauses = [
        c
        for c in clauses
        if c
        and not re.fullmatch(r"(我是|我住)?.{0,12}(的|业主)?", c)
        or any(k in c for k in key_words)
    ]
    keep = [c for c in clauses if any(k in c for k in key_words)] or clauses
    out = "，".join(dict.fromkeys(keep))
    return out[:limit] + ("…" if len(out) > limit else "")


def _repeat_rule(
    d: IntakeDraft, history: Sequence[PriorEntry], now: datetime, window: timedelta
) -> None:
    """The same problem from the same place raised again counts as a complaint."""
    if d.category in ("咨询", "建议") or not history:
        return
    code, area = d.address.code(), d.address.public_area
    for p in sorted(history, key=lambda p: p.created_at, reverse=True):
        if now - p.created_at > window:
            continue
        same_place = (code and p.building and code == f"{p.building}-{p.unit}-{p.room}") or (
            area
            and p.public_area == area
            and (not d.address.building or p.building in (None, d.address.building))
        )
        if same_place and _same_subject(d.summary, p.summary):
            d.category = "投诉"
            d.complaint_class = d.complaint_class or "一类"
            d.confidence["category"] = 0.85
            d.evidence.append(
                Evidence(
                    "category",
                    f"repeat of entry {p.entry_id} on {p.created_at:%Y-%m-%d}: {p.summary}",
                )
            )
            return


def _same_subject(a: str, b: str) -> bool:
    """Share a two-character word (水管, 楼道, 漏水 …) beyond the generic ones."""
    generic = {"一下", "派人", "麻烦", "我家", "你们", "快点", "坏了", "好几", "几天"}
    grams = {a[i : i + 2] for i in range(len(a) - 1)} - generic
    return any(g in b for g in grams if _CJK.match(g[0]) and _CJK.match(g[1]))
