"""The reconciler's settings (Rules) and the application's way to tell it what a call said
(CallReader): the ledger does not know the intake."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from domain.intake import IntakeDraft
from domain.rules import Rules as DomainRules


class CallReader(Protocol):
    def __call__(self, session: Session, call_id: int) -> IntakeDraft | None:
        """The IntakeDraft of a stored call's transcript, None when it has none."""


_DOMAIN = DomainRules()


@dataclass
class Rules:
    """The audit's settings: the front desk's rules (domain.rules, one place) and how to run."""

    grace_s: float = _DOMAIN.registration_grace_s  # register within 1 minute of hangup
    max_rings: int = _DOMAIN.max_rings
    callback_s: float = _DOMAIN.callback_s  # call the resident back within 2 hours
    match_window_s: float = _DOMAIN.match_window_s  # this near a call: matched on content alone
    # an entry from the caller's number registered up to this long after the call is
    # matched to it (and is late), rather than leaving an unlogged call and an orphan entry
    late_match_window_s: float = 24 * 3600.0
    duration_tolerance_s: float = _DOMAIN.duration_tolerance_s
    recordings_root: Path | None = None  # set to check files (missing, tampered)
    # hash only files whose size or mtime changed since the call was stored ("changed"),
    # every file ("all"), or none (False)
    verify_hashes: bool | str = "changed"
    content: bool = True  # compare registered entries with the intake of the transcript
    # the desk's outbound calls are recorded too (a PBX setting): one without is a finding
    outbound_recorded: bool = False
    tz: tzinfo | None = None  # local times in the findings' wording (None: this machine's)
    # what a call's transcript says, read the way the worker drafted it (same intake, same
    # history); handed in by the application: the ledger does not know the intake
    reader: CallReader | None = None
    site: str | None = None  # one site's calls and entries only (None: every site)
