"""The front desk's words, written once: categories, departments, sources, repair scopes,
complaint classes and callback results, as the ledger stores them (domain.md)."""

from __future__ import annotations

from typing import Literal

Category = Literal["报修", "投诉", "咨询", "求助", "建议"]
CATEGORIES: tuple[str, ...] = ("报修", "投诉", "咨询", "求助", "建议")
DEPARTMENTS: tuple[str, ...] = ("工程维修部", "环境部", "安管部", "客服中心")
SOURCES: tuple[str, ...] = ("来电", "来访")  # phone call, walk-in
REPAIR_SCOPES: tuple[str, ...] = ("户内", "公共区域", "有偿")
COMPLAINT_CLASSES: tuple[str, ...] = ("一类", "二类", "三类")

# callback (回访) results: stored in Chinese, as the sheet says it; "not satisfied" reopens
SATISFIED, PARTLY_SATISFIED, NOT_SATISFIED = "满意", "基本满意", "不满意"
CALLBACK_RESULTS: tuple[str, ...] = (SATISFIED, PARTLY_SATISFIED, NOT_SATISFIED)
CALLBACK_RESULT_WORDS: dict[str, str] = {
    "satisfied": SATISFIED, "partly_satisfied": PARTLY_SATISFIED, "not_satisfied": NOT_SATISFIED,
    SATISFIED: SATISFIED, PARTLY_SATISFIED: PARTLY_SATISFIED, NOT_SATISFIED: NOT_SATISFIED,
    "比较满意": PARTLY_SATISFIED, "一般": PARTLY_SATISFIED, "非常满意": SATISFIED,
}  # fmt: skip


def callback_result(word: str) -> str | None:
    """The stored form of a callback result said in English or Chinese; None if unknown."""
    return CALLBACK_RESULT_WORDS.get(word.strip().lower() if word.isascii() else word.strip())
