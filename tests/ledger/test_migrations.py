"""Every earlier schema upgrades to the newest with its data intact (SQLite)."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from ledger.db import alembic_config, make_engine, open_database, upgrade


def test_upgrade_from_each_revision_keeps_data(tmp_path):
    engine0 = make_engine(f"sqlite:///{tmp_path / 'probe.db'}")
    revisions = [
        r.revision for r in ScriptDirectory.from_config(alembic_config(engine0)).walk_revisions()
    ]
    assert revisions[-1] == "0001" and len(revisions) >= 2
    for rev in reversed(revisions[1:]):  # every revision but head
        url = f"sqlite:///{tmp_path / f'from-{rev}.db'}"
        engine = make_engine(url)
        upgrade(engine, rev)
        with engine.begin() as c:
            c.execute(text("INSERT INTO calls (uuid, sip_call_id, caller, callee, invited_at, rings, outcome,"
                           " source, created_at) VALUES ('u1', 's', '138', 'fd', '2026-11-01 08:00:00', 3,"
                           " 'answered', 'phone', '2026-11-01 08:00:00')"))  # fmt: skip
            c.execute(text("INSERT INTO entries (call_id, source, status, urgent, summary, content,"
                           " confidence, evidence, created_at, updated_at) VALUES (1, '来电', 'registered',"
                           " 0, 's', 'c', '{}', '[]', '2026-11-01 08:01:00', '2026-11-01 08:01:00')"))  # fmt: skip
        engine.dispose()
        sessions = open_database(url)  # upgrades to head
        with sessions() as s:
            assert s.execute(text("SELECT count(*) FROM entries WHERE call_id = 1")).scalar() == 1
            cols = {c["name"] for c in inspect(s.connection()).get_columns("entries")}
            assert "import_key" in cols


def test_opening_a_fresh_ledger_at_the_same_moment_migrates_once(tmp_path):
    """`frontdesk run` starts the phone and the worker at once on an empty data directory:
    both find no tables and would both create them. Threads stand in for the processes
    (the lock is a file lock, which separate opens contend for in one process too)."""
    import threading

    import ledger.db as db

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    start = threading.Barrier(8)
    errors: list[Exception] = []

    def open_it():
        start.wait()
        try:
            _open_uncached(db, url)
        except Exception as exc:  # noqa: BLE001 - collected for the assert
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def _open_uncached(db, url):
    db._opened.pop(url, None)
    return db.open_database(url)
