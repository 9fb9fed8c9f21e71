"""What the intake heard in a call's transcript, as the reconciler compares it: computed by
the application's reader once and cached in the transcript row (transcripts.data.intake)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.models import Transcript
from ledger.reconcile.context import Ctx
from ledger.reconcile.settings import CallReader

INTAKE_CACHE_VERSION = 4  # bump when voice.intake or intake_summary changes what it holds


def heard_for(ctx: Ctx, call_ids: list[int], with_text: bool = False) -> dict[int, dict]:
    """What intake hears in each call's transcript (cached in the transcript row)."""
    out: dict[int, dict | None] = {}
    stale: list[tuple[int, str | None]] = []  # (call, its text) whose cached reading is old
    s = ctx.session
    sqlite = s.bind.dialect.name == "sqlite"
    # SQLite: the cached summary as JSON text, decoded once here (the JSON type's path
    # accessor quotes and decodes it twice)
    intake = func.json_extract(Transcript.data, "$.intake") if sqlite else Transcript.data["intake"]
    cols = [Transcript.call_id, intake]
    if with_text:
        cols.append(Transcript.text)
    dense = len(call_ids) > 5000 and max(call_ids) - min(call_ids) < 2 * len(call_ids)
    if dense:  # a chunk of consecutive calls: one range query
        wanted = set(call_ids)
        conds = [Transcript.call_id.between(min(call_ids), max(call_ids))]
    else:
        wanted, conds = None, ctx.one_of(Transcript.call_id, call_ids)
    for cond in conds:
        for call_id, stored, *text in ctx.rows(select(*cols).where(cond)):
            if wanted is not None and call_id not in wanted:
                continue
            cached = json.loads(stored) if sqlite and stored is not None else stored
            if not cached or cached.get("v") != INTAKE_CACHE_VERSION:
                stale.append((call_id, text[0] if with_text else None))
                out[call_id] = None  # its place kept: read below with the other stale ones
            else:
                out[call_id] = {**cached, "text": text[0]} if with_text else cached
    if not stale:
        return out  # type: ignore[return-value]
    for k in range(0, len(stale), READ_AT_ONCE):
        part = stale[k : k + READ_AT_ONCE]
        heard = _read(s, [call_id for call_id, _ in part], ctx.rules.reader)
        for call_id, text in part:
            cached = _compute_intake(s, call_id, heard.get(call_id))
            if cached is not None:
                out[call_id] = {**cached, "text": text} if with_text else cached
    return {k: v for k, v in out.items() if v is not None}


READ_AT_ONCE = 500  # stale calls read by the application in one go (its reader's many)


def _read(session: Session, call_ids: list[int], reader: CallReader | None) -> dict:
    """What the reader hears in each call: all at once when the application's reader can
    (a ``many`` beside it: the intake drafts many transcripts faster together)."""
    if reader is None:
        return {}
    many = getattr(reader, "many", None)
    if many is not None:
        return many(session, call_ids)
    return {call_id: reader(session, call_id) for call_id in call_ids}


def _compute_intake(session: Session, call_id: int, heard) -> dict | None:
    if heard is None:
        return None
    cached = intake_summary(heard)
    row = session.scalar(select(Transcript).where(Transcript.call_id == call_id))
    row.data = {**row.data, "intake": cached}
    return cached


def intake_summary(heard) -> dict[str, Any]:
    """The part of an IntakeDraft the reconciler compares; stored as transcripts.data.intake."""
    return {
        "v": INTAKE_CACHE_VERSION,
        "address": heard.address.code(),
        # each part heard, so a partial address (the unit missed) is still compared
        "building": heard.address.building,
        "unit": heard.address.unit,
        "room": heard.address.room,
        "category": heard.category,
        "category_conf": float(heard.confidence.get("category", 0.0)),
        "phone": heard.caller.phone,  # the number the caller gave (a withheld caller ID)
        "urgent": bool(heard.urgent),
        "urgent_conf": float(heard.confidence.get("urgent", 0.0)),
    }
