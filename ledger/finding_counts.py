"""Findings per (site, kind, status), kept by the database, for the audit list's counts.

The audit list shows the open findings per kind of the user's sites. Counting them per
request read every open finding (84,000 for a 50-site company keeping 14 days open: 90 ms
at load 3, growing with the company), where the list itself reads 51 rows. Two tables:

finding_counts       n per (site, kind, status), the folded counts
finding_count_marks  +n / -n per (site, kind, status) that a change to findings made, not
                     folded yet

Writers never touch finding_counts: triggers on findings (migration 0013, SQLite and
PostgreSQL) insert marks for each INSERT, DELETE (cascades from calls and entries too) and
each UPDATE that changes a finding's site, kind or status (resolve, reopen) — -1 for the
old row, +1 for the new. A mark is a plain insert (no unique key, no upsert), so writers
never wait on each other or on a reader for it, as with kpi_dirty (ledger/kpi_hours.py).
On PostgreSQL the triggers are per statement, over the statement's transition tables: the
reconciler's bulk writes of thousands of findings leave one mark per (site, kind, status).

Readers (:func:`counts`) sum finding_counts and the marks in one statement, so a count is
exact whether or not the marks were folded, and cost the number of (site, kind, status)
groups, not of findings. :func:`fold` moves committed marks into finding_counts (DELETE …
RETURNING, then upserts): a reader that saw marks folds them after reading. A writer's
uncommitted marks are invisible to both, as its findings are. On PostgreSQL a fold takes a
transaction advisory lock, and a second folder skips (the first's fold is as good).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from sqlalchemy import Connection, bindparam, text

FOLD_LOCK_ID = 0x46444B32  # "FDK2": held by a fold for its transaction
TABLES = ("finding_count_marks", "finding_counts")
TRIGGERS = ("finding_counts_ins", "finding_counts_del", "finding_counts_upd")


def counts(conn: Connection, sites: Collection[str] | None) -> tuple[Counter, int]:
    """Findings per (kind, status) of ``sites`` (None: every site), and how many marks the
    sum included (a reader folds them when there are any)."""
    where = "" if sites is None else " WHERE site IN :sites"
    stmt = text(
        "SELECT kind, status, sum(n), sum(m) FROM ("
        f"SELECT kind, status, n, 0 AS m FROM finding_counts{where} UNION ALL "
        f"SELECT kind, status, n, 1 AS m FROM finding_count_marks{where}"
        ") u GROUP BY kind, status"
    )
    args = {}
    if sites is not None:
        stmt = stmt.bindparams(bindparam("sites", expanding=True))
        args["sites"] = sorted(sites) or [""]  # no site: nothing matches ''
    out: Counter = Counter()
    marks = 0
    for kind, status, n, m in conn.execute(stmt, args):
        if n:
            out[kind, status] = int(n)
        marks += int(m)
    return out, marks


def fold(conn: Connection) -> int:
    """Move the committed marks into finding_counts; returns the marks folded (0 when
    another transaction is folding: its fold covers them). The caller commits."""
    if conn.dialect.name == "postgresql":
        got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": FOLD_LOCK_ID})
        if not got.scalar():
            return 0
    rows = conn.execute(text("DELETE FROM finding_count_marks RETURNING site, kind, status, n")).all()
    delta: Counter = Counter()
    for site, kind, status, n in rows:
        delta[site, kind, status] += n
    changes = [{"site": s, "kind": k, "status": st, "n": n}
               for (s, k, st), n in sorted(delta.items()) if n]  # fmt: skip
    if changes:  # in key order: two folds (SQLite has no lock) never wait on each other crosswise
        conn.execute(text(
            "INSERT INTO finding_counts (site, kind, status, n) VALUES (:site, :kind, :status, :n) "
            "ON CONFLICT (site, kind, status) DO UPDATE SET n = finding_counts.n + excluded.n"
        ), changes)  # fmt: skip
        conn.execute(text("DELETE FROM finding_counts WHERE n = 0"))
    return len(rows)


def rebuild(conn: Connection) -> int:
    """Count every finding afresh (the migration; after loading with the triggers off)."""
    conn.execute(text("DELETE FROM finding_count_marks"))
    conn.execute(text("DELETE FROM finding_counts"))
    return conn.execute(text(
        "INSERT INTO finding_counts (site, kind, status, n) "
        "SELECT site, kind, status, count(*) FROM findings GROUP BY site, kind, status"
    )).rowcount  # fmt: skip


# ---------------------------------------------------------------- triggers (migration 0013)


def trigger_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return _pg_ddl()
    return _sqlite_ddl()


def drop_trigger_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [*(f"DROP TRIGGER IF EXISTS {t} ON findings" for t in TRIGGERS),
                *(f"DROP FUNCTION IF EXISTS {t}()" for t in TRIGGERS)]  # fmt: skip
    return [f"DROP TRIGGER IF EXISTS {t}" for t in TRIGGERS]


def _pg_ddl() -> list[str]:
    # per statement, over its transition tables: one mark per (site, kind, status) changed
    new = "SELECT site, kind, status, 1 AS n FROM new_rows"
    old = "SELECT site, kind, status, -1 AS n FROM old_rows"
    out = []
    for name, event, parts, refs in (
        ("finding_counts_ins", "INSERT", [new], "NEW TABLE AS new_rows"),
        ("finding_counts_del", "DELETE", [old], "OLD TABLE AS old_rows"),
        ("finding_counts_upd", "UPDATE", [new, old], "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ):
        out.append(f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO finding_count_marks (site, kind, status, n)
  SELECT site, kind, status, sum(n) FROM ({" UNION ALL ".join(parts)}) d
  GROUP BY site, kind, status HAVING sum(n) <> 0;
  RETURN NULL;
END $$""")
        out.append(f"CREATE TRIGGER {name} AFTER {event} ON findings REFERENCING {refs} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")  # fmt: skip
    return out


def _sqlite_ddl() -> list[str]:
    def mark(row: str, n: int) -> str:
        return (f"INSERT INTO finding_count_marks (site, kind, status, n) "
                f"VALUES ({row}.site, {row}.kind, {row}.status, {n});")  # fmt: skip

    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("site", "kind", "status"))
    return [
        f"CREATE TRIGGER finding_counts_ins AFTER INSERT ON findings BEGIN {mark('NEW', 1)} END",
        f"CREATE TRIGGER finding_counts_del AFTER DELETE ON findings BEGIN {mark('OLD', -1)} END",
        f"CREATE TRIGGER finding_counts_upd AFTER UPDATE ON findings WHEN {changed} "
        f"BEGIN {mark('OLD', -1)} {mark('NEW', 1)} END",
    ]
