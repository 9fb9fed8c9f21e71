"""What a stored call said, read as a draft entry: its transcript, the caller's number and the
ledger's history of the same place, through the intake.

One reading for the worker (the draft), `frontdesk intake --call` and the reconciler (what the
call "heard" to compare with the registered entry): a repeat complaint drafted with history is
re-read with the same history, so the audit does not contradict the draft.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from domain.intake import IntakeDraft
from domain.transcript import Transcript
from ledger import entries
from ledger.models import Call
from ledger.transcripts import load_transcript
from voice.intake.extract import extract


def draft(
    session: Session,
    transcript: Transcript,
    caller_number: str | None,
    call_id: int | None = None,
    at: datetime | None = None,
) -> IntakeDraft:
    """The draft of one transcript; ``at`` is when the call came in (history before it)."""
    first = extract(transcript, caller_number=caller_number, now=at)
    history = entries.prior_entries(session, first.address, exclude_call_id=call_id, before=at)
    if not history:
        return first
    return extract(transcript, caller_number=caller_number, history=history, now=at)


def read_call(session: Session, call_id: int) -> IntakeDraft | None:
    """The draft of a stored call, as of the time it came in; None without a transcript."""
    t = load_transcript(session, call_id)
    call = session.get(Call, call_id)
    if t is None or not t.utterances or call is None:
        return None
    return draft(session, t, call.caller, call_id=call_id, at=call.invited_at)
