"""A call's transcript in the ledger (one per call; re-running replaces it)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.transcript import Transcript
from ledger.models import Transcript as TranscriptRow


def save_transcript(session: Session, call_id: int, t: Transcript) -> TranscriptRow:
    row = session.scalar(select(TranscriptRow).where(TranscriptRow.call_id == call_id))
    if row is None:
        row = TranscriptRow(call_id=call_id)
        session.add(row)
    row.engine, row.model, row.language = t.engine, t.model, t.language
    row.duration_s = t.duration_s
    row.data = t.to_dict()
    row.text = t.text()
    session.flush()
    return row


def load_transcript(session: Session, call_id: int) -> Transcript | None:
    row = session.scalar(select(TranscriptRow).where(TranscriptRow.call_id == call_id))
    return Transcript.from_dict(row.data) if row else None
