"""Calls in the ledger: store what the phone reports, list and describe them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.calls import CallRecord
from domain.sites import DEFAULT_SITE
from ledger.models import Call

__all__ = ["Call", "record_call", "list_calls", "call_to_dict"]


def record_call(session: Session, rec: CallRecord, site: str = DEFAULT_SITE) -> Call:
    """Insert the call, or update it when the same uuid is reported again (idempotent).
    ``site``: the code of the site whose line took the call (a call keeps its first site)."""
    call = session.scalar(select(Call).where(Call.uuid == rec.uuid))
    if call is None:
        call = Call(uuid=rec.uuid, site=site)
        session.add(call)
    clipped: list[str] = []
    call.sip_call_id = _fit("sip_call_id", rec.sip_call_id, clipped)
    call.caller = _fit("caller", rec.caller, clipped)
    call.caller_name = _fit("caller_name", rec.caller_name, clipped)
    call.callee = _fit("callee", rec.callee, clipped)
    call.invited_at = rec.invited_at
    call.answered_at = rec.answered_at
    call.ended_at = rec.ended_at
    call.rings = rec.rings
    call.answered_by = rec.answered_by
    call.outcome = rec.outcome
    cause = rec.cause
    if clipped:  # said in the row; the row itself is never lost to a long From header
        cause = "; ".join([*([cause] if cause else []), f"{', '.join(clipped)} cut to fit"])
    call.cause = _fit("cause", cause, [])
    call.codec = rec.codec
    r = rec.recording
    call.recording_path = r.path if r else None
    call.recording_sha256 = r.sha256 if r else None
    call.recording_size = r.size if r else None
    call.recording_duration_s = r.duration_s if r else None
    call.recording_channels = r.channels if r else None
    call.recording_sample_rate = r.sample_rate if r else None
    session.flush()
    return call


def _fit(column: str, value: str | None, clipped: list[str]) -> str | None:
    """``value`` cut to its column's length (PostgreSQL refuses a longer one, and the
    whole row with it; a caller chooses the length of its From and Call-ID)."""
    limit = getattr(Call.__table__.c[column].type, "length", None)
    if value is None or limit is None or len(value) <= limit:
        return value
    clipped.append(f"{column} ({len(value)} chars)")
    return value[:limit]


def list_calls(
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    outcome: str | None = None,
    limit: int | None = None,
    site: str | None = None,
) -> list[Call]:
    q = select(Call).order_by(Call.invited_at.desc(), Call.id.desc())
    if site:
        q = q.where(Call.site == site)
    if since:
        q = q.where(Call.invited_at >= since)
    if until:
        q = q.where(Call.invited_at < until)
    if outcome:
        q = q.where(Call.outcome == outcome)
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q))


def call_to_dict(call: Call) -> dict[str, Any]:
    recording = None
    if call.recording_path:
        recording = {
            "path": call.recording_path,
            "sha256": call.recording_sha256,
            "size": call.recording_size,
            "duration_s": call.recording_duration_s,
            "channels": call.recording_channels,
            "sample_rate": call.recording_sample_rate,
        }
    return {
        "id": call.id,
        "uuid": call.uuid,
        "sip_call_id": call.sip_call_id,
        "caller": call.caller,
        "caller_name": call.caller_name,
        "callee": call.callee,
        "invited_at": call.invited_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "rings": call.rings,
        "answered_by": call.answered_by,
        "outcome": call.outcome,
        "direction": call.direction,
        "site": call.site,
        "cause": call.cause,
        "codec": call.codec,
        "recording": recording,
    }
