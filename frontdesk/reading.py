"""What a stored call said, read as a draft entry: its transcript, the caller's number and the
ledger's history of the same place, through the intake.

One reading for the worker (the draft), `frontdesk intake --call` and the reconciler (what the
call "heard" to compare with the registered entry): a repeat complaint drafted with history is
re-read with the same history, so the audit does not contradict the draft.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.intake import IntakeDraft
from domain.transcript import Transcript
from ledger import entries
from ledger.models import Call
from ledger.transcripts import load_transcript
from voice.intake.extract import extract
from voice.intake.model import IntakeModel, load_model, newest_model


def current_model(models_dir: Path | None) -> IntakeModel:
    """The newest model `frontdesk intake train` wrote for this site, else the shipped one."""
    return load_model(newest_model(models_dir))


def draft(
    session: Session,
    transcript: Transcript,
    caller_number: str | None,
    call_id: int | None = None,
    at: datetime | None = None,
    model: IntakeModel | None = None,
) -> IntakeDraft:
    """The draft of one transcript; ``at`` is when the call came in (history before it)."""
    first = extract(transcript, caller_number=caller_number, now=at, model=model)
    site = session.scalar(select(Call.site).where(Call.id == call_id)) if call_id else None
    history = entries.prior_entries(session, first.address, exclude_call_id=call_id, before=at,
                                    site=site)  # fmt: skip
    if not history:
        return first
    return extract(transcript, caller_number=caller_number, history=history, now=at, model=model)


def read_call(session: Session, call_id: int, model: IntakeModel | None = None) -> IntakeDraft | None:
    """The draft of a stored call, as of the time it came in; None without a transcript."""
    t = load_transcript(session, call_id)
    call = session.get(Call, call_id)
    if t is None or not t.utterances or call is None:
        return None
    return draft(session, t, call.caller, call_id=call_id, at=call.invited_at, model=model)


def reader_for(models_dir: Path | None):
    """``read_call`` with the site's current model, for the reconciler."""

    def read(session: Session, call_id: int) -> IntakeDraft | None:
        return read_call(session, call_id, model=current_model(models_dir))

    return read
