"""Console page: the access log (/access) for supervisors and admins — who heard which call,
when, from where — filtered by user, call, caller number, action and date, with a CSV export
(itself logged)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.responses import Response

from frontdesk.console.access import COLUMNS, AccessFilter, access_to_dict, query_access
from frontdesk.console.replay import _int
from frontdesk.console.web import Ctx, guarded, local_day
from ledger.cells import csv_row
from ledger.models import AccessLog, User

READERS = ("supervisor",)  # and admins, who hold every role
PAGE = 100
KEYS = ("user", "call", "caller", "action", "from", "to")


def _filters(ctx: Ctx) -> tuple[dict[str, str], AccessFilter]:
    raw = {k: ctx.query.get(k, "").strip() for k in KEYS}
    f = AccessFilter(
        since=local_day(ctx, raw["from"], "from") if raw["from"] else None,
        until=local_day(ctx, raw["to"], "to", after=True) if raw["to"] else None,
        user=raw["user"] or None,
        call_id=_int(raw["call"], "call"),
        caller="".join(ch for ch in raw["caller"] if ch.isdigit() or ch in "+*#") or None,
        action=raw["action"] or None,
        usernames=_staff(ctx),
    )
    return raw, f


def _staff(ctx: Ctx) -> list[str] | None:
    """Whose rows a supervisor of some sites may read: the people who see only those sites
    (what they did can be about nothing else). Admins and company-wide users: everyone's."""
    mine = ctx.user.sites
    if mine is None:
        return None
    out = []
    q = select(User).where(User.role != "admin", ~User.all_sites).options(selectinload(User.site_rows))
    for user in ctx.db.scalars(q):
        theirs = {r.site for r in user.site_rows}
        if theirs and theirs <= mine:
            out.append(user.username)
    return out


def access_page(ctx: Ctx) -> Response:
    raw, f = _filters(ctx)
    before = _int(ctx.query.get("before"), "before")
    rows = query_access(ctx.db, f, before, PAGE + 1)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    actions = sorted(ctx.db.scalars(select(AccessLog.action).distinct().limit(100)))
    return ctx.render(
        "access/index.html",
        rows=rows,
        filters=raw,
        kept={k: v for k, v in raw.items() if v},
        before=before,
        next_before=rows[-1].id if rows and more else None,
        actions=actions,
    )


def access_export(ctx: Ctx) -> Response:
    raw, f = _filters(ctx)
    buf = io.StringIO()
    buf.write("\ufeff")  # BOM: Excel reads it as UTF-8
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    n = 0
    for row in query_access(ctx.db, f, limit=200_000):
        d = access_to_dict(row)
        d["at"] = ctx.console.local_time(d["at"])
        d["detail"] = json.dumps(d["detail"], ensure_ascii=False) if d["detail"] else ""
        w.writerow(csv_row([d[c] for c in COLUMNS]))
        n += 1
    ctx.log("export", "access_log", rows=n, **{k: v for k, v in raw.items() if v})
    stamp = datetime.now().astimezone(ctx.console.tz).strftime("%Y%m%d-%H%M")
    return Response(
        buf.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="access-log-{stamp}.csv"'},
    )


routes = [
    guarded("/access", access_page, roles=READERS),
    guarded("/access/export.csv", access_export, roles=READERS),
]
