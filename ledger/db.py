"""Opening the ledger database: SQLite (WAL) by default, PostgreSQL by URL.

``open_database`` brings the schema to the newest Alembic revision first, so every
process (phone, worker, CLI) can open a fresh or an old data directory safely.
"""

from __future__ import annotations

import fcntl
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"


class LedgerError(RuntimeError):
    """The database cannot be opened or is not a Frontdesk ledger."""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=_json)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=_json)


def _json(value) -> str:
    """JSON columns hold Chinese text as is: half the size of \\u escapes, faster to read."""
    return json.dumps(value, ensure_ascii=False)


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and _is_current(engine):
        return  # the common case: every process opens an up-to-date ledger
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(?:\"([^\"]*)\"|None)", re.M)


def script_heads() -> set[str]:
    """The newest revisions of the migration scripts, read from their text.

    Importing Alembic (with Mako and Pygments) and loading every script costs a CLI command
    about half a second; the up-to-date check needs only the ids, which each script names in
    its ``revision`` and ``down_revision`` lines (``test_migrations`` checks this reading
    against Alembic's own)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for key, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            if value:
                (revisions if key == "revision" else parents).add(value)
    return revisions - parents


def _is_current(engine: Engine, tables: set[str] | None = None) -> bool:
    """Whether the ledger is at the scripts' heads (``tables``: its table names, if known)."""
    with engine.connect() as conn:
        if "alembic_version" not in (tables if tables is not None else inspect(conn).get_table_names()):
            return False
        current = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    return bool(current) and current == script_heads()


_opened: dict[str, sessionmaker[Session]] = {}


def open_database(url: str) -> sessionmaker[Session]:
    """A session factory on an up-to-date ledger; a file that is not one is an error."""
    if url in _opened:
        return _opened[url]
    engine = make_engine(url)
    try:
        with _migration_lock(url, engine):  # phone and worker start together on a fresh ledger
            tables = set(inspect(engine).get_table_names())
            if tables and "alembic_version" not in tables:
                raise LedgerError(f"{_safe(url)} holds tables that are not a Frontdesk ledger")
            if not _is_current(engine, tables):  # the tables already read: not inspected twice
                upgrade(engine)
    except (DatabaseError, OperationalError) as exc:
        raise LedgerError(f"cannot open the ledger database {_safe(url)}: {exc.orig}") from None
    factory = sessionmaker(engine, expire_on_commit=False)
    _opened[url] = factory
    return factory


MIGRATION_LOCK_ID = 0x46445331  # "FDS1": the advisory lock all Frontdesk processes agree on


@contextmanager
def _migration_lock(url: str, engine: Engine) -> Iterator[None]:
    """Serialise schema upgrades between processes opening one ledger at once.

    SQLite: a file lock next to the database. PostgreSQL: a session advisory lock
    (concurrent CREATE TABLEs in two transactions would otherwise block and then fail).
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_ID})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_ID})
                conn.commit()
        return
    path = url.split("///", 1)[1] if url.startswith("sqlite") and "///" in url else ""
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _safe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database url>"
