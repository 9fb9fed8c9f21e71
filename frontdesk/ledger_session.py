"""Opening the ledger for a CLI command, with readable errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from frontdesk.config import Config
from frontdesk.errors import UserError

if TYPE_CHECKING:  # SQLAlchemy is imported by the commands that open the ledger, not by --help
    from sqlalchemy.orm import Session, sessionmaker


def sessions_for(cfg: Config) -> sessionmaker[Session]:
    from ledger.db import LedgerError, open_database

    try:
        return open_database(cfg.database_url)
    except LedgerError as exc:
        raise UserError(str(exc)) from None
