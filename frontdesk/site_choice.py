"""``--site CODE`` for the commands that write or list a site's rows: the desk's own site
(``[phone] site``) unless another known site is named."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from frontdesk.config import Config
from frontdesk.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def add_site_arg(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--site", metavar="CODE", default=None,
                   help=f"the site {what} (a site code; default: this desk's site)")  # fmt: skip


def chosen_site(session: Session, cfg: Config, code: str | None) -> str:
    """The code of the site ``--site`` names (the desk's own when not given)."""
    from ledger.sites import known_site

    try:
        return known_site(session, code, cfg.site).code
    except ValueError as exc:
        raise UserError(str(exc)) from None
