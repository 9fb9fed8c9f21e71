"""An import that stores all its rows or none: commit when the report says every row was
good, roll back otherwise, and turn the ledger's refusal into one line that names the file
but never a row's values (an IntegrityError's message holds residents' names and numbers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frontdesk.errors import UserError

R = TypeVar("R")


def import_all_or_nothing(
    session: Session,
    run: Callable[[], R],
    ok: Callable[[R], bool],
    *,
    refused: str,
    errors: tuple[type[Exception], ...] = (OSError,),
) -> R:
    """``run()``'s report, committed when ``ok(report)``, else rolled back. ``errors`` are the
    reader's own (a file that cannot be read): their message is the user's error. ``refused``
    is the whole message when the database refuses the rows."""
    try:
        report = run()
        if ok(report):
            session.commit()
        else:
            session.rollback()
        return report
    except errors as exc:
        session.rollback()
        raise UserError(str(exc)) from None
    except IntegrityError:
        session.rollback()
        raise UserError(refused) from None
