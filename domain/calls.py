"""The phone's account of one call, handed to whoever stores it (a plain dataclass).

The phone knows nothing of SQL: it produces a ``CallRecord`` when a call ends and
the application stores it in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from domain.recording import RecordingInfo

Outcome = Literal["answered", "missed", "busy", "rejected", "failed", "interrupted"]
AnsweredBy = Literal["agent", "auto"]


@dataclass
class CallRecord:
    uuid: str  # our own id; names the recording file (pjsua call ids are reused)
    sip_call_id: str
    caller: str  # the caller's number / user part of From
    callee: str  # user part of To
    invited_at: datetime  # timezone-aware UTC
    caller_name: str | None = None  # display name in From, if any
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    rings: int = 0  # rings started before answer or cancel
    answered_by: AnsweredBy | None = None
    outcome: Outcome = "failed"
    cause: str | None = None  # e.g. "caller hung up", "487 Request Terminated"
    codec: str | None = None
    recording: RecordingInfo | None = None
    notes: list[str] = field(default_factory=list)
