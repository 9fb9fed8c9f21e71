"""Opening the ledger for a CLI command, with readable errors."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from frontdesk.config import Config
from frontdesk.errors import UserError


def sessions_for(cfg: Config) -> sessionmaker[Session]:
    from ledger.db import LedgerError, open_database

    try:
        return open_database(cfg.database_url)
    except LedgerError as exc:
        raise UserError(str(exc)) from None
