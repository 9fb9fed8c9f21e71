"""Findings persisted under a stable key (kind + subject), so re-runs are idempotent: one no
longer detected is resolved by the reconciler; one a supervisor resolved stays resolved
unless its evidence changes. Written in bulk."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, insert, or_, select, text, union, update
from sqlalchemy.orm import Session

from ledger import explain as say
from ledger.models import Call, Finding, LedgerEntry
from ledger.reconcile.context import Ctx
from ledger.reconcile.detected import Detected
from ledger.types import utcnow


@dataclass
class RunResult:
    ids: list[int]  # the findings in scope, open and resolved, in detection order
    open_by_kind: Counter = field(default_factory=Counter)
    new: int = 0
    reopened: int = 0
    resolved: int = 0
    calls: int = 0


def persist(ctx: Ctx, detected: list[Detected], now: datetime) -> RunResult:
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
        if s.bind.dialect.name == "postgresql":
            # the two halves as separate semi-joins through findings' call_id and entry_id
            # indexes: as one OR the planner scanned every finding (a site-day: 200 ms at
            # 187,000 findings, growing with the ledger)
            scope = set(s.execute(union(
                select(F.id).where(F.call_id.in_(in_calls)),
                select(F.id).where(F.call_id.is_(None), F.entry_id.in_(in_entries)),
            )).scalars())  # fmt: skip
            q = q.where(or_(*ctx.one_of(F.id, sorted(scope)), *ctx.one_of(F.key, keys),
                            false())).order_by(F.id)  # fmt: skip
        else:
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
    for cond in ctx.one_of(F.id, gone):
        s.execute(
            update(F)
            .where(cond)
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
        for cond in ctx.one_of(F.key, [r["key"] for r in new_rows]):
            ids.update(s.execute(select(F.key, F.id).where(cond)).all())
    result.ids = [ids[k] for k in order]
    if new_rows:
        _set_sites(ctx, [ids[r["key"]] for r in new_rows])
    s.flush()
    return result


def _set_sites(ctx: Ctx, finding_ids: list[int]) -> None:
    """New findings carry their call's site, or their entry's when they have no call (a
    recording no row names stays in the default site)."""
    F, s = Finding, ctx.session
    call_site = select(Call.site).where(Call.id == F.call_id).scalar_subquery()
    entry_site = select(LedgerEntry.site).where(LedgerEntry.id == F.entry_id).scalar_subquery()
    for cond in ctx.one_of(F.id, finding_ids):
        s.execute(update(F).where(cond, F.call_id.is_not(None))
                  .values(site=call_site).execution_options(synchronize_session=False))  # fmt: skip
        s.execute(update(F).where(cond, F.call_id.is_(None), F.entry_id.is_not(None))
                  .values(site=entry_site).execution_options(synchronize_session=False))  # fmt: skip


# PostgreSQL array types of the columns a run changes (one UPDATE … FROM unnest(…) per set)
_PG_ARRAYS = {"id": "int[]", "detail": "text[]", "evidence": "text[]", "status": "text[]",
              "detected_at": "timestamptz[]", "resolved_at": "timestamptz[]",
              "resolved_by": "text[]"}  # fmt: skip


def _bulk_update(s: Session, updates: list[dict[str, Any]]) -> None:
    by_fields: dict[tuple, list[dict]] = defaultdict(list)
    for u in updates:
        by_fields[tuple(sorted(u))].append(u)
    for fields, rows in by_fields.items():
        if s.bind.dialect.name == "postgresql" and set(fields) <= set(_PG_ARRAYS):
            _pg_update(s, fields, rows)
        else:
            s.execute(update(Finding), rows)  # ORM bulk UPDATE by primary key


def _pg_update(s: Session, fields: tuple, rows: list[dict[str, Any]]) -> None:
    """One statement for many findings: the ORM's bulk UPDATE is a statement per row (a
    site-month's first run reopens 1,500 findings: 2 s of round trips). Evidence is JSON text
    made by the engine's own serializer, so the stored text is the same as the ORM writes."""
    dumps = s.bind.dialect._json_serializer or json.dumps
    cols = [f for f in fields if f != "id"]
    args = {f: [dumps(r[f]) if f == "evidence" and r[f] is not None else r[f] for r in rows]
            for f in fields}  # fmt: skip
    sets = ", ".join(f"{f} = v.{f}" + ("::json" if f == "evidence" else "") for f in cols)
    arrays = ", ".join(f"CAST(:{f} AS {_PG_ARRAYS[f]})" for f in fields)
    s.execute(text(f"UPDATE findings AS f SET {sets} FROM unnest({arrays}) "
                   f"AS v({', '.join(fields)}) WHERE f.id = v.id"), args)  # fmt: skip


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
