"""The front desk page: the agent's live desk.

/desk           the call's draft beside its transcript after hangup, today's unconfirmed
                drafts, walk-ins; the live line (ringing and active calls over /events, the
                line controls) is in ``desk_line``.

The ledger list and the entries' lifecycle are in ``ledger_page``.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from domain.rules import Rules
from domain.sites import Site
from domain.vocabulary import CATEGORIES, COMPLAINT_CLASSES, DEPARTMENTS, REPAIR_SCOPES
from frontdesk.console import scope
from frontdesk.console.desk_line import (
    DESK_ROLES,
    STATUS_LABELS,
    known_caller,
    own_line,
)
from frontdesk.console.web import Console, Ctx, guarded
from ledger import entries
from ledger.models import Call, LedgerEntry
from ledger.sites import ensure_site
from ledger.transcripts import load_transcript
from ledger.types import utcnow
from voice.asr.live import load_live

PAGE_SIZE = 50
# the draft form's fields, in order: (name, label)
TEXT_FIELDS = ["building", "unit", "room", "public_area", "department", "caller_name",
               "caller_phone", "summary", "content"]  # fmt: skip
CHOICE_FIELDS = {"category": CATEGORIES, "repair_scope": REPAIR_SCOPES,
                 "complaint_class": COMPLAINT_CLASSES}  # fmt: skip
# evidence names the intake uses → the form fields they support
ADDRESS = ("building", "unit", "room", "public_area")
EVIDENCE_FIELDS = {"address": ADDRESS, "address.invalid": ADDRESS,
                   "caller.phone": ("caller_phone",), "caller.surname": ("caller_name",),
                   "caller.phone.unsure": ("caller_phone",), "caller": ("caller_name",)}  # fmt: skip
LOW_CONFIDENCE = 0.6
ROSTER_MARKS = ("address.invalid", "address.roster", "caller.roster")  # frontdesk.roster_draft
# flags shown as such under their field, not as the words that support it
FLAGS = (*ROSTER_MARKS, "caller.phone.unsure")  # a number after 手机 that is no mobile


# ---- the draft after hangup ----


def _find_call(db: Session, key: str) -> Call | None:
    if key.isdigit():
        return db.get(Call, int(key))
    return db.scalar(select(Call).where(Call.uuid == key))


def draft_status(ctx: Ctx, key: str) -> Response:
    """Is the call's draft ready? (The worker writes transcript + draft after hangup.)"""
    call = _find_call(ctx.db, key)
    if call is None or not ctx.user.sees(call.site):
        return JSONResponse({"ok": True, "ready": False, "stored": False})
    entry = ctx.db.scalar(
        select(LedgerEntry).where(LedgerEntry.call_id == call.id).order_by(LedgerEntry.id)
    )
    has_transcript = load_transcript(ctx.db, call.id) is not None
    ready = entry is not None
    return JSONResponse({
        "ok": True, "stored": True, "call_id": call.id, "ready": ready,
        "transcript": has_transcript, "entry_id": entry.id if entry else None,
        "status": entry.status if entry else None,
        "url": f"/desk?entry={entry.id}" if entry else None,
    }, headers={"cache-control": "no-store"})  # fmt: skip


def _call_uuid(key: str) -> str:
    """A call's uuid exactly as the phone writes it (lowercase, hyphenated); anything else,
    e.g. ``..`` or a path, is refused before it comes near a file name."""
    try:
        canonical = str(uuidlib.UUID(key))
    except ValueError:
        canonical = ""
    if canonical != key:
        raise HTTPException(400, f"call {key[:60]!r} is not a call uuid")
    return key


def live_transcript(ctx: Ctx, key: str) -> Response:
    """What the worker has transcribed of a call that is still on (its ``.live.json``).

    The phone records a live call into ``.partial/<uuid>/``; while that folder exists the
    call is live. Utterances come in time order; speech without words is left out."""
    call_uuid = _call_uuid(key)
    own_line(ctx)
    partial = ctx.console.cfg.archive().partial_root  # this desk's spool (shared root or not)
    live = (partial / call_uuid).is_dir()
    result = load_live(partial, call_uuid) if live else None
    utts = sorted(
        (
            {"speaker": s.speaker, "start": round(s.start, 2), "end": round(s.end, 2),
             "text": s.utterance.text}
            for s in (result.segments if result else [])
            if s.utterance is not None and s.utterance.text.strip()
        ),
        key=lambda u: (u["start"], u["speaker"]),
    )  # fmt: skip
    return JSONResponse(
        {"ok": True, "call": call_uuid, "live": live, "utterances": utts},
        headers={"cache-control": "no-store"},
    )


@dataclass
class Segment:
    text: str
    fields: str = ""  # space-separated evidence fields; "" = plain text


def transcript_view(db: Session, call: Call | None, evidence: list[Any]) -> list[dict[str, Any]]:
    """Utterances split into plain and evidence segments (rendered escaped by Jinja)."""
    if call is None:
        return []
    t = load_transcript(db, call.id)
    if t is None:
        return []
    spans: dict[int, list[tuple[int, int, str]]] = {}
    loose: list[dict[str, Any]] = []
    for ev in evidence or []:
        if not isinstance(ev, dict) or not ev.get("text"):
            continue
        idx = ev.get("utterance")
        if isinstance(idx, int) and 0 <= idx < len(t.utterances):
            candidates = [idx]
        else:
            candidates = list(range(len(t.utterances)))
        for i in candidates:
            pos = t.utterances[i].text.find(ev["text"])
            if pos >= 0:
                spans.setdefault(i, []).append((pos, pos + len(ev["text"]), ev.get("field", "")))
                break
        else:
            loose.append(ev)
    out = []
    for i, u in enumerate(t.utterances):
        out.append({
            "i": i, "speaker": u.speaker, "start": u.start, "end": u.end,
            "segments": _segments(u.text, spans.get(i, [])),
            "fields": " ".join(sorted({f for ev in loose if ev.get("utterance") == i
                                       for f in [ev.get("field", "")]})),
        })  # fmt: skip
    return out


def _segments(text: str, spans: list[tuple[int, int, str]]) -> list[Segment]:
    """Cut ``text`` at the evidence spans; overlapping spans merge and keep all fields."""
    if not spans:
        return [Segment(text)]
    bounds = sorted({0, len(text), *[s for s, _, _ in spans], *[e for _, e, _ in spans]})
    out: list[Segment] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        if a == b:
            continue
        fields = " ".join(sorted({f or "evidence" for s, e, f in spans if s <= a and b <= e}))
        if out and out[-1].fields == fields:
            out[-1] = Segment(out[-1].text + text[a:b], fields)
        else:
            out.append(Segment(text[a:b], fields))
    return out


def _evidence_by_field(evidence: list[Any]) -> dict[str, list[str]]:
    """Form field → the words that led to it (shown under the field; address once)."""
    out: dict[str, list[str]] = {}
    for ev in evidence or []:
        if not isinstance(ev, dict):
            continue
        name = str(ev.get("field", ""))
        key = "address" if name.startswith("address") else EVIDENCE_FIELDS.get(name, (name,))[0]
        if name in FLAGS:  # a flag or a roster pre-fill: shown as such, not as words heard
            key = name
        out.setdefault(key, []).append(str(ev.get("text", "")))
    return out


def _low_confidence(confidence: dict[str, Any] | None) -> set[str]:
    """Form fields the intake was unsure of (shown for the agent to check)."""
    out: set[str] = set()
    for name, value in (confidence or {}).items():
        if isinstance(value, int | float) and value < LOW_CONFIDENCE:
            out.update(EVIDENCE_FIELDS.get(name, (name,)))
    return out


def _local_day(console: Console, day: str | None) -> tuple[datetime, datetime, str]:
    """[start, end) in UTC of a local calendar day ("YYYY-MM-DD"; today when empty)."""
    if day:
        try:
            d = datetime.strptime(day, "%Y-%m-%d").date()
            start, end = console.day_bounds(d)
        except (ValueError, OverflowError):
            raise HTTPException(400, f"date {day!r} is not YYYY-MM-DD") from None
    else:
        d = datetime.now(UTC).astimezone(console.tz).date()
        start, end = console.day_bounds(d)
    return start, end, d.isoformat()


def _open_drafts(ctx: Ctx) -> list[dict[str, Any]]:
    start, _, _ = _local_day(ctx.console, None)
    rows = ctx.db.execute(
        select(LedgerEntry, Call)
        .outerjoin(Call, Call.id == LedgerEntry.call_id)
        .where(LedgerEntry.status == "draft", LedgerEntry.created_at >= start,
               scope.where(ctx, LedgerEntry.site))
        .order_by(LedgerEntry.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    return [{"entry": e, "call": c, "deadline": _deadline(c, ctx.console.rules)} for e, c in rows]


def open_drafts(ctx: Ctx) -> Response:
    """Today's unconfirmed drafts, for /desk to pick up drafts the worker finishes while it
    is open (one indexed query on status + created_at, at most PAGE_SIZE rows)."""
    out = []
    for d in _open_drafts(ctx):
        e, c = d["entry"], d["call"]
        out.append({
            "id": e.id, "phone": e.caller_phone or (c.caller if c else "") or "",
            "category": e.category or "", "summary": e.summary or "", "urgent": e.urgent,
            "deadline": d["deadline"].isoformat() if d["deadline"] else None,
        })  # fmt: skip
    return JSONResponse({"ok": True, "drafts": out}, headers={"cache-control": "no-store"})


def _deadline(call: Call | None, rules: Rules) -> datetime | None:
    """When an answered call's entry is due: the registration grace after hangup."""
    if call is None or call.ended_at is None or call.answered_at is None:
        return None
    return call.ended_at + timedelta(seconds=rules.registration_grace_s)


def desk(ctx: Ctx) -> Response:
    entry = call = None
    key = ctx.query.get("entry")
    if key:
        entry = ctx.db.get(LedgerEntry, int(key)) if key.isdigit() else None
        scope.require(ctx, entry.site if entry else None, f"no ledger entry {key}")
        assert entry is not None
        call = ctx.db.get(Call, entry.call_id) if entry.call_id else None
    walkin = ctx.query.get("new") == "walkin"
    return _desk_page(ctx, entry, call, walkin)


def _desk_page(ctx: Ctx, entry: LedgerEntry | None, call: Call | None, walkin: bool,
               error: str | None = None, values: dict[str, Any] | None = None,
               status_code: int = 200) -> Response:  # fmt: skip
    evidence = entry.evidence if entry else []
    return ctx.render(
        "desk/desk.html",
        status_code=status_code,
        entry=entry,
        call=call,
        walkin=walkin,
        values=values or (_entry_values(entry) if entry else {"urgent": False}),
        transcript=transcript_view(ctx.db, call, evidence),
        evidence=_evidence_by_field(evidence),
        low=_low_confidence(entry.confidence if entry else None),
        deadline=_deadline(call, ctx.console.rules),
        drafts=_open_drafts(ctx),
        known=known_caller(ctx.db, call.caller, ctx.user.sites) if call else None,
        walkin_sites=_walkin_sites(ctx) if walkin else [],
        error=error,
        confirmed=_int_param(ctx.query.get("confirmed")),
        choices=CHOICE_FIELDS,
        departments=DEPARTMENTS,
        status_labels=STATUS_LABELS,
    )


def _int_param(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _entry_values(e: LedgerEntry) -> dict[str, Any]:
    return {f: getattr(e, f) for f in [*TEXT_FIELDS, *CHOICE_FIELDS, "urgent"]}


def _form_fields(form: dict[str, str]) -> dict[str, Any]:
    """The draft form as ledger values: blanks are None (summary/content stay strings)."""
    out: dict[str, Any] = {}
    for f in [*TEXT_FIELDS, *CHOICE_FIELDS]:
        v = form.get(f, "").strip()
        v = v.replace("\r\n", "\n")  # browsers send textarea lines as CRLF
        out[f] = v if (v or f in ("summary", "content")) else None
    out["urgent"] = form.get("urgent") in ("on", "1", "true")
    for f, allowed in CHOICE_FIELDS.items():
        if out[f] is not None and out[f] not in allowed:
            raise entries.EntryError(f"{f} {out[f]!r} is not one of {', '.join(allowed)}")
    if out["caller_phone"] and not out["caller_phone"].replace("-", "").isdigit():
        raise entries.EntryError(f"caller phone {out['caller_phone']!r} must be digits")
    return out


def save_draft(ctx: Ctx, entry_id: int) -> Response:
    """Save (action=save) or confirm (action=confirm) a call's draft with the agent's edits."""
    entry = ctx.db.get(LedgerEntry, int(entry_id))
    scope.require(ctx, entry.site if entry else None, f"no ledger entry {entry_id}")
    assert entry is not None
    call = ctx.db.get(Call, entry.call_id) if entry.call_id else None
    action = ctx.form.get("action", "confirm")
    try:
        fields = _form_fields(ctx.form)
        if entry.status != "draft":
            raise entries.EntryError(
                f"entry {entry.id} is already {STATUS_LABELS.get(entry.status, entry.status)}"
            )
        if action == "confirm":
            entries.confirm(ctx.db, entry.id, ctx.user.username, **fields)
        else:
            entries.update(ctx.db, entry.id, ctx.user.username, **fields)
    except (entries.EntryError, IntegrityError) as exc:
        ctx.db.rollback()
        entry = ctx.db.get(LedgerEntry, int(entry_id))
        return _desk_page(ctx, entry, call, False, error=str(exc),
                          values=_raw_values(ctx.form), status_code=400)  # fmt: skip
    if action == "confirm":
        return ctx.redirect(f"/desk?confirmed={entry.id}")
    return ctx.redirect(f"/desk?entry={entry.id}")


def _walkin_sites(ctx: Ctx) -> list[Site]:
    """Where a walk-in may be registered: this desk's site first, then the user's others."""
    own = ctx.console.cfg.site
    mine = scope.choices(ctx)
    return sorted(mine, key=lambda s: s.code != own.code)


def _walkin_site(ctx: Ctx) -> str:
    """The walk-in's site: the form's choice (one of the user's), else this desk's (else the
    user's first: a desk's form shows no choice to someone of one site)."""
    own = ctx.console.cfg.site.code
    code = ctx.form.get("site", "").strip()
    if not code:
        code = own if ctx.user.sees(own) else next(iter(_walkin_sites(ctx)), Site(own, own)).code
    if not ctx.user.sees(code):
        raise entries.EntryError(f"you may not register entries for site {code!r}")
    if code == ctx.console.cfg.site.code:
        ensure_site(ctx.db, ctx.console.cfg.site)  # a console that has not stored a call yet
    return code


def _raw_values(form: dict[str, str]) -> dict[str, Any]:
    v: dict[str, Any] = {f: form.get(f, "") for f in [*TEXT_FIELDS, *CHOICE_FIELDS, "site"]}
    v["urgent"] = form.get("urgent") in ("on", "1", "true")
    return v


def walkin(ctx: Ctx) -> Response:
    """A walk-in (来访): the same form, no call; registered by the agent at once."""
    try:
        fields = _form_fields(ctx.form)
        if not fields["category"]:
            raise entries.EntryError("choose a category (类别) before confirming")
        if not fields["summary"]:
            raise entries.EntryError("write a summary (摘要) of the visit")
        site = _walkin_site(ctx)
        entry = LedgerEntry(source="来访", status="draft", created_at=utcnow(), summary="",
                            site=site)  # fmt: skip
        ctx.db.add(entry)
        ctx.db.flush()
        entries.confirm(ctx.db, entry.id, ctx.user.username, **fields)
    except entries.EntryError as exc:
        ctx.db.rollback()
        return _desk_page(ctx, None, None, True, error=str(exc),
                          values=_raw_values(ctx.form), status_code=400)  # fmt: skip
    return ctx.redirect(f"/desk?confirmed={entry.id}")


routes: list[BaseRoute] = [
    guarded("/desk", desk, roles=DESK_ROLES),
    guarded("/desk/walkin", walkin, roles=DESK_ROLES, methods=("POST",)),
    guarded("/desk/entries/{entry_id:int}", save_draft, roles=DESK_ROLES, methods=("POST",)),
    guarded("/api/calls/{key}/draft", draft_status, roles=DESK_ROLES),
    guarded("/api/calls/{key}/live", live_transcript, roles=DESK_ROLES),
    guarded("/api/desk/drafts", open_drafts, roles=DESK_ROLES),
]
