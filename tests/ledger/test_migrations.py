"""Every earlier schema upgrades to the newest with its data intact (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from ledger.db import _is_current, alembic_config, make_engine, open_database, script_heads, upgrade

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def test_upgrade_from_each_revision_keeps_data(new_db_url):
    engine0 = make_engine(new_db_url())
    revisions = [
        r.revision for r in ScriptDirectory.from_config(alembic_config(engine0)).walk_revisions()
    ]
    engine0.dispose()
    assert revisions[-1] == "0001" and len(revisions) >= 2
    for rev in reversed(revisions[1:]):  # every revision but head
        url = new_db_url()
        engine = make_engine(url)
        upgrade(engine, rev)
        with engine.begin() as c:
            c.execute(text("INSERT INTO calls (uuid, sip_call_id, caller, callee, invited_at, rings, outcome,"
                           " source, created_at) VALUES ('u1', 's', '138', 'fd', :at, 3,"
                           " 'answered', 'phone', :at)"), {"at": AT})  # fmt: skip
            call_id = c.execute(text("SELECT id FROM calls WHERE uuid = 'u1'")).scalar()
            c.execute(text("INSERT INTO entries (call_id, source, status, urgent, summary, content,"
                           " confidence, evidence, created_at, updated_at) VALUES (:cid, '来电', 'registered',"
                           " :no, 's', '水管爆了', '{}', '[]', :at, :at)"),
                      {"cid": call_id, "no": False, "at": AT})  # fmt: skip
        engine.dispose()
        sessions = open_database(url)  # upgrades to head
        with sessions() as s:
            row = s.execute(
                text("SELECT content, created_at FROM entries WHERE call_id = :cid"),
                {"cid": call_id},
            ).one()
            assert row[0] == "水管爆了"
            cols = {c["name"] for c in inspect(s.connection()).get_columns("entries")}
            assert "import_key" in cols
        from ledger.models import LedgerEntry

        with sessions() as s:
            [e] = s.query(LedgerEntry).all()
            assert e.created_at == AT and e.created_at.tzinfo is not None


def test_opening_a_fresh_ledger_at_the_same_moment_migrates_once(db_url):
    """`frontdesk run` starts the phone and the worker at once on an empty data directory:
    both find no tables and would both create them. Threads stand in for the processes
    (SQLite: a file lock, which separate opens contend for in one process too; PostgreSQL:
    an advisory lock, held per connection)."""
    import threading

    import ledger.db as db

    url = db_url
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


def test_urgency_not_recorded_can_be_kept_after_the_upgrade(new_db_url):
    """0005 lets entries.urgent be NULL (not recorded) while every existing yes and no is
    kept; old calls become calls to the desk (direction 'in')."""
    url = new_db_url()
    engine = make_engine(url)
    upgrade(engine, "0004")
    with engine.begin() as c:
        c.execute(text("INSERT INTO calls (uuid, sip_call_id, caller, callee, invited_at, rings, outcome,"
                       " source, created_at) VALUES ('u1', 's', '138', 'fd', :at, 3, 'answered', 'phone', :at)"),
                  {"at": AT})  # fmt: skip
        for content, urgent in (("水管爆了", True), ("咨询物业费", False)):
            c.execute(text("INSERT INTO entries (source, status, urgent, summary, content, confidence,"
                           " evidence, created_at, updated_at) VALUES ('来电', 'registered', :u, 's', :c,"
                           " '{}', '[]', :at, :at)"), {"u": urgent, "c": content, "at": AT})  # fmt: skip
    engine.dispose()
    sessions = open_database(url)
    from ledger.models import Call, LedgerEntry

    with sessions() as s:
        assert {e.content: e.urgent for e in s.query(LedgerEntry)} == {"水管爆了": True, "咨询物业费": False}
        assert [c.direction for c in s.query(Call)] == ["in"]
        s.add(LedgerEntry(source="来访", status="registered", content="没有写紧急", created_at=AT))
        s.commit()
    with sessions() as s:
        assert s.query(LedgerEntry).filter_by(content="没有写紧急").one().urgent is None


def test_the_quick_up_to_date_check_names_the_heads_alembic_names(new_db_url):
    """Opening a ledger reads the scripts' revision lines instead of loading Alembic; a
    script written another way (a tuple of parents, a renamed id) would make every open
    look out of date or, worse, up to date — so the two readings must agree."""
    engine = make_engine(new_db_url())
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    assert script_heads() == heads and len(heads) == 1
    assert not _is_current(engine)  # an empty database is not up to date
    upgrade(engine)
    assert _is_current(engine)
    with engine.begin() as c:  # a ledger one revision behind is upgraded again
        c.execute(text("UPDATE alembic_version SET version_num = '0011_kpi_hours'"))
    assert not _is_current(engine)
    engine.dispose()
