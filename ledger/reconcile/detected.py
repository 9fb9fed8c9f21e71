"""A finding as a check detects it, before it is stored: its kind, its subject (a call, an
entry, or a file no row names) and the evidence whose change reopens a resolved one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = [
    "UNLOGGED_CALL", "ORPHAN_ENTRY", "DUPLICATE_ENTRY", "CONTENT_MISMATCH", "LATE_REGISTRATION",
    "SLOW_ANSWER", "MISSED_NO_CALLBACK", "CALLBACK_OVERDUE", "RECORDING_MISSING",
    "RECORDING_TAMPERED", "DURATION_MISMATCH", "RECORDING_UNLOGGED",
]  # fmt: skip


@dataclass
class Detected:
    kind: str
    call_id: int | None
    entry_id: int | None
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.call_id or '-'}:{self.entry_id or '-'}"


@dataclass
class FileDetected(Detected):
    """A finding about a file no row names: keyed by the file, not by a call or entry."""

    path: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.path}"[:128]
