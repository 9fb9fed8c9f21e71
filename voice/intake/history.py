"""What intake may know of earlier ledger entries (handed in by the ledger; no SQL here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PriorEntry:
    entry_id: int
    created_at: datetime
    category: str | None
    summary: str
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    public_area: str | None = None
    caller_phone: str | None = None
