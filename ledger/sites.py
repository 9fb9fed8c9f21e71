"""Sites in the ledger: the sites table (code → display name), and the filter that keeps a
list to the sites someone may see."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from domain.sites import DEFAULT, Site, check_code
from ledger.models import Site as SiteRow

__all__ = ["ensure_site", "known_site", "list_sites", "site_names", "in_sites"]


def ensure_site(session: Session, site: Site) -> SiteRow:
    """The site's row, added when new (two desks starting at once may both try: the loser
    of that race reads the winner's row). A known code keeps its name unless one is given
    that differs from the code itself (a desk naming its site renames it)."""
    check_code(site.code)
    row = session.get(SiteRow, site.code)
    if row is None:
        try:
            with session.begin_nested():
                row = SiteRow(code=site.code, name=site.name)
                session.add(row)
        except IntegrityError:
            row = session.get(SiteRow, site.code, populate_existing=True)
            assert row is not None
    if site.name != site.code and row.name != site.name and site != DEFAULT:
        row.name = site.name
    return row


def list_sites(session: Session) -> list[Site]:
    # plain rows, not ORM objects: every list and KPI page reads the 50 sites of a company
    q = select(SiteRow.code, SiteRow.name).order_by(SiteRow.code)
    return [Site(code, name) for code, name in session.execute(q)]


def site_names(session: Session) -> dict[str, str]:
    """Code → display name, for showing rows (a code with no row shows as itself)."""
    return {code: name for code, name in session.execute(select(SiteRow.code, SiteRow.name))}


def in_sites(
    column: InstrumentedAttribute[str], sites: Collection[str] | None
) -> ColumnElement[bool]:
    """A WHERE clause keeping rows of ``sites`` (None: every site — admins and company
    supervisors). An empty collection keeps nothing."""
    if sites is None:
        return true()
    return column.in_(sorted(sites))


def known_site(session: Session, code: str | None, own: Site) -> Site:
    """The site ``code`` names: the desk's own (``own``, recorded if new) when no code is
    given or it is own's; otherwise a site already in the ledger, or ValueError naming the
    known ones (a typo must not file rows under a site nobody sees)."""
    if not code or code == own.code:
        ensure_site(session, own)
        return own
    row = session.get(SiteRow, code)
    if row is None:
        known = ", ".join(s.code for s in list_sites(session)) or "none"
        raise ValueError(
            f"unknown site {code!r} (known: {known}); add it with `frontdesk sites add CODE NAME` "
            "(a desk adds its own, [phone] site and site_code, when it stores a call)"
        )
    return Site(row.code, row.name)
