"""Supervisor audit: the reconciler's findings, one call at a time.

/audit lists findings (open by default) with counts per kind, filters (kind, status,
detection dates, caller number) and keyset pagination (``?before=<id>``), so a page costs
the same with a million calls as with ten. /audit/{id} puts the call, its recording, its
transcript and its ledger entry side by side with the finding's evidence; the supervisor
resolves it there with a note. /audit/export.csv exports the filtered findings (UTF-8 with
a BOM, so Excel shows Chinese), and is written to the access log.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from starlette.exceptions import HTTPException
from starlette.responses import Response

from frontdesk.audit_rules import audit_rules
from frontdesk.console import scope
from frontdesk.console.web import Ctx, guarded
from ledger import finding_counts
from ledger.cells import csv_row
from ledger.models import Call, Finding, LedgerEntry, User
from ledger.reconcile import KINDS, reconcile, resolve
from ledger.transcripts import load_transcript

SUPERVISORS = ("supervisor",)
PAGE = 50
STATUSES = ("open", "resolved", "all")
# Each kind as the front desk says it (the kind itself stays the stable key).
LABELS = {
    "UNLOGGED_CALL": "未登记来电", "ORPHAN_ENTRY": "台账无录音", "DUPLICATE_ENTRY": "重复登记",
    "CONTENT_MISMATCH": "内容不符", "LATE_REGISTRATION": "登记超时", "SLOW_ANSWER": "超三声接听",
    "MISSED_NO_CALLBACK": "未接未回电", "CALLBACK_OVERDUE": "回访超时",
    "RECORDING_MISSING": "录音缺失", "RECORDING_TAMPERED": "录音被改动",
    "DURATION_MISMATCH": "时长不符", "RECORDING_UNLOGGED": "录音无通话记录",
}  # fmt: skip
SEVERE = {"UNLOGGED_CALL", "ORPHAN_ENTRY", "RECORDING_TAMPERED", "RECORDING_MISSING",
          "RECORDING_UNLOGGED"}  # fmt: skip
# How far back "Re-run reconcile" looks: the reconciler reads every call in scope and
# re-extracts each confirmed entry's transcript (2.8 s for a week of 800 calls a day).
RERUN_DAYS = 7


@dataclass
class Filters:
    """The list's filters, parsed from the query string; bad values are errors, not guesses."""

    kind: str | None = None
    status: str = "open"
    since: date | None = None  # detection date, local, inclusive
    until: date | None = None  # inclusive
    caller: str | None = None
    site: str | None = None  # one of the user's sites (checked by scope.chosen)
    before: int | None = None  # keyset: findings with a smaller id

    @classmethod
    def parse(cls, q: dict[str, str]) -> Filters:
        f = cls()
        kind = q.get("kind", "").strip()
        if kind:
            if kind not in KINDS:
                raise HTTPException(400, f"kind {kind!r} is unknown; known: {', '.join(KINDS)}")
            f.kind = kind
        status = q.get("status", "open").strip() or "open"
        if status not in STATUSES:
            raise HTTPException(400, f"status must be one of {', '.join(STATUSES)}")
        f.status = status
        f.since = _date(q, "from")
        f.until = _date(q, "to")
        caller = q.get("caller", "").strip()
        if caller:
            if len(caller) > 64 or not all(ch.isdigit() or ch in "+*#" for ch in caller):
                raise HTTPException(400, f"caller {caller!r}: digits only (e.g. 13912345678)")
            f.caller = caller
        f.site = q.get("site", "").strip() or None
        before = q.get("before", "").strip()
        if before:
            if not before.isdigit():
                raise HTTPException(400, f"before={before!r} is not a finding id")
            f.before = int(before)
        return f

    def query(self, **changes: Any) -> str:
        """This filter set as a query string (for links), with ``changes`` applied."""
        from urllib.parse import urlencode

        v = {
            "kind": self.kind, "status": self.status if self.status != "open" else None,
            "from": self.since, "to": self.until, "caller": self.caller, "site": self.site,
            "before": None,
        }  # fmt: skip
        v.update(changes)
        return urlencode({k: str(x) for k, x in v.items() if x not in (None, "")})


def _date(q: dict[str, str], name: str) -> date | None:
    raw = q.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise HTTPException(400, f"{name}={raw!r} is not a date (YYYY-MM-DD)") from None


def _filtered(ctx: Ctx, f: Filters, columns: list[Any]) -> Select:
    """The filtered findings (newest first) joined to their call, as a Core select."""
    q = select(*columns).select_from(Finding).outerjoin(Call, Call.id == Finding.call_id)
    q = q.where(scope.where_chosen(ctx, Finding.site))
    if f.status != "all":
        q = q.where(Finding.status == f.status)
    if f.kind:
        q = q.where(Finding.kind == f.kind)
    if f.since:
        q = q.where(Finding.detected_at >= _local_midnight(ctx, f.since))
    if f.until:
        q = q.where(Finding.detected_at < _local_midnight(ctx, f.until + timedelta(days=1)))
    if f.caller:
        # through the indexed calls.caller: the number's few calls, then their findings
        q = q.where(Finding.call_id.in_(select(Call.id).where(Call.caller == f.caller)))
    return q.order_by(Finding.id.desc())


def _local_midnight(ctx: Ctx, d: date) -> datetime:
    return ctx.console.midnight(d)


LIST_COLUMNS = [
    Finding.id, Finding.site, Finding.kind, Finding.status, Finding.detail, Finding.detected_at,
    Finding.call_id, Finding.entry_id, Finding.resolved_by, Finding.resolved_at,
    Call.caller, Call.invited_at, Call.rings, Call.outcome,
]  # fmt: skip


def audit_list(ctx: Ctx) -> Response:
    f = Filters.parse(ctx.query)
    if f.caller:  # who looked for which resident's number is the access log's
        ctx.log("search", "findings", caller=f.caller)
    q = _filtered(ctx, f, LIST_COLUMNS)
    if f.before is not None:
        q = q.where(Finding.id < f.before)
    rows = ctx.db.execute(q.limit(PAGE + 1)).mappings().all()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    # Open findings per kind from the counts the triggers keep (ledger/finding_counts.py): a
    # few hundred rows, however many findings are open. The marks they summed are folded on
    # PostgreSQL (no wait: a fold under way elsewhere is skipped); on SQLite folding would
    # wait for a reconciler's write lock, so `frontdesk reconcile` folds them after its run.
    conn = ctx.db.connection()
    by_kind_status, marks = finding_counts.counts(conn, scope.chosen(ctx))
    if marks and conn.dialect.name == "postgresql":
        finding_counts.fold(conn)
    counts = {k: n for (k, st), n in by_kind_status.items() if st == "open"}
    return ctx.render(
        "audit/list.html",
        rows=rows,
        f=f,
        kinds=KINDS,
        labels=LABELS,
        severe=SEVERE,
        counts=counts,
        open_total=sum(counts.values()),
        next_before=rows[-1]["id"] if more else None,
        done=ctx.query.get("done"),
        sites=scope.choices(ctx),
    )


def visible_finding(ctx: Ctx, finding_id: int) -> Finding:
    """The finding, if it is of one of the user's sites; 404 otherwise (as if none)."""
    finding = ctx.db.get(Finding, finding_id)
    scope.require(ctx, finding.site if finding else None, f"no finding #{finding_id}")
    assert finding is not None
    return finding


def audit_finding(ctx: Ctx, finding_id: int) -> Response:
    finding = visible_finding(ctx, finding_id)
    call = ctx.db.get(Call, finding.call_id) if finding.call_id else None
    entries: list[LedgerEntry] = []
    if finding.entry_id:
        e = ctx.db.get(LedgerEntry, finding.entry_id)
        entries = [e] if e else []
    if call is not None:
        entries += [
            e
            for e in ctx.db.scalars(
                select(LedgerEntry).where(LedgerEntry.call_id == call.id).order_by(LedgerEntry.id)
            )
            if e not in entries
        ]
    transcript = load_transcript(ctx.db, call.id) if call is not None else None
    evidence = {k: v for k, v in (finding.evidence or {}).items() if not k.startswith("_")}
    resolver = None
    if finding.resolved_by:
        resolver = ctx.db.scalar(select(User).where(User.username == finding.resolved_by))
    return ctx.render(
        "audit/finding.html",
        finding=finding,
        call=call,
        entries=entries,
        transcript=transcript,
        evidence=evidence,
        resolver_name=resolver.display_name if resolver else None,
        label=LABELS.get(finding.kind, finding.kind),
        severe=finding.kind in SEVERE,
        back=_back(ctx),
        error=ctx.query.get("error"),
    )


def _back(ctx: Ctx) -> str:
    """Back to the filtered list the supervisor came from (only a list on this console)."""
    ref = ctx.request.headers.get("referer", "")
    here = f"{ctx.request.url.scheme}://{ctx.request.url.netloc}"
    if ref.startswith(here + "/audit?") or ref == here + "/audit":
        return ref[len(here) :]
    return "/audit"


def audit_resolve(ctx: Ctx, finding_id: int) -> Response:
    note = (ctx.form.get("note") or "").strip()
    if not note:
        visible_finding(ctx, finding_id)
        return ctx.redirect(f"/audit/{finding_id}?error=note")
    if len(note) > 2000:
        raise HTTPException(400, "the note is longer than 2000 characters")
    visible_finding(ctx, finding_id)
    try:
        f = resolve(ctx.db, finding_id, ctx.user.username, note)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from None
    ctx.log("resolve_finding", f"finding:{f.id}", kind=f.kind)
    return ctx.redirect(f"/audit/{f.id}")


def audit_rerun(ctx: Ctx) -> Response:
    """Re-run the reconciler over the last RERUN_DAYS days, as `frontdesk reconcile --since`
    does, checking that recordings exist but not re-hashing each one (minutes for a week of
    calls; playback refuses a tampered file anyway, and the CLI verifies every hash)."""
    cfg = ctx.console.cfg
    since = datetime.now().astimezone() - timedelta(days=RERUN_DAYS)
    found = []
    # every site for those who see every site; else each of theirs, and nobody else's
    for site in [None] if ctx.user.all_sites else sorted(ctx.user.sites or ()):
        rules = audit_rules(cfg, verify_hashes=False)
        rules.site = site
        found += reconcile(ctx.db, since=since, rules=rules)
    finding_counts.fold(ctx.db.connection())  # a writer already: the list then reads no marks
    n_open = sum(1 for x in found if x.status == "open")
    ctx.log("reconcile", None, since=since.isoformat(), open=n_open, in_scope=len(found))
    return ctx.redirect(f"/audit?done=reconciled:{n_open}")


EXPORT_COLUMNS = [
    ("id", "编号"), ("kind", "类型代码"), ("label", "类型"), ("status", "状态"),
    ("detected_at", "发现时间"), ("call_id", "通话"), ("caller", "来电号码"),
    ("call_at", "来电时间"), ("entry_id", "台账"), ("detail", "说明"),
    ("resolved_by", "处理人"), ("resolved_at", "处理时间"), ("note", "处理说明"),
    ("site", "站点"),  # last: sheets made before sites keep their columns
]  # fmt: skip


def audit_export(ctx: Ctx) -> Response:
    f = Filters.parse(ctx.query)
    cols = [*LIST_COLUMNS, Finding.note]
    buf = io.StringIO()
    buf.write("\ufeff")  # BOM: Excel then reads the file as UTF-8 (Chinese intact)
    w = csv.writer(buf)
    w.writerow([f"{zh} {en}" for en, zh in EXPORT_COLUMNS])
    n = 0
    local = ctx.console.local_time
    for r in ctx.db.execute(_filtered(ctx, f, cols).execution_options(yield_per=2000)).mappings():
        w.writerow(csv_row([
            r["id"], r["kind"], LABELS.get(r["kind"], ""), r["status"], local(r["detected_at"]),
            r["call_id"] or "", r["caller"] or "", local(r["invited_at"]), r["entry_id"] or "",
            _cell(r["detail"]), r["resolved_by"] or "", local(r["resolved_at"]), _cell(r["note"]), r["site"],
        ]))  # fmt: skip
        n += 1
    filters = {k: v for k, v in Filters.parse(ctx.query).__dict__.items() if v is not None}
    ctx.log("export", "findings", rows=n, **{k: str(v) for k, v in filters.items()})
    stamp = datetime.now().astimezone(ctx.console.tz).strftime("%Y%m%d-%H%M")
    return Response(
        buf.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="findings-{stamp}.csv"'},
    )


def _cell(text: str | None) -> str:
    """A cell Excel will not run as a formula (=, +, -, @ start one)."""
    s = text or ""
    return "'" + s if s[:1] in ("=", "+", "-", "@") else s


routes = [
    guarded("/audit", audit_list, roles=SUPERVISORS),
    guarded("/audit/export.csv", audit_export, roles=SUPERVISORS),
    guarded("/audit/reconcile", audit_rerun, roles=SUPERVISORS, methods=("POST",)),
    guarded("/audit/{finding_id:int}", audit_finding, roles=SUPERVISORS),
    guarded(
        "/audit/{finding_id:int}/resolve", audit_resolve, roles=SUPERVISORS, methods=("POST",)
    ),  # fmt: skip
]
