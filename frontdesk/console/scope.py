"""Which sites' rows a console user may see, for every page: lists are filtered by
``where``; a single row named in a URL passes ``require`` or is "not found" — the same 404
as a row that does not exist, so a supervisor of one site cannot even learn which ids
another site's calls, entries or findings have.

``?site=CODE`` narrows a list to one of the user's sites (``chosen``); a site they may not
see is refused the same way as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute
from starlette.exceptions import HTTPException

from domain.sites import Site
from frontdesk.console.web import Ctx
from ledger.sites import in_sites, list_sites


def where(ctx: Ctx, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """Rows of the sites the user may see (every site: no condition at all)."""
    return in_sites(column, ctx.user.sites)


def require(ctx: Ctx, site: str | None, not_found: str) -> None:
    """404 ``not_found`` unless the user may see ``site`` (the row's site)."""
    if site is None or not ctx.user.sees(site):
        raise HTTPException(404, not_found)


def chosen(ctx: Ctx) -> Collection[str] | None:
    """The sites a list shows: ``?site=CODE`` (one of the user's), else all of theirs."""
    code = ctx.query.get("site", "").strip()
    if not code:
        return ctx.user.sites
    if not ctx.user.sees(code):
        raise HTTPException(404, f"no site {code[:40]!r}")
    return {code}


def where_chosen(ctx: Ctx, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    return in_sites(column, chosen(ctx))


def choices(ctx: Ctx) -> list[Site]:
    """The sites the user may see, by code (for a list's site filter and labels)."""
    return [s for s in list_sites(ctx.db) if ctx.user.sees(s.code)]


def names(ctx: Ctx) -> dict[str, str]:
    return {s.code: s.name for s in choices(ctx)}
