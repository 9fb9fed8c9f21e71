"""The reconciler: recorded calls × ledger entries → findings a supervisor acts on.

Rule: recorded calls and ledger entries correspond one to one (录音电话内容必须与台账
登记一一对应), every call is registered (所有电话必须登记). Matching: an entry's linked
call first; an unlinked phone entry is then matched one-to-one to the nearest unmatched
call from the same number within ``match_window_s``.

Findings are persisted under a stable key (kind + subject), so re-runs are idempotent:
a finding no longer detected is resolved by the reconciler; one a supervisor resolved
stays resolved unless its evidence changes (a later change reopens it).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Call, Finding, LedgerEntry
from ledger.transcripts import load_transcript
from ledger.types import utcnow

KINDS = [
    "UNLOGGED_CALL", "ORPHAN_ENTRY", "DUPLICATE_ENTRY", "CONTENT_MISMATCH", "LATE_REGISTRATION",
    "SLOW_ANSWER", "MISSED_NO_CALLBACK", "CALLBACK_OVERDUE", "RECORDING_MISSING",
    "RECORDING_TAMPERED", "DURATION_MISMATCH",
]  # fmt: skip
RECORDED = ("answered", "interrupted")


@dataclass
class Rules:
    grace_s: float = 60.0  # register within 1 minute of hangup
    max_rings: int = 3
    callback_s: float = 2 * 3600.0  # call the resident back within 2 hours
    match_window_s: float = 1800.0
    duration_tolerance_s: float = 2.0
    recordings_root: Path | None = None  # set to check files (missing, tampered)
    verify_hashes: bool = True
    content: bool = True  # compare confirmed entries with a fresh intake of the transcript


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


def reconcile(
    session: Session,
    now: datetime | None = None,
    grace_s: float | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    rules: Rules | None = None,
) -> list[Finding]:
    """Detect, persist, and return the findings in scope (open and resolved)."""
    rules = rules or Rules()
    if grace_s is not None:
        rules.grace_s = grace_s
    now = now or utcnow()
    calls, entries = _load(session, since, until, rules)
    detected = list(_detect(session, calls, entries, now, rules))
    return _persist(session, detected, now, since, until)


def _load(session, since, until, rules) -> tuple[list[Call], list[LedgerEntry]]:
    cq, eq = select(Call), select(LedgerEntry)
    margin = timedelta(seconds=rules.match_window_s)
    if since:
        cq = cq.where(Call.invited_at >= since)
        eq = eq.where(LedgerEntry.created_at >= since - margin)
    if until:
        cq = cq.where(Call.invited_at < until)
        eq = eq.where(LedgerEntry.created_at < until + margin)
    return list(session.scalars(cq.order_by(Call.id))), list(
        session.scalars(eq.order_by(LedgerEntry.id))
    )


def _registered(e: LedgerEntry) -> bool:
    return e.status != "draft"


def _match(
    calls: list[Call], entries: list[LedgerEntry], rules: Rules
) -> dict[int, list[LedgerEntry]]:
    """call id → its registered entries (linked first, then one-to-one by number and time)."""
    by_call: dict[int, list[LedgerEntry]] = defaultdict(list)
    ids = {c.id for c in calls}
    loose = []
    for e in entries:
        if not _registered(e):
            continue
        if e.call_id in ids:
            by_call[e.call_id].append(e)
        elif e.call_id is None and e.source == "来电":
            loose.append(e)
    window = timedelta(seconds=rules.match_window_s)
    free = [c for c in calls if c.outcome in RECORDED and c.id not in by_call]
    for e in sorted(loose, key=lambda e: e.created_at):
        best, best_gap = None, window
        for c in free:
            if not e.caller_phone or e.caller_phone != c.caller:
                continue
            gap = abs((e.registered_at or e.created_at) - (c.ended_at or c.invited_at))
            if gap <= best_gap:
                best, best_gap = c, gap
        if best is not None:
            by_call[best.id].append(e)
            free.remove(best)
    return by_call


def _detect(session, calls, entries, now, rules) -> Iterable[Detected]:
    by_call = _match(calls, entries, rules)
    matched = {e.id for es in by_call.values() for e in es}
    grace = timedelta(seconds=rules.grace_s)
    calls_by_number: dict[str, list[Call]] = defaultdict(list)
    for c in calls:
        calls_by_number[c.caller].append(c)
    for c in calls:
        own = by_call.get(c.id, [])
        recorded = c.outcome in RECORDED and c.recording_path
        end = c.ended_at or c.invited_at
        if recorded and not own and now >= end + grace:
            yield Detected("UNLOGGED_CALL", c.id, None,
                           f"recorded call from {c.caller} at {_t(c.invited_at)} has no registered ledger entry",
                           {"ended_at": _t(end), "grace_s": rules.grace_s})  # fmt: skip
        if len(own) > 1:
            for e in own[1:]:
                yield Detected("DUPLICATE_ENTRY", c.id, e.id,
                               f"entries {', '.join(str(x.id) for x in own)} all claim call {c.id}",
                               {"entries": [x.id for x in own]})  # fmt: skip
        for e in own:
            if e.registered_at and e.registered_at > end + grace:
                late = (e.registered_at - end).total_seconds()
                yield Detected("LATE_REGISTRATION", c.id, e.id,
                               f"registered {late:.0f}s after hangup (limit {rules.grace_s:.0f}s)",
                               {"registered_at": _t(e.registered_at), "ended_at": _t(end)})  # fmt: skip
        if c.outcome == "answered" and c.rings > rules.max_rings:
            yield Detected("SLOW_ANSWER", c.id, None,
                           f"answered at ring {c.rings} (rule: within {rules.max_rings})",
                           {"rings": c.rings, "answered_by": c.answered_by})  # fmt: skip
        if c.outcome == "missed" and now >= end + timedelta(seconds=rules.callback_s):
            if not _called_back(c, calls_by_number[c.caller], entries, rules):
                yield Detected("MISSED_NO_CALLBACK", c.id, None,
                               f"missed call from {c.caller} ({c.rings} rings) never returned",
                               {"rings": c.rings})  # fmt: skip
        if recorded:
            yield from _check_recording(c, rules)
            if c.answered_at and c.ended_at and c.recording_duration_s is not None:
                talk = (c.ended_at - c.answered_at).total_seconds()
                tol = max(rules.duration_tolerance_s, 0.05 * talk)
                if abs(talk - c.recording_duration_s) > tol:
                    yield Detected("DURATION_MISMATCH", c.id, None,
                                   f"call lasted {talk:.1f}s but the recording holds {c.recording_duration_s:.1f}s",
                                   {"call_s": round(talk, 1), "recording_s": c.recording_duration_s})  # fmt: skip
            if rules.content and own:
                yield from _check_content(session, c, own[0])
    for e in entries:
        if e.source == "来电" and _registered(e) and e.id not in matched:
            has_call = e.call_id is not None and any(
                c.id == e.call_id and c.recording_path for c in calls
            )
            if not has_call:
                yield Detected("ORPHAN_ENTRY", e.call_id, e.id,
                               f"phone entry {e.id} ({e.address_code() or e.public_area or '-'}) has no recorded call",
                               {"caller_phone": e.caller_phone})  # fmt: skip
        if (
            e.category == "报修"
            and e.returned_at
            and e.status in ("returned", "called_back", "closed")
        ):
            due = e.returned_at + timedelta(seconds=rules.callback_s)
            if (e.callback_at is None and now > due) or (e.callback_at and e.callback_at > due):
                yield Detected("CALLBACK_OVERDUE", e.call_id, e.id,
                               f"repair returned at {_t(e.returned_at)} not called back within 2 hours",
                               {"returned_at": _t(e.returned_at), "callback_at": _t(e.callback_at)})  # fmt: skip


def _called_back(missed: Call, same_number: list[Call], entries, rules) -> bool:
    """A later answered call with that number, or an entry for that number, counts."""
    after = missed.ended_at or missed.invited_at
    limit = after + timedelta(seconds=rules.callback_s)
    if any(c.id != missed.id and c.outcome == "answered" and after <= c.invited_at <= limit
           for c in same_number):  # fmt: skip
        return True
    return any(e.caller_phone == missed.caller and after <= e.created_at <= limit for e in entries)


def _check_recording(c: Call, rules: Rules) -> Iterable[Detected]:
    if rules.recordings_root is None:
        return
    path = Path(rules.recordings_root) / c.recording_path
    if not path.is_file():
        yield Detected("RECORDING_MISSING", c.id, None, f"recording {c.recording_path} is missing",
                       {"path": c.recording_path})  # fmt: skip
        return
    if rules.verify_hashes and c.recording_sha256:
        from recordings.archive import sha256_file

        actual = sha256_file(path)
        if actual != c.recording_sha256:
            yield Detected("RECORDING_TAMPERED", c.id, None,
                           f"recording {c.recording_path} does not match its SHA-256",
                           {"expected": c.recording_sha256, "actual": actual})  # fmt: skip


def _check_content(session: Session, c: Call, e: LedgerEntry) -> Iterable[Detected]:
    transcript = load_transcript(session, c.id)
    if transcript is None or not transcript.utterances:
        return
    from voice.intake.extract import extract

    heard = extract(transcript, caller_number=c.caller)
    diffs = {}
    code = heard.address.code()
    if code and e.address_code() and code != e.address_code():
        diffs["address"] = {"entry": e.address_code(), "transcript": code}
    if heard.category and e.category and heard.category != e.category:
        conf = heard.confidence.get("category", 0.0)
        if conf >= 0.6:
            diffs["category"] = {"entry": e.category, "transcript": heard.category}
    if heard.urgent and not e.urgent:
        diffs["urgent"] = {"entry": e.urgent, "transcript": heard.urgent}
    if diffs:
        fields = ", ".join(diffs)
        yield Detected("CONTENT_MISMATCH", c.id, e.id,
                       f"entry {e.id} contradicts the call's transcript on {fields}", diffs)  # fmt: skip


def _persist(session, detected: list[Detected], now, since, until) -> list[Finding]:
    existing = {f.key: f for f in session.scalars(select(Finding))}
    seen = set()
    out = []
    for d in detected:
        if d.key in seen:
            continue
        seen.add(d.key)
        digest = _digest(d.evidence)
        f = existing.get(d.key)
        if f is None:
            f = Finding(key=d.key, kind=d.kind, call_id=d.call_id, entry_id=d.entry_id,
                        detail=d.detail, evidence={**d.evidence, "_digest": digest},
                        status="open", detected_at=now)  # fmt: skip
            session.add(f)
        elif f.status == "resolved":
            if f.resolved_by == "reconciler" or f.evidence.get("_digest") != digest:
                f.status, f.detected_at = "open", now  # it came back, or something changed
                f.resolved_at = f.resolved_by = None
        f.detail = d.detail
        f.evidence = {**d.evidence, "_digest": digest}
        out.append(f)
    for key, f in existing.items():
        if key in seen or f.status != "open" or not _in_scope(session, f, since, until):
            continue
        f.status, f.resolved_at, f.resolved_by = "resolved", now, "reconciler"
        f.note = "no longer detected"
        out.append(f)
    session.flush()
    return out


def _in_scope(session, f: Finding, since, until) -> bool:
    if since is None and until is None:
        return True
    when = None
    if f.call_id is not None:
        c = session.get(Call, f.call_id)
        when = c.invited_at if c else None
    elif f.entry_id is not None:
        e = session.get(LedgerEntry, f.entry_id)
        when = e.created_at if e else None
    if when is None:
        return True
    return (since is None or when >= since) and (until is None or when < until)


def resolve(session: Session, finding_id: int, by: str, note: str) -> Finding:
    f = session.get(Finding, finding_id)
    if f is None:
        raise ValueError(f"no finding {finding_id}")
    if not note.strip():
        raise ValueError("a resolution needs a note")
    f.status, f.resolved_by, f.resolved_at, f.note = "resolved", by, utcnow(), note
    session.flush()
    return f


def finding_to_dict(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id, "kind": f.kind, "call_id": f.call_id, "entry_id": f.entry_id,
        "detail": f.detail, "detected_at": f.detected_at, "status": f.status,
        "resolved_by": f.resolved_by, "resolved_at": f.resolved_at, "note": f.note,
        "evidence": {k: v for k, v in (f.evidence or {}).items() if not k.startswith("_")},
    }  # fmt: skip


def _digest(evidence: dict) -> str:
    return hashlib.sha256(json.dumps(evidence, sort_keys=True, default=str).encode()).hexdigest()[
        :16
    ]


def _t(v: datetime | None) -> str | None:
    return v.isoformat() if v else None
