"""What intake hands to the ledger (a draft entry with evidence) and what the ledger hands
to intake (earlier entries of the same caller or place): plain dataclasses, no SQL."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Literal

Category = Literal["报修", "投诉", "咨询", "求助", "建议"]


@dataclass
class Address:
    building: str | None = None  # "4"
    unit: str | None = None  # "2"
    room: str | None = None  # "301"
    public_area: str | None = None  # "电梯", "车库", "大堂", "楼道灯" …

    def code(self) -> str | None:
        """The ledger's compact form, e.g. ``4-2-301``; None when incomplete."""
        if self.building and self.unit and self.room:
            return f"{self.building}-{self.unit}-{self.room}"
        return None


@dataclass
class Caller:
    surname: str | None = None
    honorific: str | None = None  # 先生 / 女士 / 阿姨 …
    phone: str | None = None


@dataclass
class Evidence:
    field: str  # "address", "category", "urgent", "department", "caller.phone" …
    text: str  # the words that led to the value
    utterance: int | None = None  # index into the transcript's utterances
    start: float | None = None
    end: float | None = None


@dataclass
class IntakeDraft:
    category: Category | None = None
    address: Address = field(default_factory=Address)
    urgent: bool = False
    department: str | None = None  # 工程维修部 / 环境部 / 安管部 / 客服中心
    caller: Caller = field(default_factory=Caller)
    summary: str = ""
    confidence: dict[str, float] = field(default_factory=dict)  # per field, 0..1
    evidence: list[Evidence] = field(default_factory=list)
    repair_scope: str | None = None  # 户内 / 公共区域 / 有偿
    complaint_class: str | None = None  # 一类 / 二类 / 三类

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PriorEntry:
    """An earlier ledger entry intake may weigh (the repeat-complaint rule)."""

    entry_id: int
    created_at: datetime
    category: str | None
    summary: str
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    public_area: str | None = None
    caller_phone: str | None = None
