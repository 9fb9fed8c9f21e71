"""One run's context: the session, the settings, the window, and the query helpers every
part of the reconciler reads rows with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import Float, Text, and_, any_, bindparam, cast, func, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ledger import explain as say
from ledger.reconcile.rows import CallRow
from ledger.reconcile.settings import Rules


def epoch(session: Session, col):
    """The column as float seconds since 1970 (UTC), computed by the database:
    parsing a million datetimes in Python would dominate the run."""
    if session.bind.dialect.name == "sqlite":
        return (func.julianday(col) - 2440587.5) * 86400.0
    return cast(func.extract("epoch", col), Float)


IN_CHUNK = 5000  # values per IN list on SQLite (its cap on a statement's parameters)


def one_of(session: Session, col, values: list) -> list:
    """``col IN values`` as a list of conditions, each to run in its own query: one array
    parameter on PostgreSQL (``= ANY(:array)``: rendering and sending a site-month's 25,000
    bound parameters cost seconds of CPU, more than the queries), chunks of IN_CHUNK on
    SQLite."""
    if not values:
        return []
    if session.bind.dialect.name == "postgresql":
        # sent as one array literal: the driver's dumping of a list costs 6× the CPU
        return [col == any_(cast(bindparam(None, _pg_array(values), type_=Text),
                                 ARRAY(col.type)))]  # fmt: skip
    return [col.in_(values[i : i + IN_CHUNK]) for i in range(0, len(values), IN_CHUNK)]


def _pg_array(values: list) -> str:
    """A PostgreSQL array literal of ints or strings (never NULL)."""
    if all(isinstance(v, int) for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    return "{" + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
                          for v in values) + "}"


@dataclass
class Ctx:
    """One run: what it reads (the session, the window), how (the rules), and what it
    gathers on the way (calls checked, checks skipped)."""

    session: Session
    rules: Rules
    now: float
    since: datetime | None
    until: datetime | None
    site: str | None = None
    files_only: bool = False  # only the recordings no call row names (every site's run)
    n_calls: int = 0
    tz: tzinfo | None = None
    progress: Callable[[str, int, int | None], None] | None = None
    # findings whose check this run skipped (a recording not re-hashed): not evidence that
    # the problem is gone, so an open one stays open
    unchecked: set[str] = field(default_factory=set)

    def in_window(self, col, margin: float = 0.0):
        """The time window on ``col`` (a Call or LedgerEntry column), and the run's site."""
        conds = [self.same_site(col.class_)]
        if self.since is not None:
            conds.append(col >= self.since - timedelta(seconds=margin))
        if self.until is not None:
            conds.append(col < self.until + timedelta(seconds=margin))
        return and_(True, *conds)

    def same_site(self, model):
        return model.site == self.site if self.site is not None else true()

    def q(self, stmt):
        """Core execution: rows as tuples, without the ORM's per-row result layer."""
        return self.session.connection().execute(stmt)

    def rows(self, stmt) -> list[tuple]:
        """All rows straight from the driver's cursor, skipping SQLAlchemy's per-row
        processing: for queries selecting only numbers, text and epoch seconds."""
        result = self.session.connection().execute(stmt)
        try:
            return result.cursor.fetchall()
        finally:
            result.close()

    def one_of(self, col, values: list) -> list:
        return one_of(self.session, col, values)

    def ep(self, col):
        return epoch(self.session, col)

    def who(self, c: CallRow) -> str:
        """How a finding names a call: its local time and masked caller. Worded only for
        a call with a finding: formatting a time for every call of a year would cost
        seconds."""
        return say.call(c.invited, c.caller, self.tz, missed=c.outcome == "missed")


def iso(t: float | None) -> str | None:
    """Epoch seconds as the ISO text findings' evidence holds."""
    return datetime.fromtimestamp(t, UTC).isoformat() if t is not None else None
