"""The SQL that pages the calls of a period and reads the entries of a page: the reconciler
never loads a whole table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import func, select

from ledger.models import Call, LedgerEntry
from ledger.reconcile.context import Ctx
from ledger.reconcile.rows import CallRow, EntryRow, call_columns, entry_columns

CHUNK = 20_000


def call_pages(ctx: Ctx) -> Iterator[list[CallRow]]:
    """The calls in scope, CHUNK at a time, in id order. A window is found through the
    invited_at index first: keyset paging by id alone would scan every call for one day."""
    cols = call_columns(ctx.ep)
    if ctx.since is None and ctx.until is None:
        last = 0
        while rows := ctx.rows(select(*cols).where(Call.id > last, ctx.same_site(Call))
                               .order_by(Call.id).limit(CHUNK)):  # fmt: skip
            page = list(map(CallRow._make, rows))
            last = page[-1].id
            yield page
        return
    ids = sorted(ctx.q(select(Call.id).where(ctx.in_window(Call.invited_at))).scalars())
    for i in range(0, len(ids), CHUNK):
        part = ids[i : i + CHUNK]
        if len(part) > 5000 and part[-1] - part[0] < 2 * len(part):  # mostly contiguous
            wanted = set(part)
            rows = ctx.rows(select(*cols).where(Call.id.between(part[0], part[-1])))
            page = [c for c in map(CallRow._make, rows) if c.id in wanted]
        else:
            page = []
            for cond in ctx.one_of(Call.id, part):
                page += map(CallRow._make, ctx.rows(select(*cols).where(cond)))
        page.sort(key=lambda c: c.id)
        yield page


def count_calls(ctx: Ctx) -> int:
    """How many calls the run checks (for a progress bar)."""
    return ctx.q(select(func.count(Call.id)).where(ctx.in_window(Call.invited_at))).scalar()


def entries_of_page(ctx: Ctx, page: list[CallRow]) -> dict[int, list[EntryRow]]:
    """The registered entries linked to the page's calls, call id → entries in id order."""
    lo, hi = page[0].id, page[-1].id
    if hi - lo < 2 * len(page):  # the page is most of its id range: one range scan
        linked = [LedgerEntry.call_id.between(lo, hi)]
    else:  # one site of many: its calls lie among the other sites' (a range would read
        ids = [c.id for c in page]  # every site's entries); looked up by id instead
        linked = ctx.one_of(LedgerEntry.call_id, ids)
    found: list[tuple] = []
    for cond in linked:
        found += ctx.rows(
            select(*entry_columns(ctx.ep)).where(cond, LedgerEntry.status != "draft")
        )  # fmt: skip
    own: dict[int, list[EntryRow]] = defaultdict(list)
    for e in map(EntryRow._make, sorted(found)):  # by entry id: a call's first entry first
        own[e.call_id].append(e)
    return own
