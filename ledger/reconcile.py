"""The reconciler: recorded calls × ledger entries → findings a supervisor acts on.

Rule: recorded calls and ledger entries correspond one to one (录音电话内容必须与台账
登记一一对应), every call is registered (所有电话必须登记). Matching: an entry's linked
call first; the unlinked phone entries are then assigned one to one to the recorded calls
still without an entry (ledger.matching: caller number, time, address, content).

Built for a year of a large community (a million calls and entries): calls are streamed in
chunks of plain tuples with times as epoch seconds computed by the database, the checks
that need other rows fetch them per chunk, findings are written in bulk, and only rows in
the ``since``/``until`` window are read. Content checks compare with the intake of the
call's transcript, cached in the transcript row the first time it is computed.

Findings are persisted under a stable key (kind + subject), so re-runs are idempotent:
a finding no longer detected is resolved by the reconciler; one a supervisor resolved
stays resolved unless its evidence changes (a later change reopens it).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Float, and_, cast, exists, func, insert, or_, select, true, update
from sqlalchemy.orm import Session

from domain.intake import IntakeDraft
from domain.rules import Rules as DomainRules
from ledger import explain as say
from ledger.matching import (
    CLOCK_SLACK_S,
    CallCandidate,
    LooseEntry,
    assign,
    number_key,
    same_number,
    similarity,
)
from ledger.models import Call, EntryChange, Finding, LedgerEntry, Site, Transcript
from ledger.types import utcnow
from recordings.archive import is_spooled


class CallReader(Protocol):
    def __call__(self, session: Session, call_id: int) -> IntakeDraft | None:
        """The IntakeDraft of a stored call's transcript, None when it has none."""


KINDS = [
    "UNLOGGED_CALL", "ORPHAN_ENTRY", "DUPLICATE_ENTRY", "CONTENT_MISMATCH", "LATE_REGISTRATION",
    "SLOW_ANSWER", "MISSED_NO_CALLBACK", "CALLBACK_OVERDUE", "RECORDING_MISSING",
    "RECORDING_TAMPERED", "DURATION_MISMATCH", "RECORDING_UNLOGGED",
]  # fmt: skip
RECORDED = ("answered", "interrupted")
URGENT_SURE = 0.75  # the intake marks an urgency below this 请核对 (voice/intake/extract.py)
INTAKE_CACHE_VERSION = 4  # bump when voice.intake or intake_summary changes what it holds
CHUNK = 20_000


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


@dataclass
class RunResult:
    ids: list[int]  # the findings in scope, open and resolved, in detection order
    open_by_kind: Counter = field(default_factory=Counter)
    new: int = 0
    reopened: int = 0
    resolved: int = 0
    calls: int = 0


def reconcile(
    session: Session,
    now: datetime | None = None,
    grace_s: float | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    rules: Rules | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[Finding]:
    """Detect, persist, and return the findings in scope (open and resolved)."""
    result = run(session, now=now, grace_s=grace_s, since=since, until=until, rules=rules,
                 progress=progress)  # fmt: skip
    found: dict[int, Finding] = {}
    for i in range(0, len(result.ids), 5000):
        part = result.ids[i : i + 5000]
        q = select(Finding).where(Finding.id.in_(part)).execution_options(populate_existing=True)
        found.update((f.id, f) for f in session.scalars(q))
    return [found[i] for i in result.ids]


def run(
    session: Session,
    now: datetime | None = None,
    grace_s: float | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    rules: Rules | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> RunResult:
    """Detect and persist; returns finding ids and counts without loading ORM objects.
    ``progress(stage, done, total)`` is told how far the calls are checked.

    Calls and entries are matched within their site: with several sites (the sites table)
    a run of every site is a run of each site in turn, then one for the recordings no
    row names (a file has no site); ``rules.site`` runs one site only."""
    rules = rules or Rules()
    if grace_s is not None:
        rules.grace_s = grace_s
    now = now or utcnow()
    session.flush()
    sites = [rules.site] if rules.site is not None else list(
        session.scalars(select(Site.code).order_by(Site.code)))  # fmt: skip
    if rules.site is None and len(sites) <= 1:  # one desk: one run, as ever
        return _run(session, rules, now, since, until, progress, None)
    total = RunResult(ids=[])
    for site in sites:
        _add(total, _run(session, rules, now, since, until, progress, site))
    if rules.site is None:
        _add(total, _run(session, rules, now, since, until, progress, None, files_only=True))
    return total


def _run(session: Session, rules: Rules, now: datetime, since: datetime | None,
         until: datetime | None, progress, site: str | None, files_only: bool = False,
         ) -> RunResult:  # fmt: skip
    ctx = _Ctx(session, rules, now.timestamp(), since, until, site=site, files_only=files_only)
    ctx.tz = rules.tz or datetime.now().astimezone().tzinfo
    ctx.progress = progress
    detected = list(_detect(ctx))
    result = _persist(ctx, detected, now)
    result.calls = ctx.n_calls
    return result


def _add(total: RunResult, one: RunResult) -> None:
    total.ids += one.ids
    total.open_by_kind.update(one.open_by_kind)
    total.new += one.new
    total.reopened += one.reopened
    total.resolved += one.resolved
    total.calls += one.calls


# ---------------------------------------------------------------- reading


def _epoch(session: Session, col):
    """The column as float seconds since 1970 (UTC), computed by the database:
    parsing a million datetimes in Python would dominate the run."""
    if session.bind.dialect.name == "sqlite":
        return (func.julianday(col) - 2440587.5) * 86400.0
    return cast(func.extract("epoch", col), Float)


@dataclass
class _Ctx:
    session: Session
    rules: Rules
    now: float
    since: datetime | None
    until: datetime | None
    site: str | None = None
    files_only: bool = False  # only the recordings no call row names (every site's run)
    n_calls: int = 0
    tz: tzinfo | None = None
    progress: Callable[[str, int, int | None], None] | None = None
    # findings whose check this run skipped (a recording not re-hashed): not evidence that
    # the problem is gone, so an open one stays open
    unchecked: set[str] = field(default_factory=set)

    def in_window(self, col, margin: float = 0.0):
        """The time window on ``col`` (a Call or LedgerEntry column), and the run's site."""
        conds = [self.same_site(col.class_)]
        if self.since is not None:
            conds.append(col >= self.since - timedelta(seconds=margin))
        if self.until is not None:
            conds.append(col < self.until + timedelta(seconds=margin))
        return and_(True, *conds)

    def same_site(self, model):
        return model.site == self.site if self.site is not None else true()

    def q(self, stmt):
        """Core execution: rows as tuples, without the ORM's per-row result layer."""
        return self.session.connection().execute(stmt)

    def rows(self, stmt) -> list[tuple]:
        """All rows straight from the driver's cursor, skipping SQLAlchemy's per-row
        processing: for queries selecting only numbers, text and epoch seconds."""
        result = self.session.connection().execute(stmt)
        try:
            return result.cursor.fetchall()
        finally:
            result.close()

    def ep(self, col):
        return _epoch(self.session, col)


def _t(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat() if epoch is not None else None


def _detect(ctx: _Ctx) -> Iterable[Detected]:
    if ctx.files_only:
        yield from _unlogged_recordings(ctx)
        return
    rules = ctx.rules
    assigned, unmatched_loose = _match_loose(ctx)
    grace = rules.grace_s
    call_cols = (
        Call.id, Call.caller, ctx.ep(Call.invited_at), ctx.ep(Call.answered_at),
        ctx.ep(Call.ended_at), Call.rings, Call.answered_by, Call.outcome, Call.recording_path,
        Call.recording_sha256, Call.recording_size, Call.recording_duration_s,
        ctx.ep(Call.created_at), Call.direction, Call.callee,
    )  # fmt: skip
    total = None
    if ctx.progress is not None:
        total = ctx.q(select(func.count(Call.id)).where(ctx.in_window(Call.invited_at))).scalar()
        ctx.progress("checking calls", 0, total)
    for rows in _call_chunks(ctx, call_cols):
        if ctx.progress is not None:
            ctx.progress("checking calls", ctx.n_calls, total)
        ctx.n_calls += len(rows)
        lo, hi = rows[0][0], rows[-1][0]
        own: dict[int, list[tuple]] = defaultdict(list)
        if hi - lo < 2 * len(rows):  # the chunk is most of its id range: one range scan
            linked = [LedgerEntry.call_id.between(lo, hi)]
        else:  # one site of many: its calls lie among the other sites' (a range would read
            ids = [c[0] for c in rows]  # every site's entries); looked up by id instead
            linked = [LedgerEntry.call_id.in_(ids[i : i + 5000]) for i in range(0, len(ids), 5000)]
        found = []
        for cond in linked:
            found += ctx.rows(
                select(LedgerEntry.id, LedgerEntry.call_id, ctx.ep(LedgerEntry.registered_at),
                       LedgerEntry.building, LedgerEntry.unit, LedgerEntry.room,
                       LedgerEntry.category, LedgerEntry.urgent)
                .where(cond, LedgerEntry.status != "draft")
            )  # fmt: skip
        for e in sorted(found):  # by entry id: a call's first entry first
            own[e[1]].append(e)
        for cid, es in assigned.items():
            if lo <= cid <= hi:
                own[cid].extend(es)
        heard = _heard_for(ctx, [c[0] for c in rows if own.get(c[0])]) if rules.content else {}
        called_back = _callbacks(ctx, rows)
        for c in rows:
            (cid, caller, invited, answered, ended, rings, answered_by, outcome, path, sha,
             size, rec_s, stored, direction, _callee) = c  # fmt: skip
            mine = own.get(cid, [])
            inbound = direction == "in"
            talked = outcome in RECORDED  # connected: it has a recording, or should have
            end = ended if ended is not None else invited
            who = say.call(invited, caller, ctx.tz, missed=outcome == "missed")
            if talked and inbound and not mine and ctx.now >= end + grace:
                yield Detected("UNLOGGED_CALL", cid, None,
                               say.say("UNLOGGED_CALL", f"{who} 没有台账登记"),
                               {"ended_at": _t(end), "grace_s": grace})  # fmt: skip
            if len(mine) > 1:
                for e in mine[1:]:
                    yield Detected("DUPLICATE_ENTRY", cid, e[0],
                                   say.say("DUPLICATE_ENTRY", f"{who} 登记了 {len(mine)} 条台账"
                                           f"（{'、'.join(str(x[0]) for x in mine)} 号）"),
                                   {"entries": [x[0] for x in mine]})  # fmt: skip
            for e in mine[:1]:  # a duplicate's own lateness is no second fault
                if e[2] is not None and e[2] > end + grace:
                    yield Detected("LATE_REGISTRATION", cid, e[0],
                                   say.say("LATE_REGISTRATION", f"{who} 挂机后 {say.span(e[2] - end)}"
                                           f"才登记（应在 {say.span(grace)}内）"),
                                   {"registered_at": _t(e[2]), "ended_at": _t(end),
                                    "late_s": round(e[2] - end)})  # fmt: skip
            if outcome == "answered" and inbound and rings > rules.max_rings:
                yield Detected("SLOW_ANSWER", cid, None,
                               say.say("SLOW_ANSWER", f"{who} 响铃 {rings} 声才接听"
                                       f"（应在 {rules.max_rings} 声内）"),
                               {"rings": rings, "answered_by": answered_by})  # fmt: skip
            if (outcome == "missed" and inbound and ctx.now >= end + rules.callback_s
                    and cid not in called_back):  # fmt: skip
                yield Detected("MISSED_NO_CALLBACK", cid, None,
                               say.say("MISSED_NO_CALLBACK", f"{who}（响铃 {rings} 声）"
                                       f"{say.span(rules.callback_s)}内没有回电"),
                               {"rings": rings})  # fmt: skip
            if talked and not path and (inbound or (direction == "out" and rules.outbound_recorded)):
                yield Detected("RECORDING_MISSING", cid, None,
                               say.say("RECORDING_MISSING", f"{who} 已接听，但没有录音"),
                               {"path": None})  # fmt: skip
            if not (talked and path):
                continue
            yield from _check_recording(ctx, cid, path, sha, size, stored, who)
            if answered is not None and ended is not None and rec_s is not None:
                talk = ended - answered
                if abs(talk - rec_s) > max(rules.duration_tolerance_s, 0.05 * talk):
                    yield Detected("DURATION_MISMATCH", cid, None,
                                   say.say("DURATION_MISMATCH", f"{who} 通话 {say.span(talk)}，"
                                           f"录音只有 {say.span(rec_s)}"),
                                   {"call_s": round(talk, 1), "recording_s": rec_s})  # fmt: skip
            if mine and cid in heard:
                yield from _check_content(cid, mine[0], heard[cid], who)
        if ctx.progress is not None:
            ctx.progress("checking calls", ctx.n_calls, total)
    yield from _entry_findings(ctx, unmatched_loose)
    yield from _unlogged_recordings(ctx)


def _call_chunks(ctx: _Ctx, cols) -> Iterator[list]:
    """The calls in scope, CHUNK at a time, in id order. A window is found through the
    invited_at index first: keyset paging by id alone would scan every call for one day."""
    if ctx.since is None and ctx.until is None:
        last = 0
        while rows := ctx.rows(select(*cols).where(Call.id > last, ctx.same_site(Call))
                               .order_by(Call.id).limit(CHUNK)):  # fmt: skip
            last = rows[-1][0]
            yield rows
        return
    ids = sorted(ctx.q(select(Call.id).where(ctx.in_window(Call.invited_at))).scalars())
    for i in range(0, len(ids), CHUNK):
        part = ids[i : i + CHUNK]
        if len(part) > 5000 and part[-1] - part[0] < 2 * len(part):  # mostly contiguous
            wanted = set(part)
            rows = ctx.rows(select(*cols).where(Call.id.between(part[0], part[-1])))
            rows = [r for r in rows if r[0] in wanted]
        else:
            rows = []
            for j in range(0, len(part), 5000):
                rows += ctx.rows(select(*cols).where(Call.id.in_(part[j : j + 5000])))
        rows.sort(key=lambda r: r[0])
        yield rows


def _match_loose(ctx: _Ctx) -> tuple[dict[int, list[tuple]], list[tuple]]:
    """Unlinked registered phone entries assigned one to one to recorded calls that have
    no registered entry of their own. Returns call id → [entry row], and the rest."""
    rules = ctx.rules
    margin = max(rules.match_window_s, rules.late_match_window_s)
    E = LedgerEntry
    loose_rows = ctx.q(
        select(E.id, E.call_id, ctx.ep(E.registered_at), E.building, E.unit, E.room,
               E.category, E.urgent, E.caller_phone, ctx.ep(E.created_at), E.content, E.summary,
               E.public_area)
        # coalesce: keeps the planner on the created_at range rather than the call_id index
        .where(func.coalesce(E.call_id, 0) == 0, E.source == "来电", E.status != "draft",
               ctx.in_window(E.created_at, margin))
        .order_by(E.id)
    ).all()  # fmt: skip
    if not loose_rows:
        return {}, []
    has_entry = exists().where(E.call_id == Call.id, E.status != "draft")
    free = [
        c[:4]
        for c in ctx.q(
            select(Call.id, Call.caller, ctx.ep(Call.invited_at), ctx.ep(Call.ended_at),
                   Call.outcome, Call.direction)
            .where(~has_entry, ctx.in_window(Call.invited_at, margin))
        )
        if c[4] in RECORDED and c[5] == "in"  # here, or the planner scans the outcome index
    ]  # fmt: skip
    heard = _heard_for(ctx, [c[0] for c in free], with_text=True)
    calls = [
        CallCandidate(c[0], c[1], c[3] if c[3] is not None else c[2],
                      heard.get(c[0], {}).get("address"), heard.get(c[0], {}).get("text", ""),
                      c[2], heard.get(c[0], {}).get("phone"))
        for c in free
    ]  # fmt: skip
    loose = [
        LooseEntry(e[0], e[8], e[2] if e[2] is not None else e[9],
                   f"{e[3]}-{e[4]}-{e[5]}" if e[3] and e[4] and e[5] else None,
                   " ".join(x for x in (e[10], e[11], e[12]) if x))
        for e in loose_rows
    ]  # fmt: skip
    pairs = assign(loose, calls, window_s=rules.match_window_s,
                   late_window_s=rules.late_match_window_s)  # fmt: skip
    by_id = {e[0]: e for e in loose_rows}
    assigned: dict[int, list[tuple]] = defaultdict(list)
    for entry_id, call_id in pairs.items():
        assigned[call_id].append(by_id[entry_id][:8])
    unmatched = [e for e in loose_rows if e[0] not in pairs]
    # an entry written twice for one call: the second is a duplicate of the call's entry
    # (DUPLICATE_ENTRY), not an entry without a call
    dups = _duplicates(ctx, unmatched, [(by_id[eid], cid) for eid, cid in pairs.items()])
    for e, call_id in dups:
        assigned[call_id].append(e[:8])
    unmatched = [e for e in unmatched if e[0] not in {d[0][0] for d in dups}]
    behind = _outbound_behind(ctx, unmatched)
    return assigned, [e for e in unmatched if e[0] not in behind]


def _outbound_behind(ctx: _Ctx, unmatched: list[tuple]) -> set[int]:
    """Entries written from a call the desk made (a missed call returned, and the resident
    reported something): an answered outbound call to the entry's number near its time is
    the call behind it, so it is no orphan."""
    if not unmatched:
        return set()
    window = ctx.rules.match_window_s
    ats = [e[2] if e[2] is not None else e[9] for e in unmatched]
    t0 = datetime.fromtimestamp(min(ats) - window, UTC)
    t1 = datetime.fromtimestamp(max(ats) + window, UTC)
    out: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for callee, start, end, outcome in ctx.q(
        select(Call.callee, ctx.ep(Call.invited_at), ctx.ep(Call.ended_at), Call.outcome)
        .where(Call.invited_at >= t0, Call.invited_at <= t1, Call.direction == "out",
               ctx.same_site(Call))
    ):  # fmt: skip
        if outcome == "answered":
            out[number_key(callee)[-8:]].append((start, end if end is not None else start, callee))
    found = set()
    for e, at in zip(unmatched, ats, strict=True):
        for start, end, callee in out.get(number_key(e[8])[-8:], ()) if e[8] else ():
            if same_number(callee, e[8]) and start - CLOCK_SLACK_S <= at <= end + window:
                found.add(e[0])
                break
    return found


DUPLICATE_SIMILARITY = 0.8  # the wording of two entries for one call, both ways


def _duplicates(ctx: _Ctx, unmatched: list[tuple], matched: list[tuple[tuple, int]]
                ) -> list[tuple[tuple, int]]:  # fmt: skip
    """Unmatched loose entries that repeat an entry of a call (loose and matched, or linked
    to it): the same number, category and address, the same wording, within the late
    window. Returns (entry row, call id) pairs."""
    if not unmatched:
        return []
    E = LedgerEntry
    phones = sorted({e[8] for e in unmatched if e[8]})
    originals = [(e[0], cid, e[8], e[2] if e[2] is not None else e[9], e[6], e[3:6],
                  " ".join(x for x in (e[10], e[11]) if x)) for e, cid in matched]  # fmt: skip
    for i in range(0, len(phones), 5000):
        for r in ctx.q(
            select(E.id, E.call_id, E.caller_phone, ctx.ep(E.registered_at),
                   ctx.ep(E.created_at), E.category, E.building, E.unit, E.room, E.content,
                   E.summary)
            .where(E.caller_phone.in_(phones[i : i + 5000]), E.call_id.is_not(None),
                   E.status != "draft", ctx.same_site(E))
        ):  # fmt: skip
            originals.append((r[0], r[1], r[2], r[3] if r[3] is not None else r[4], r[5],
                              (r[6], r[7], r[8]), " ".join(x for x in (r[9], r[10]) if x)))  # fmt: skip
    by_number: dict[str, list[tuple]] = defaultdict(list)
    for o in originals:
        by_number[number_key(o[2])[-8:]].append(o)
    window = max(ctx.rules.match_window_s, ctx.rules.late_match_window_s)
    out = []
    for e in unmatched:
        at = e[2] if e[2] is not None else e[9]
        text = " ".join(x for x in (e[10], e[11]) if x)
        best = None
        for o in by_number.get(number_key(e[8])[-8:], ()) if e[8] else ():
            if (o[0] == e[0] or not same_number(o[2], e[8]) or abs(o[3] - at) > window
                    or (o[4] and e[6] and o[4] != e[6]) or tuple(o[5]) != tuple(e[3:6])):
                continue  # fmt: skip
            sim = min(similarity(text, o[6]), similarity(o[6], text)) if text or o[6] else 1.0
            if sim >= DUPLICATE_SIMILARITY and (best is None or abs(o[3] - at) < best[0]):
                best = (abs(o[3] - at), o[1])
        if best is not None:
            out.append((e, best[1]))
    return out


def _callbacks(ctx: _Ctx, rows: list[tuple]) -> set[int]:
    """Missed calls in the chunk that were returned within the callback limit: a later
    answered call from that number, an answered call from the desk to it, or an entry for
    that number.

    The chunk itself holds most later calls; the index on invited_at finds the others
    (its rowid lets the database skip the chunk's own rows without reading them). Entries
    are looked up by number only for the few missed calls no call returned."""
    missed = [c for c in rows if c[7] == "missed" and c[13] == "in"]
    if not missed:
        return set()
    cb = ctx.rules.callback_s
    ends = [c[4] if c[4] is not None else c[2] for c in missed]
    wanted = {c[1] for c in missed}
    by_key: dict[str, list[str]] = defaultdict(list)  # last 8 digits → missed callers
    for n in wanted:
        by_key[number_key(n)[-8:]].append(n)
    later: dict[str, list[tuple[float, int]]] = defaultdict(list)

    def returned(caller: str, callee: str, at: float, cid: int, outcome: str, direction: str):
        if outcome != "answered":
            return
        if direction == "out":  # the desk called the resident back
            for n in by_key.get(number_key(callee)[-8:], ()):
                if same_number(n, callee):
                    later[n].append((at, cid))
        elif caller in wanted:
            later[caller].append((at, cid))

    for c in rows:
        returned(c[1], c[14], c[2], c[0], c[7], c[13])
    t0 = datetime.fromtimestamp(min(ends), UTC)
    t1 = datetime.fromtimestamp(max(ends) + cb, UTC)
    lo, hi = rows[0][0], rows[-1][0]
    full = ctx.since is None and ctx.until is None  # the chunk is every call from lo to hi
    if not full:
        later.clear()  # a window's chunk has gaps: ask the database for every later call
    for caller, at, cid, outcome, direction, callee in ctx.q(
        select(Call.caller, ctx.ep(Call.invited_at), Call.id, Call.outcome, Call.direction,
               Call.callee).where(
            Call.invited_at >= t0, Call.invited_at <= t1, ctx.same_site(Call),
            ~Call.id.between(lo, hi) if full else True)
    ).all():  # fmt: skip
        returned(caller, callee, at, cid, outcome, direction)
    out = set()
    rest = []
    for c, end in zip(missed, ends, strict=True):
        if any(other != c[0] and end <= at <= end + cb for at, other in later.get(c[1], ())):
            out.add(c[0])
        else:
            rest.append((c, end))
    # entries for those numbers, one query per 5,000 numbers rather than one per missed call
    # (a site-month has ~2,000 missed calls: round trips took most of its reconcile)
    phones = sorted({c[1] for c, _ in rest if c[1]})
    entered: dict[str, list[float]] = defaultdict(list)
    if phones:
        e0 = datetime.fromtimestamp(min(end for _, end in rest), UTC)
        e1 = datetime.fromtimestamp(max(end for _, end in rest) + cb, UTC)
        for i in range(0, len(phones), 5000):
            for phone, at in ctx.rows(
                select(LedgerEntry.caller_phone, ctx.ep(LedgerEntry.created_at)).where(
                    LedgerEntry.caller_phone.in_(phones[i : i + 5000]), ctx.same_site(LedgerEntry),
                    LedgerEntry.created_at >= e0, LedgerEntry.created_at <= e1)
            ):  # fmt: skip
                entered[phone].append(at)
    for c, end in rest:
        if any(end <= at <= end + cb for at in entered.get(c[1], ())):
            out.add(c[0])
    return out


def _check_recording(ctx: _Ctx, cid, path, sha, size, stored, who: str = "") -> Iterator[Detected]:
    rules = ctx.rules
    if rules.recordings_root is None:
        return
    full = os.path.join(rules.recordings_root, path)
    if is_spooled(path) and not os.path.exists(full):
        # still in a desk's spool while the shared root was away: that desk moves it up
        # (frontdesk/spool.py); from here it can be checked neither way yet
        for kind in ("RECORDING_MISSING", "RECORDING_TAMPERED"):
            ctx.unchecked.add(Detected(kind, cid, None, "").key)
        return
    try:
        st = os.stat(full)
    except OSError:
        yield Detected("RECORDING_MISSING", cid, None,
                       say.say("RECORDING_MISSING", f"{who} 的录音文件不见了（{path}）"),
                       {"path": path})  # fmt: skip
        return
    skipped = Detected("RECORDING_TAMPERED", cid, None, "").key
    if not rules.verify_hashes or not sha:
        ctx.unchecked.add(skipped)
        return
    # A file not written since the call was stored (same size, mtime before the row) still
    # holds what was hashed then; reading a year of recordings again would take hours.
    unchanged = size is not None and st.st_size == size and st.st_mtime <= (stored or 0) + 1
    if rules.verify_hashes == "changed" and unchanged:
        ctx.unchecked.add(skipped)
        return
    from recordings.archive import sha256_file

    actual = sha256_file(Path(full))
    if actual != sha:
        yield Detected("RECORDING_TAMPERED", cid, None,
                       say.say("RECORDING_TAMPERED", f"{who} 的录音与存档时的校验值不符，"
                               f"文件被改动过（{path}）"),
                       {"expected": sha, "actual": actual})  # fmt: skip


# ---------------------------------------------------------------- files without a row


@dataclass
class _FileDetected(Detected):
    """A finding about a file no row names: keyed by the file, not by a call or entry."""

    path: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.path}"[:128]


def _unlogged_recordings(ctx: _Ctx) -> Iterator[Detected]:
    """RECORDING_UNLOGGED: a recording under the root that no call row names (a crash or a
    failed commit between the file's rename and the row). A day folder holds the calls
    invited that day (UTC, Archive.final_path), so one indexed range query per folder gives
    the paths rows name; the few files left are looked up by their uuid (the file's name)
    before they count. A window reads only its day folders (±1 day); a file younger than
    the grace period may still be waiting for its row."""
    root = ctx.rules.recordings_root
    if root is None or not os.path.isdir(root) or ctx.site is not None:
        return  # a file no row names has no site: a run of every site looks for them
    for day in _day_folders(Path(root), ctx.since, ctx.until):
        try:
            names = [f.name for f in os.scandir(day)  # no stat: a year is 300,000 files
                     if not f.name.startswith(".") and not f.name.endswith(".tmp")]  # fmt: skip
            d0 = datetime(int(day.parent.parent.name), int(day.parent.name), int(day.name),
                          tzinfo=UTC)  # fmt: skip
        except (OSError, ValueError):
            continue
        if not names:
            continue
        rel_day = os.path.relpath(day, root)
        named = {p for (p,) in ctx.rows(
            select(Call.recording_path).where(Call.invited_at >= d0,
                                              Call.invited_at < d0 + timedelta(days=1)))}  # fmt: skip
        left = {os.path.splitext(n)[0]: f"{rel_day}/{n}" for n in names
                if f"{rel_day}/{n}" not in named}  # fmt: skip
        if not left:
            continue
        by_uuid = dict(ctx.rows(select(Call.uuid, Call.recording_path)
                                .where(Call.uuid.in_(list(left)[:5000]))))  # fmt: skip
        for u, rel in left.items():
            if by_uuid.get(u) == rel:
                continue
            try:
                st = os.stat(os.path.join(root, rel))
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_mtime > ctx.now - ctx.rules.grace_s:
                continue
            yield _FileDetected("RECORDING_UNLOGGED", None, None,
                                f"recording {rel} is not named by any call row",
                                {"path": rel, "call_uuid": u}, path=rel)  # fmt: skip


def _day_folders(root: Path, since: datetime | None, until: datetime | None) -> Iterator[Path]:
    if since is None and until is None:
        for year in sorted(root.glob("[0-9][0-9][0-9][0-9]")):
            yield from sorted(year.glob("[0-9][0-9]/[0-9][0-9]"))
        return
    lo = (since or datetime(2000, 1, 1, tzinfo=UTC)).astimezone(UTC).date() - timedelta(days=1)
    hi = (until or datetime.now(UTC)).astimezone(UTC).date() + timedelta(days=1)
    if (hi - lo).days > 800:  # a long window: walk what exists rather than every date
        for d in _day_folders(root, None, None):
            try:
                day = datetime(int(d.parent.parent.name), int(d.parent.name), int(d.name)).date()
            except ValueError:
                continue
            if lo <= day <= hi:
                yield d
        return
    day = lo
    while day <= hi:
        yield root / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        day += timedelta(days=1)


# ---------------------------------------------------------------- content


def _heard_for(ctx: _Ctx, call_ids: list[int], with_text: bool = False) -> dict[int, dict]:
    """What intake hears in each call's transcript (cached in the transcript row)."""
    out: dict[int, dict] = {}
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
        where = [Transcript.call_id.between(min(call_ids), max(call_ids))]
    else:
        wanted, where = None, [Transcript.call_id.in_(call_ids)]
    for i in range(0, len(call_ids) if wanted is None else 1, 5000):
        if wanted is None:
            where = [Transcript.call_id.in_(call_ids[i : i + 5000])]
        for row in ctx.rows(select(*cols).where(*where)):
            if wanted is not None and row[0] not in wanted:
                continue
            cached = json.loads(row[1]) if sqlite and row[1] is not None else row[1]
            if not cached or cached.get("v") != INTAKE_CACHE_VERSION:
                cached = _compute_intake(s, row[0], ctx.rules.reader)
            if cached is not None:
                out[row[0]] = {**cached, "text": row[2]} if with_text else cached
    return out


def _compute_intake(session: Session, call_id: int, reader: CallReader | None) -> dict | None:
    heard = reader(session, call_id) if reader is not None else None
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


# A category that asks for action registered as one that does not: the work is never
# dispatched. (The other way round, or between two actionable ones, is the agent's judgement
# against a recogniser's guess.)
NEEDS_ACTION = {"报修", "投诉"}
NO_ACTION = {"咨询", "建议"}
URGENCY_MATTERS = {"报修", "求助", None}  # an inquiry about a planned 停水 is not an emergency


def _check_content(cid: int, e: tuple, heard: dict, who: str = "") -> Iterator[Detected]:
    entry_id, _, _, building, unit, room, category, urgent = e[:8]
    diffs = {}
    written = (building, unit, room)
    said = (heard.get("building"), heard.get("unit"), heard.get("room"))
    # two parts heard at least: one number alone (a phone number's tail, 一张) is no address
    if sum(1 for h in said if h) >= 2 and any(
        h and w and str(h) != str(w) for h, w in zip(said, written, strict=True)
    ):
        diffs["address"] = {"entry": "-".join(w or "?" for w in written),
                            "transcript": "-".join(h or "?" for h in said)}  # fmt: skip
    if heard.get("category") in NEEDS_ACTION and category in NO_ACTION:
        if heard.get("category_conf", 0.0) >= 0.6:
            diffs["category"] = {"entry": category, "transcript": heard["category"]}
    if (heard.get("urgent") and urgent is not None and not urgent  # None: never recorded
            and category in URGENCY_MATTERS
            # what the intake flags for the agent to check is no finding against the agent
            and heard.get("urgent_conf", 1.0) >= URGENT_SURE):  # fmt: skip
        diffs["urgent"] = {"entry": False, "transcript": True}
    if diffs:
        yield Detected("CONTENT_MISMATCH", cid, entry_id,
                       say.say("CONTENT_MISMATCH", f"{who} 的台账（{entry_id} 号）与录音不一致："
                               + say.content(diffs)),
                       diffs)  # fmt: skip


# ---------------------------------------------------------------- entries


def _entry_findings(ctx: _Ctx, unmatched_loose: list[tuple]) -> Iterator[Detected]:
    rules, E = ctx.rules, LedgerEntry
    lo = ctx.since.timestamp() if ctx.since else float("-inf")
    hi = ctx.until.timestamp() if ctx.until else float("inf")
    for e in unmatched_loose:
        if lo <= e[9] < hi:
            code = f"{e[3]}-{e[4]}-{e[5]}" if e[3] and e[4] and e[5] else None
            yield _orphan(ctx, e[0], None, code or e[12], e[8], e[9])
    for eid, cid, b, u, r, area, phone, created in ctx.q(
        select(E.id, E.call_id, E.building, E.unit, E.room, E.public_area, E.caller_phone,
               ctx.ep(E.created_at))
        .join(Call, Call.id == E.call_id)
        .where(E.source == "来电", E.status != "draft", Call.outcome.not_in(RECORDED),
               ctx.in_window(E.created_at))
    ):  # fmt: skip
        yield _orphan(ctx, eid, cid, f"{b}-{u}-{r}" if b and u and r else area, phone, created)
    # when the callback was written down (the trail): a backdated callback_at is no excuse
    noted = (
        select(func.max(EntryChange.at))
        .where(EntryChange.entry_id == E.id, EntryChange.field == "callback_at")
        .scalar_subquery()
    )
    for eid, cid, returned, cb_at, category, status, b, u, r, area, cb_noted in ctx.q(
        select(E.id, E.call_id, ctx.ep(E.returned_at), ctx.ep(E.callback_at), E.category,
               E.status, E.building, E.unit, E.room, E.public_area, ctx.ep(noted))
        .where(E.returned_at.is_not(None), ctx.in_window(E.created_at))
        .execution_options(yield_per=20_000)  # PostgreSQL: a server-side cursor, not all rows
    ):  # fmt: skip
        # category and status filtered here: as SQL equalities their indexes would be
        # preferred to the created_at range and read a year of entries for one day
        if category != "报修" or status not in ("returned", "called_back", "closed"):
            continue
        due = returned + rules.callback_s
        if cb_at is not None and cb_noted is not None:
            cb_at = max(cb_at, cb_noted)
        if (cb_at is None and ctx.now > due) or (cb_at is not None and cb_at > due):
            where = "-".join(x for x in (b, u, r) if x) or area or "（无地址）"
            late = (f"返单后 {say.span(cb_at - returned)}才回访" if cb_at is not None
                    else "至今没有回访")  # fmt: skip
            yield Detected("CALLBACK_OVERDUE", cid, eid,
                           say.say("CALLBACK_OVERDUE", f"{where} 的报修（台账 {eid} 号）"
                                   f"{say.when(returned, ctx.tz)} 返单，{late}"
                                   f"（应在 {say.span(rules.callback_s)}内）"),
                           {"returned_at": _t(returned), "callback_at": _t(cb_at)})  # fmt: skip


def _orphan(ctx: _Ctx, eid: int, cid: int | None, where: str | None, phone: str | None,
            at: float | None) -> Detected:  # fmt: skip
    return Detected("ORPHAN_ENTRY", cid, eid,
                    say.say("ORPHAN_ENTRY", f"{say.when(at, ctx.tz)} 登记的台账（{eid} 号，"
                            f"{where or '无地址'}，{say.mask(phone)}）找不到对应的来电录音"),
                    {"caller_phone": phone})  # fmt: skip


# ---------------------------------------------------------------- persisting


def _persist(ctx: _Ctx, detected: list[Detected], now: datetime) -> RunResult:
    s = ctx.session
    F = Finding
    q = select(F.id, F.key, F.kind, F.status, F.resolved_by, F.detail, F.evidence)
    keys = [d.key for d in detected]
    scope: set[int] | None = None  # ids of the stored findings about the window (None: all)
    if ctx.files_only:  # the findings about no call and no entry (a window never settles them)
        q = q.where(F.call_id.is_(None), F.entry_id.is_(None))
        if ctx.since is not None or ctx.until is not None:
            scope = set()
    elif ctx.since is not None or ctx.until is not None or ctx.site is not None:
        in_calls = select(Call.id).where(ctx.in_window(Call.invited_at))
        in_entries = select(LedgerEntry.id).where(ctx.in_window(LedgerEntry.created_at))
        in_scope = or_(
            F.call_id.in_(in_calls), and_(F.call_id.is_(None), F.entry_id.in_(in_entries))
        )
        scope = set(s.execute(select(F.id).where(in_scope)).scalars())
        if len(keys) <= 20_000:  # else read them all: SQLite caps a statement's parameters
            q = q.where(or_(in_scope, *[F.key.in_(keys[i : i + 5000])
                                        for i in range(0, len(keys), 5000)]))  # fmt: skip
    existing = {r.key: r for r in s.execute(q)}
    result = RunResult(ids=[])
    seen: set[str] = set()
    new_rows, updates = [], []
    order: list[str] = []
    for d in detected:
        if d.key in seen:
            continue
        seen.add(d.key)
        order.append(d.key)
        digest = _digest(d.evidence)
        evidence = {**d.evidence, "_digest": digest}
        f = existing.get(d.key)
        if f is None:
            new_rows.append({"key": d.key, "kind": d.kind, "call_id": d.call_id,
                             "entry_id": d.entry_id, "detail": d.detail, "evidence": evidence,
                             "status": "open", "detected_at": now})  # fmt: skip
            result.new += 1
            result.open_by_kind[d.kind] += 1
            continue
        status = f.status
        change: dict[str, Any] = {}
        if status == "resolved" and (
            f.resolved_by == "reconciler" or (f.evidence or {}).get("_digest") != digest
        ):
            status = "open"  # it came back, or something changed
            change = {"status": "open", "detected_at": now, "resolved_at": None,
                      "resolved_by": None}  # fmt: skip
            result.reopened += 1
        if f.detail != d.detail or (f.evidence or {}).get("_digest") != digest:
            change.update(detail=d.detail, evidence=evidence)
        if change:
            updates.append({"id": f.id, **change})
        if status == "open":
            result.open_by_kind[d.kind] += 1
    gone = []
    for key, f in existing.items():
        if key in seen or f.status != "open" or (scope is not None and f.id not in scope):
            continue
        if key in ctx.unchecked:
            result.open_by_kind[f.kind] += 1
            order.append(key)
            continue
        gone.append(f.id)
        order.append(key)
    _bulk_update(s, updates)
    for i in range(0, len(gone), 5000):
        s.execute(
            update(F)
            .where(F.id.in_(gone[i : i + 5000]))
            .values(
                status="resolved",
                resolved_at=now,
                resolved_by="reconciler",
                note="no longer detected",
            )  # fmt: skip
        )
    result.resolved = len(gone)
    ids = {k: f.id for k, f in existing.items()}
    for i in range(0, len(new_rows), 5000):
        part = new_rows[i : i + 5000]
        s.execute(insert(F), part)
    if new_rows:
        new_keys = [r["key"] for r in new_rows]
        for i in range(0, len(new_keys), 5000):
            ids.update(
                s.execute(select(F.key, F.id).where(F.key.in_(new_keys[i : i + 5000]))).all()
            )
    result.ids = [ids[k] for k in order]
    if new_rows:
        _set_sites(s, [ids[r["key"]] for r in new_rows])
    s.flush()
    return result


def _set_sites(s: Session, finding_ids: list[int]) -> None:
    """New findings carry their call's site, or their entry's when they have no call (a
    recording no row names stays in the default site)."""
    F = Finding
    call_site = select(Call.site).where(Call.id == F.call_id).scalar_subquery()
    entry_site = select(LedgerEntry.site).where(LedgerEntry.id == F.entry_id).scalar_subquery()
    for i in range(0, len(finding_ids), 5000):
        part = finding_ids[i : i + 5000]
        s.execute(update(F).where(F.id.in_(part), F.call_id.is_not(None))
                  .values(site=call_site).execution_options(synchronize_session=False))  # fmt: skip
        s.execute(update(F).where(F.id.in_(part), F.call_id.is_(None), F.entry_id.is_not(None))
                  .values(site=entry_site).execution_options(synchronize_session=False))  # fmt: skip


def _bulk_update(s: Session, updates: list[dict[str, Any]]) -> None:
    by_fields: dict[tuple, list[dict]] = defaultdict(list)
    for u in updates:
        by_fields[tuple(sorted(u))].append(u)
    for rows in by_fields.values():
        s.execute(update(Finding), rows)  # ORM bulk UPDATE by primary key


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
        "id": f.id, "site": f.site, "kind": f.kind, "label": say.LABELS.get(f.kind, f.kind),
        "call_id": f.call_id, "entry_id": f.entry_id,
        "detail": f.detail, "detected_at": f.detected_at, "status": f.status,
        "resolved_by": f.resolved_by, "resolved_at": f.resolved_at, "note": f.note,
        "evidence": {k: v for k, v in (f.evidence or {}).items() if not k.startswith("_")},
    }  # fmt: skip


def _digest(evidence: dict) -> str:
    return hashlib.sha256(json.dumps(evidence, sort_keys=True, default=str).encode()).hexdigest()[
        :16
    ]
