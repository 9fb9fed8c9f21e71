"""One reconcile run: the unlinked entries matched to calls, the calls paged and each
checked, the entries' own checks, the files no row names; then the findings persisted."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.models import Finding, Site
from ledger.reconcile.callbacks import called_back
from ledger.reconcile.checks import check_call
from ledger.reconcile.context import Ctx
from ledger.reconcile.detected import Detected
from ledger.reconcile.entry_checks import callbacks_overdue, orphan_entries
from ledger.reconcile.files import unlogged_recordings
from ledger.reconcile.findings_store import RunResult, persist
from ledger.reconcile.intake_cache import heard_for
from ledger.reconcile.loose import match_loose
from ledger.reconcile.paging import call_pages, count_calls, entries_of_page
from ledger.reconcile.settings import Rules
from ledger.types import utcnow


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
    one_at_a_time(session)
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


# Several machines may reconcile one company ledger (the central console's reconciler, a desk
# left with its own periodic run, a supervisor's `frontdesk reconcile`): two runs at once
# would both insert the same new findings and one would fail on their unique keys.
RUN_LOCK = 0x66726F6E74646B  # any fixed 64-bit number: "frontdk"


def one_at_a_time(session: Session) -> None:
    """Wait for any other run on this PostgreSQL ledger to commit, then hold the lock until
    this run's transaction ends. SQLite lets one writer in at a time already."""
    if session.bind.dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(RUN_LOCK)))


def _add(total: RunResult, one: RunResult) -> None:
    total.ids += one.ids
    total.open_by_kind.update(one.open_by_kind)
    total.new += one.new
    total.reopened += one.reopened
    total.resolved += one.resolved
    total.calls += one.calls


def _run(session: Session, rules: Rules, now: datetime, since: datetime | None,
         until: datetime | None, progress, site: str | None, files_only: bool = False,
         ) -> RunResult:  # fmt: skip
    ctx = Ctx(session, rules, now.timestamp(), since, until, site=site, files_only=files_only)
    ctx.tz = rules.tz or datetime.now().astimezone().tzinfo
    ctx.progress = progress
    detected = list(detect(ctx))
    result = persist(ctx, detected, now)
    result.calls = ctx.n_calls
    return result


def detect(ctx: Ctx) -> Iterable[Detected]:
    """Every finding of the run, in the order they are reported: per call (in id order),
    then per entry, then per file."""
    if ctx.files_only:
        yield from unlogged_recordings(ctx)
        return
    rules = ctx.rules
    assigned, unmatched_loose = match_loose(ctx)
    total = None
    if ctx.progress is not None:
        total = count_calls(ctx)
        ctx.progress("checking calls", 0, total)
    for page in call_pages(ctx):
        if ctx.progress is not None:
            ctx.progress("checking calls", ctx.n_calls, total)
        ctx.n_calls += len(page)
        own = entries_of_page(ctx, page)
        lo, hi = page[0].id, page[-1].id
        for cid, es in assigned.items():
            if lo <= cid <= hi:
                own[cid].extend(es)
        heard = heard_for(ctx, [c.id for c in page if own.get(c.id)]) if rules.content else {}
        returned = called_back(ctx, page)
        for c in page:
            yield from check_call(ctx, c, own.get(c.id, []), returned, heard.get(c.id))
        if ctx.progress is not None:
            ctx.progress("checking calls", ctx.n_calls, total)
    yield from orphan_entries(ctx, unmatched_loose)
    yield from callbacks_overdue(ctx)
    yield from unlogged_recordings(ctx)
