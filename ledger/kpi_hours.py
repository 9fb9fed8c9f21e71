"""Per-site totals by UTC hour for the supervisor KPI page, kept up to date by the database.

The company's month is 1.24 M calls and 1.15 M entries at 50 sites (bench/sites.py); summing
them per request takes seconds however they are indexed. These tables hold the same sums
per (site, UTC hour), so a month is ~37,000 small rows at most:

kpi_call_hours   per (site, hour of invited_at): calls, answered, answered within
                 MAX_RINGS rings, missed, recorded, recorded and registered within the grace
kpi_entry_sums   per (site, span, bucket, kind, key): ``kind`` 'c' = a category (registered,
                 repairs returned, their callbacks within the rule), 'b' = a building
                 (registered HOT entries), 'u' = an unfinished status (entries now in
                 it: the review's count); ``span`` 'h' = the UTC hour of created_at,
                 'd' = the UTC day (the sum of that day's 'h' rows). Category × building
                 would be a row per entry; a month's days are 50 × 30 × ~31 rows, and
                 only the partial UTC days at the period's ends are read by the hour.
kpi_subject_sums per (site, span, bucket, category, subject): registered HOT entries by
                 subject (public area, else summary: free text, so as many rows as
                 entries at worst, never more; a handful a day when desks repeat them)
kpi_call_days    per (site, UTC day): the sums of its kpi_call_hours rows (migration 0014):
                 the company's month by site reads ~1,500 day rows and the partial days'
                 hours, not 23,250 site-hours
kpi_company_hours per UTC hour: every site's calls and missed calls (0014), the company's
                 chart (465 rows a month, not 23,250)
kpi_company_entry_sums, kpi_company_subject_sums
                 the 'c' and 'b' rows of kpi_entry_sums and the rows of kpi_subject_sums
                 summed over the sites, per span and bucket (0016): the company's month reads
                 a day's buildings and subjects once, not once per site
kpi_dirty        the (site, hour) buckets a change made stale
kpi_settings     the rules the totals were counted with

Writers never compute totals: triggers on calls and entries (migration 0011, SQLite and
PostgreSQL) insert a mark in kpi_dirty for each bucket a row's INSERT/UPDATE/DELETE touches
— old and new — including the bucket of an entry's call (registered-in-time depends on the
entry's registered_at and the call's ended_at). A mark is a plain insert (no unique key,
no upsert): writers never wait on each other or on a reader for it, and cannot deadlock
over it. Readers call :func:`refresh` for their period first: it claims the period's
committed marks (DELETE … RETURNING) and recounts those buckets from the raw rows, a few
indexed hours. A writer's uncommitted mark is invisible to the claim and stays for the next
refresh, which sees its rows committed: a bucket is never left stale and unmarked. On
PostgreSQL refreshes take an advisory lock for their transaction, so two never recount one
bucket at once (the second then finds the first's marks gone and its totals committed).

The grace (``registration_grace_s``), the callback rule (``callback_s``), MAX_RINGS and HOT
are baked into the totals; kpi_settings keeps them as one string (:func:`rules_key`). A
page whose rules differ from the stored ones counts from the raw rows instead (exactly as
before, slowly) until ``frontdesk ledger rebuild-kpi`` recounts everything under the new
rules. Storing rule-independent figures (delays per call) would cost a row per call.

Buckets are UTC hours: a period from local midnight to local midnight maps onto them
exactly when the zone's offset is whole hours; callers fall back to the raw rows otherwise.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, inspect, text

MAX_RINGS = 3  # answered within 3 rings
HOT = ("投诉", "报修")  # what "hot complaints" counts: complaints and repair reports
UNFINISHED = ("registered", "dispatched", "in_progress", "returned", "called_back")
REPAIR = "报修"
BATCH = 200  # buckets recounted per statement
DELTA_SITES = 8  # a recount of at most this many sites moves the company's sums by its change
RECOUNT_LOCK_ID = 0x46444B31  # "FDK1": held by a recount for its transaction
SUBJECT = "coalesce(e.public_area, e.summary)"  # a HOT entry's subject, as the page shows it
TABLES = ("kpi_dirty", "kpi_call_hours", "kpi_entry_sums", "kpi_subject_sums", "kpi_settings",
          "kpi_call_days", "kpi_company_hours",  # migration 0014
          "kpi_company_entry_sums", "kpi_company_subject_sums")  # 0016  # fmt: skip
CALL_SUMS = ("calls", "answered", "ring3", "missed", "recorded", "reg_ok")


def rules_key(grace_s: float, callback_s: float) -> str:
    return (f"grace={float(grace_s)!r};callback={float(callback_s)!r};rings={MAX_RINGS};"
            f"hot={','.join(HOT)};open={','.join(UNFINISHED)}")  # fmt: skip


def _hour(dialect: str, col: str) -> str:
    """SQL: ``col`` truncated to its UTC hour, stored as the ledger stores times."""
    if dialect == "sqlite":
        return f"strftime('%Y-%m-%d %H:00:00.000000', {col})"
    return f"(date_trunc('hour', {col} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"


def _day(dialect: str, col: str) -> str:
    if dialect == "sqlite":
        return f"strftime('%Y-%m-%d 00:00:00.000000', {col})"
    return f"(date_trunc('day', {col} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"


def _seconds(dialect: str, later: str, earlier: str) -> str:
    """The KPI page's ``later - earlier`` in seconds, the same expression (so the same
    rounding) as frontdesk/console/kpi.py's."""
    if dialect == "sqlite":
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"
    return f"extract(epoch FROM {later} - {earlier})"


def _b(cond: str) -> str:
    return f"coalesce(sum(CASE WHEN {cond} THEN 1 ELSE 0 END), 0)"


def _call_sums(dialect: str, where: str) -> str:
    answered = "c.outcome = 'answered'"
    recorded = "c.outcome IN ('answered', 'interrupted') AND c.recording_path IS NOT NULL"
    # an entry registered within the grace: EXISTS probes entries' call_id index per call
    # (min(registered_at) let PostgreSQL walk the registered_at index instead, per call,
    # on a ledger without statistics)
    in_time = ("EXISTS (SELECT 1 FROM entries e WHERE e.call_id = c.id "
               "AND e.registered_at IS NOT NULL AND "
               f"{_seconds(dialect, 'e.registered_at', 'c.ended_at')} <= :grace)")  # fmt: skip
    return f"""
INSERT INTO kpi_call_hours (site, hour, calls, answered, ring3, missed, recorded, reg_ok)
SELECT c.site, {_hour(dialect, "c.invited_at")}, count(*), {_b(answered)},
       {_b(f"{answered} AND c.rings <= {MAX_RINGS}")}, {_b("c.outcome = 'missed'")},
       {_b(recorded)}, {_b(f"{recorded} AND {in_time}")}
FROM calls c WHERE {where}
GROUP BY c.site, {_hour(dialect, "c.invited_at")}"""


def _entry_sums(dialect: str, where: str) -> list[str]:
    hot = ", ".join(f"'{c}'" for c in HOT)
    unfinished = ", ".join(f"'{c}'" for c in UNFINISHED)
    repaired = f"e.category = '{REPAIR}' AND e.returned_at IS NOT NULL"
    cb = f"{_seconds(dialect, 'e.callback_at', 'e.returned_at')} <= :callback"
    hour = _hour(dialect, "e.created_at")
    return [
        f"""
INSERT INTO kpi_entry_sums (site, span, bucket, kind, key, registered, returned, cb_ok)
SELECT e.site, 'h', {hour}, 'c', e.category, {_b("e.status <> 'draft'")}, {_b(repaired)},
       {_b(f"{repaired} AND e.callback_at IS NOT NULL AND {cb}")}
FROM entries e WHERE e.category IS NOT NULL AND ({where})
GROUP BY e.site, {hour}, e.category""",
        f"""
INSERT INTO kpi_entry_sums (site, span, bucket, kind, key, registered, returned, cb_ok)
SELECT e.site, 'h', {hour}, 'b', e.building, count(*), 0, 0
FROM entries e WHERE e.category IN ({hot}) AND e.building IS NOT NULL
     AND e.status <> 'draft' AND ({where})
GROUP BY e.site, {hour}, e.building""",
        f"""
INSERT INTO kpi_entry_sums (site, span, bucket, kind, key, registered, returned, cb_ok)
SELECT e.site, 'h', {hour}, 'u', e.status, count(*), 0, 0
FROM entries e WHERE e.status IN ({unfinished}) AND ({where})
GROUP BY e.site, {hour}, e.status""",
        f"""
INSERT INTO kpi_subject_sums (site, span, bucket, category, subject, n)
SELECT e.site, 'h', {hour}, e.category, {SUBJECT}, count(*)
FROM entries e WHERE e.category IN ({hot}) AND e.status <> 'draft' AND ({where})
GROUP BY e.site, {hour}, e.category, {SUBJECT}""",
    ]


def _day_sums(dialect: str, where: str) -> list[str]:
    day = _day(dialect, "h.bucket")
    return [
        f"""
INSERT INTO kpi_entry_sums (site, span, bucket, kind, key, registered, returned, cb_ok)
SELECT h.site, 'd', {day}, h.kind, h.key, sum(h.registered), sum(h.returned), sum(h.cb_ok)
FROM kpi_entry_sums h WHERE h.span = 'h' AND ({where})
GROUP BY h.site, {day}, h.kind, h.key""",
        f"""
INSERT INTO kpi_subject_sums (site, span, bucket, category, subject, n)
SELECT h.site, 'd', {day}, h.category, h.subject, sum(h.n)
FROM kpi_subject_sums h WHERE h.span = 'h' AND ({where})
GROUP BY h.site, {day}, h.category, h.subject""",
    ]


def _call_days(dialect: str, where: str) -> str:
    """A site's UTC day of calls: the sum of its kpi_call_hours rows (migration 0014)."""
    day = _day(dialect, "h.hour")
    sums = ", ".join(f"sum(h.{c})" for c in CALL_SUMS)
    return f"""
INSERT INTO kpi_call_days (site, day, {", ".join(CALL_SUMS)})
SELECT h.site, {day}, {sums} FROM kpi_call_hours h WHERE {where} GROUP BY h.site, {day}"""


def _company_hours(where: str) -> str:
    """Every site's calls and missed calls of a UTC hour (the company's chart, 0014)."""
    return f"""
INSERT INTO kpi_company_hours (hour, calls, missed)
SELECT h.hour, sum(h.calls), sum(h.missed) FROM kpi_call_hours h WHERE {where} GROUP BY h.hour"""


COMPANY_SUBJECT = "coalesce(substr(h.subject, 1, 200), '')"  # the company's key of a subject


def _company_sums(on: str, sign: str = "", upsert: bool = False) -> list[str]:
    """The company's rows (every site's summed) of the site rows ``on`` selects, written with
    ``h.`` (migration 0016). ``upsert``: added to the rows there (``sign`` '-' takes them
    away), so a recount moves the company's sums by what changed at the sites it recounts,
    without summing every site's rows of the day again. The review's 'u' rows are read by
    site. A subject is keyed by its first 200 characters, '' for none (a unique key)."""
    entry_cols = ("registered", "returned", "cb_ok")
    on_entry = ("ON CONFLICT (span, bucket, kind, key) DO UPDATE SET " + ", ".join(
        f"{c} = kpi_company_entry_sums.{c} + excluded.{c}" for c in entry_cols)
        if upsert else "")  # fmt: skip
    on_subject = ("ON CONFLICT (span, bucket, category, subject) DO UPDATE SET "
                  "n = kpi_company_subject_sums.n + excluded.n" if upsert else "")  # fmt: skip
    return [
        f"""
INSERT INTO kpi_company_entry_sums (span, bucket, kind, key, registered, returned, cb_ok)
SELECT h.span, h.bucket, h.kind, h.key, {sign}sum(h.registered), {sign}sum(h.returned),
       {sign}sum(h.cb_ok)
FROM kpi_entry_sums h WHERE h.kind <> 'u' AND ({on})
GROUP BY h.span, h.bucket, h.kind, h.key {on_entry}""",
        f"""
INSERT INTO kpi_company_subject_sums (span, bucket, category, subject, n)
SELECT h.span, h.bucket, h.category, {COMPANY_SUBJECT}, {sign}sum(h.n)
FROM kpi_subject_sums h WHERE {on}
GROUP BY h.span, h.bucket, h.category, {COMPANY_SUBJECT} {on_subject}""",
    ]


def rebuild(conn: Connection, grace_s: float, callback_s: float) -> dict[str, int]:
    """Recount every total from the raw rows under these rules (the migration, and
    ``frontdesk ledger rebuild-kpi``); returns the rows written."""
    d = conn.dialect.name
    args = {"grace": float(grace_s), "callback": float(callback_s)}
    # migration 0011 rebuilds before 0014 made the call rollups, and 0016 the company sums
    has = inspect(conn).has_table
    has_rollups, has_company = has("kpi_call_days"), has("kpi_company_entry_sums")
    for table in TABLES[: 9 if has_company else 7 if has_rollups else 5]:
        conn.execute(text(f"DELETE FROM {table}"))
    n_calls = conn.execute(text(_call_sums(d, "1 = 1")), args).rowcount
    if has_rollups:
        rollups(conn)
    n_entries = sum(conn.execute(text(sql), args).rowcount for sql in _entry_sums(d, "1 = 1"))
    n_days = sum(conn.execute(text(sql)).rowcount for sql in _day_sums(d, "1 = 1"))
    if d == "postgresql":  # the planner's statistics for the page's first reads
        conn.execute(text("ANALYZE kpi_call_hours, kpi_entry_sums, kpi_subject_sums"))
    if has_company:
        company_sums(conn)
    conn.execute(text("INSERT INTO kpi_settings (id, rules) VALUES (1, :r)"),
                 {"r": rules_key(grace_s, callback_s)})  # fmt: skip
    return {"call_hours": n_calls, "entry_hours": n_entries, "entry_days": n_days}


def rollups(conn: Connection) -> None:
    """kpi_call_days and kpi_company_hours afresh from kpi_call_hours (rebuild, migration)."""
    conn.execute(text("DELETE FROM kpi_call_days"))
    conn.execute(text("DELETE FROM kpi_company_hours"))
    conn.execute(text(_call_days(conn.dialect.name, "1 = 1")))
    conn.execute(text(_company_hours("1 = 1")))


def company_sums(conn: Connection) -> None:
    """The company's entry and subject sums afresh from the sites' rows (migration 0016)."""
    conn.execute(text("DELETE FROM kpi_company_entry_sums"))
    conn.execute(text("DELETE FROM kpi_company_subject_sums"))
    for sql in _company_sums("1 = 1"):
        conn.execute(text(sql))
    if conn.dialect.name == "postgresql":
        conn.execute(text("ANALYZE kpi_company_entry_sums, kpi_company_subject_sums"))


def stored_rules(conn: Connection) -> str | None:
    return conn.execute(text("SELECT rules FROM kpi_settings WHERE id = 1")).scalar()


def refresh(
    conn: Connection, start: datetime, end: datetime, grace_s: float, callback_s: float,
    sites: Collection[str] | None = None,
) -> int:
    """Recount the dirty buckets in [start, end) (UTC hours) from the raw rows, of ``sites``
    only when given (a site's page need not recount every site's current hour); returns how
    many. The caller commits."""
    d = conn.dialect.name
    if d == "postgresql":  # one recount at a time: two would insert the same totals' keys
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": RECOUNT_LOCK_ID})
    args: dict = {"s": _stored(d, start), "e": _stored(d, end)}
    where = "hour >= :s AND hour < :e"
    if sites is not None:
        if not sites:
            return 0
        args.update({f"site{i}": code for i, code in enumerate(sorted(sites))})
        where += f" AND site IN ({', '.join(f':site{i}' for i in range(len(sites)))})"
    claimed = conn.execute(
        text(f"DELETE FROM kpi_dirty WHERE {where} RETURNING site, hour"), args
    ).all()
    buckets = sorted({(site, _as_dt(h)) for site, h in claimed})
    for i in range(0, len(buckets), BATCH):
        _recount(conn, buckets[i : i + BATCH], grace_s, callback_s)
    return len(buckets)


def refresh_all(conn: Connection, grace_s: float, callback_s: float) -> int | None:
    """Recount every dirty bucket (the reconciler's periodic run keeps pages from meeting
    many); None when the totals were counted under other rules (rebuild-kpi's work)."""
    if stored_rules(conn) != rules_key(grace_s, callback_s):
        return None
    return refresh(conn, datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC),
                   grace_s, callback_s)  # fmt: skip


def _recount(
    conn: Connection, buckets: list[tuple[str, datetime]], grace_s: float, callback_s: float
) -> None:
    """Recount ``buckets`` (site, UTC hour) and their days from the raw rows. The buckets
    are grouped by hour — (time range AND site IN …) OR … — so a live company's current
    hour at every site is one index range, not fifty ORs (which took seconds to plan)."""
    d = conn.dialect.name
    args: dict = {"grace": float(grace_s), "callback": float(callback_s)}

    def groups(keys: list[tuple[str, datetime]], span: timedelta, p: str) -> list[tuple[int, int]]:
        by_time: dict[datetime, list[str]] = {}
        for site, t in keys:
            by_time.setdefault(t, []).append(site)
        out = []
        for k, (t, sites) in enumerate(sorted(by_time.items())):
            args[f"{p}lo{k}"], args[f"{p}hi{k}"] = _stored(d, t), _stored(d, t + span)
            for j, site in enumerate(sorted(set(sites))):
                args[f"{p}s{k}_{j}"] = site
            out.append((k, len(set(sites))))
        return out

    hours = groups(buckets, timedelta(hours=1), "h")
    days = groups(sorted({(site, h.replace(hour=0)) for site, h in buckets}), timedelta(days=1), "d")

    def any_of(col_site: str, col_t: str, gs: list[tuple[int, int]], p: str) -> str:
        return " OR ".join(
            f"({col_t} >= :{p}lo{k} AND {col_t} < :{p}hi{k} AND {col_site} IN "
            f"({', '.join(f':{p}s{k}_{j}' for j in range(n))}))"
            for k, n in gs
        )

    def run(sql: str) -> None:
        conn.execute(text(sql), args)

    run(f"DELETE FROM kpi_call_hours WHERE {any_of('site', 'hour', hours, 'h')}")
    run(_call_sums(d, any_of("c.site", "c.invited_at", hours, "h")))
    # the sums of those hours' rows: each (site, day) row and each company hour is the sum
    # of its kpi_call_hours rows at all times, as these change only here and in rebuild
    run(f"DELETE FROM kpi_call_days WHERE {any_of('site', 'day', days, 'd')}")
    run(_call_days(d, any_of("h.site", "h.hour", days, "d")))
    hour_keys = sorted({t for _, t in buckets})
    day_keys = sorted({t.replace(hour=0) for t in hour_keys})
    for k, t in enumerate(hour_keys):
        args[f"ch{k}"] = _stored(d, t)
    company = f"IN ({', '.join(f':ch{k}' for k in range(len(hour_keys)))})"
    run(f"DELETE FROM kpi_company_hours WHERE hour {company}")
    run(_company_hours(f"h.hour {company}"))
    # the company's sums (0016): for a few sites they move by what changes (the rows about to
    # be recounted taken away here, the recounted ones added at the end; a live desk's hour:
    # 32-56 ms summed afresh -> 22-25 ms at 50 sites x 365 days); for many, the hours' and
    # days' sums are taken afresh from every site's rows (all 50 sites' hour: 220-240 ms,
    # where the two upserts of every row took 290-330)
    delta = len({site for site, _ in buckets}) <= DELTA_SITES
    changed = (f"(h.span = 'h' AND ({any_of('h.site', 'h.bucket', hours, 'h')})) OR "
               f"(h.span = 'd' AND ({any_of('h.site', 'h.bucket', days, 'd')}))")  # fmt: skip
    if delta:
        for sql in _company_sums(changed, sign="-", upsert=True):
            run(sql)
    for table in ("kpi_entry_sums", "kpi_subject_sums"):
        run(f"DELETE FROM {table} WHERE span = 'h' AND ({any_of('site', 'bucket', hours, 'h')})")
    for sql in _entry_sums(d, any_of("e.site", "e.created_at", hours, "h")):
        run(sql)
    for table in ("kpi_entry_sums", "kpi_subject_sums"):
        run(f"DELETE FROM {table} WHERE span = 'd' AND ({any_of('site', 'bucket', days, 'd')})")
    for sql in _day_sums(d, any_of("h.site", "h.bucket", days, "d")):
        run(sql)
    if delta:  # the company's: the new rows added
        for sql in _company_sums(changed, upsert=True):
            run(sql)
        return
    for k, t in enumerate(day_keys):
        args[f"cd{k}"] = _stored(d, t)

    def whole(p: str) -> str:  # the company's rows of those hours and days
        return (f"({p}span = 'h' AND {p}bucket {company}) OR ({p}span = 'd' AND {p}bucket IN "
                f"({', '.join(f':cd{k}' for k in range(len(day_keys)))}))")  # fmt: skip

    for table in ("kpi_company_entry_sums", "kpi_company_subject_sums"):
        run(f"DELETE FROM {table} WHERE {whole('')}")
    for sql in _company_sums(whole("h.")):
        run(sql)


def _stored(dialect: str, t: datetime) -> object:
    """A time as a bound parameter compared with stored ones (SQLite compares text)."""
    if dialect == "sqlite":
        return t.strftime("%Y-%m-%d %H:%M:%S.%f")
    return t


def _as_dt(v: object) -> datetime:
    if isinstance(v, datetime):
        return v.astimezone(UTC) if v.tzinfo else v.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(v)).replace(tzinfo=UTC)


# ---------------------------------------------------------------- triggers (migration 0011)

CALL_COLS = ("site", "invited_at", "outcome", "rings", "recording_path", "ended_at")
ENTRY_COLS = ("site", "created_at", "category", "building", "status", "returned_at",
              "callback_at", "call_id", "registered_at", "public_area", "summary")  # fmt: skip
TRIGGERS = ("kpi_calls", "kpi_entries")


def trigger_ddl(dialect: str) -> list[str]:
    """CREATE statements for the triggers marking buckets dirty."""
    if dialect == "postgresql":
        return _pg_ddl()
    return _sqlite_ddl()


def drop_trigger_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return ["DROP TRIGGER IF EXISTS kpi_calls ON calls",
                "DROP TRIGGER IF EXISTS kpi_calls_upd ON calls",
                "DROP TRIGGER IF EXISTS kpi_entries ON entries",
                "DROP TRIGGER IF EXISTS kpi_entries_upd ON entries",
                "DROP FUNCTION IF EXISTS kpi_mark_call()",
                "DROP FUNCTION IF EXISTS kpi_mark_entry()"]  # fmt: skip
    return [f"DROP TRIGGER IF EXISTS {t}_{op}" for t in TRIGGERS for op in ("ins", "upd", "del")]




def _pg_ddl() -> list[str]:
    h = lambda col: _hour("postgresql", col)  # noqa: E731

    def mark(row: str, col: str) -> str:
        return (f"INSERT INTO kpi_dirty (site, hour) VALUES ({row}.site, {h(row + '.' + col)}) "
                ";")  # fmt: skip

    def mark_call(row: str) -> str:
        return (f"IF {row}.call_id IS NOT NULL THEN INSERT INTO kpi_dirty (site, hour) "
                f"SELECT c.site, {h('c.invited_at')} FROM calls c WHERE c.id = {row}.call_id "
                "; END IF;")  # fmt: skip

    def changed(cols: tuple[str, ...]) -> str:
        return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in cols)

    return [
        f"""CREATE FUNCTION kpi_mark_call() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN {mark("OLD", "invited_at")} END IF;
  IF TG_OP <> 'DELETE' THEN {mark("NEW", "invited_at")} END IF;
  RETURN NULL;
END $$""",
        f"""CREATE FUNCTION kpi_mark_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN {mark("OLD", "created_at")} {mark_call("OLD")} END IF;
  IF TG_OP <> 'DELETE' THEN {mark("NEW", "created_at")} {mark_call("NEW")} END IF;
  RETURN NULL;
END $$""",
        "CREATE TRIGGER kpi_calls AFTER INSERT OR DELETE ON calls "
        "FOR EACH ROW EXECUTE FUNCTION kpi_mark_call()",
        f"CREATE TRIGGER kpi_calls_upd AFTER UPDATE ON calls FOR EACH ROW "
        f"WHEN ({changed(CALL_COLS)}) EXECUTE FUNCTION kpi_mark_call()",
        "CREATE TRIGGER kpi_entries AFTER INSERT OR DELETE ON entries "
        "FOR EACH ROW EXECUTE FUNCTION kpi_mark_entry()",
        f"CREATE TRIGGER kpi_entries_upd AFTER UPDATE ON entries FOR EACH ROW "
        f"WHEN ({changed(ENTRY_COLS)}) EXECUTE FUNCTION kpi_mark_entry()",
    ]


def _sqlite_ddl() -> list[str]:
    h = lambda col: _hour("sqlite", col)  # noqa: E731

    def mark(row: str, col: str) -> str:
        return (f"INSERT INTO kpi_dirty (site, hour) SELECT {row}.site, {h(row + '.' + col)} "
                f"WHERE {h(row + '.' + col)} IS NOT NULL;")  # fmt: skip

    def mark_call(row: str) -> str:
        return (f"INSERT INTO kpi_dirty (site, hour) SELECT c.site, {h('c.invited_at')} "
                f"FROM calls c WHERE c.id = {row}.call_id AND {h('c.invited_at')} IS NOT NULL "
                ";")  # fmt: skip

    def changed(cols: tuple[str, ...]) -> str:
        return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in cols)

    out = []
    for name, table, col, cols, extra in (
        ("kpi_calls", "calls", "invited_at", CALL_COLS, lambda r: ""),
        ("kpi_entries", "entries", "created_at", ENTRY_COLS, mark_call),
    ):
        out.append(f"CREATE TRIGGER {name}_ins AFTER INSERT ON {table} BEGIN "
                   f"{mark('NEW', col)} {extra('NEW')} END")  # fmt: skip
        out.append(f"CREATE TRIGGER {name}_del AFTER DELETE ON {table} BEGIN "
                   f"{mark('OLD', col)} {extra('OLD')} END")  # fmt: skip
        out.append(f"CREATE TRIGGER {name}_upd AFTER UPDATE ON {table} WHEN {changed(cols)} "
                   f"BEGIN {mark('OLD', col)} {extra('OLD')} {mark('NEW', col)} {extra('NEW')} END")  # fmt: skip
    return out
