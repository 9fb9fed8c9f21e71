"""Ledger tests run on SQLite and on a real PostgreSQL server (one private server per session).

``db_url`` is parametrised over both backends; each test gets a fresh database. Without the
PostgreSQL binaries the PostgreSQL cases fail, naming the package to install, unless
FRONTDESK_SKIP_PG=1.
"""

from __future__ import annotations

import itertools
import os

import pytest

import ledger.db as ledger_db
from tests.ledger.pg import PostgresUnavailable, start_server

BACKENDS = ["sqlite", "postgresql"]
_names = itertools.count()


@pytest.fixture(scope="session")
def pg_server():
    if os.environ.get("FRONTDESK_SKIP_PG") == "1":
        pytest.skip("FRONTDESK_SKIP_PG=1: PostgreSQL tests skipped")
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def new_db_url(request, tmp_path):
    """Make fresh, empty database URLs on each backend: ``new_db_url()``."""
    made: list[str] = []
    if request.param == "sqlite":
        names = itertools.count()

        def make() -> str:
            made.append(f"sqlite:///{tmp_path / f'ledger{next(names)}.db'}")
            return made[-1]
    else:
        server = request.getfixturevalue("pg_server")

        def make() -> str:
            made.append(server.create_database(f"t{os.getpid()}_{next(_names)}"))
            return made[-1]

    yield make
    for url in made:  # close the pools open_database keeps, or the server runs out of slots
        factory = ledger_db._opened.pop(url, None)
        if factory is not None:
            factory.kw["bind"].dispose()


@pytest.fixture
def db_url(new_db_url) -> str:
    """A fresh, empty database URL on each backend."""
    return new_db_url()


@pytest.fixture
def backend(db_url) -> str:
    return "postgresql" if db_url.startswith("postgresql") else "sqlite"
