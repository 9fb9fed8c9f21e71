"""What a stored call said, read as a draft entry: its transcript, the caller's number and the
ledger's history of the same place, through the intake.

One reading for the worker (the draft), `frontdesk intake --call` and the reconciler (what the
call "heard" to compare with the registered entry): a repeat complaint drafted with history is
re-read with the same history, so the audit does not contradict the draft.

The draft also weighs the site's roster (frontdesk.roster_draft): an address that cannot
exist is flagged, a known caller's home and surname are pre-filled. The reconciler's reading
leaves the roster out: it compares what the call said with the entry, and a home the roster
filled in was never said.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.intake import IntakeDraft
from domain.sites import DEFAULT_SITE
from domain.transcript import Transcript
from frontdesk.roster_draft import apply_roster
from ledger import entries, roster
from ledger.models import Call
from ledger.transcripts import load_transcript
from voice.intake.extract import extract, extract_many
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
    site: str | None = None,
    with_roster: bool = True,
) -> IntakeDraft:
    """The draft of one transcript; ``at`` is when the call came in (history before it).
    ``site``: whose roster to weigh (default: the call's site, else the default site)."""
    first = extract(transcript, caller_number=caller_number, now=at, model=model)
    call_site_code = call_site(session, call_id)
    d = _with_history(session, transcript, first, caller_number, call_id, at,
                      call_site_code if call_id is not None else None, model)  # fmt: skip
    if with_roster:
        code = site or call_site_code
        apply_roster(d, roster.roster_layout(session, code),
                     roster.residents_for(session, caller_number, code))  # fmt: skip
    return d


def _with_history(
    session: Session, transcript: Transcript, first: IntakeDraft, caller_number: str | None,
    call_id: int | None, at: datetime | None, site: str | None, model: IntakeModel | None,
) -> IntakeDraft:  # fmt: skip
    """``first`` (a reading without history) read again with the earlier entries of the place
    it names, when there are any: the same problem raised again is a complaint."""
    history = entries.prior_entries(session, first.address, exclude_call_id=call_id, before=at,
                                    site=site)  # fmt: skip
    if not history:
        return first
    return extract(transcript, caller_number=caller_number, history=history, now=at, model=model)


def call_site(session: Session, call_id: int | None) -> str:
    """The site a call came in on (the default site when there is no call)."""
    code = session.scalar(select(Call.site).where(Call.id == call_id)) if call_id else None
    return code or DEFAULT_SITE


def read_call(session: Session, call_id: int, model: IntakeModel | None = None) -> IntakeDraft | None:
    """The draft of a stored call, as of the time it came in; None without a transcript."""
    t = load_transcript(session, call_id)
    call = session.get(Call, call_id)
    if t is None or not t.utterances or call is None:
        return None
    return draft(session, t, call.caller, call_id=call_id, at=call.invited_at, model=model,
                 with_roster=False)  # what the call said, for the audit


def read_calls(
    session: Session, call_ids: Sequence[int], model: IntakeModel | None = None
) -> dict[int, IntakeDraft | None]:
    """``{call_id: read_call(session, call_id, model)}``, the same drafts, the transcripts
    drafted all at once (extract_many); a call whose place has history is re-read with it."""
    out: dict[int, IntakeDraft | None] = dict.fromkeys(call_ids)
    found: list[tuple[int, Transcript, Call]] = []
    for call_id in call_ids:
        t, call = load_transcript(session, call_id), session.get(Call, call_id)
        if t is not None and t.utterances and call is not None:
            found.append((call_id, t, call))
    # the first reading has no history, so its time does not count (as in draft)
    firsts = extract_many([t for _, t, _ in found], caller_numbers=[c.caller for _, _, c in found],
                          model=model)  # fmt: skip
    for (call_id, t, call), first in zip(found, firsts, strict=True):
        out[call_id] = _with_history(session, t, first, call.caller, call_id, call.invited_at,
                                     call.site or DEFAULT_SITE, model)  # fmt: skip
    return out


def reader_for(models_dir: Path | None):
    """``read_call`` with the site's current model, for the reconciler; its ``many`` reads a
    list of calls at once (``read_calls``)."""

    def read(session: Session, call_id: int) -> IntakeDraft | None:
        return read_call(session, call_id, model=current_model(models_dir))

    def many(session: Session, call_ids: Sequence[int]) -> dict[int, IntakeDraft | None]:
        return read_calls(session, call_ids, model=current_model(models_dir))

    read.many = many  # type: ignore[attr-defined]
    return read
