"""A company on one PostgreSQL ledger: --sites sites × --per-day calls a day for --days days.

Generates the company's calls, ledger entries and the findings a reconciler leaves behind
with server-side SQL (generate_series, INSERT … SELECT; the secondary indexes dropped while
loading and built after), then measures, and prints one JSON document:

- one site's day and one site's month reconciled, each a first run (the generated findings'
  wording is rewritten) and a re-run (the periodic case);
- the central reconciler's run of a company day (every site, site by site), and its peak
  RSS against the number of sites: a day of 1, 10, … sites, each in a fresh process;
- the company KPI page for a month (an admin: every site) and one site's, p50/p95/max;
- the audit list for a site's supervisor and for the company, p50/p95/max;
through the real `frontdesk console` process, as bench/console.py does, each with the CPU a
request took in the console and its database backends, the load average and the core count
beside it (the machine is shared: wall time follows its load, CPU time much less); then
each page's handler in this process, wall and CPU (process and backend) p50/p95.

    python bench/sites.py                               # 50 sites × 800 a day × 365 days
    python bench/sites.py --sites 5 --days 31           # a smaller company: minutes
    python bench/sites.py --database-url postgresql+psycopg://…/empty_db
    python bench/sites.py --sites 50 --days 31 --database-url …/built_db --reuse   # measure again
    python bench/sites.py --sites 50 --days 31 --database-url … --reuse --only-pages
    python bench/sites.py --server-dir /data/pg-year            # build; the cluster kept there
    python bench/sites.py --server-dir /data/pg-year --reuse    # measure it again

Proportions per call: 88 % answered (4 % of them after ring 3), 8 % missed, 2 % busy, 1 %
rejected, 1 % interrupted; an entry for every recorded call but 1 % (unlogged), 3 % of them
registered late; walk-ins are 5 % of entries. Transcripts (with the intake summary the
reconciler caches) exist for the days the bench reconciles. Recordings are not written
(14 M files): the reconciler runs without a recordings root, so it checks rows, not files.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START = datetime(2025, 12, 1, tzinfo=UTC) - timedelta(hours=8)  # 00:00 in Asia/Shanghai
TZ = "Asia/Shanghai"
OPEN_DAYS = 14  # findings of the last 14 days are still open; older ones were resolved


def site_code(i: int) -> str:
    return f"s{i:02d}"


# ---------------------------------------------------------------- generating


CALLS_SQL = """
INSERT INTO calls (id, uuid, sip_call_id, caller, callee, invited_at, answered_at, ended_at,
    rings, answered_by, outcome, cause, codec, recording_path, recording_sha256,
    recording_size, recording_duration_s, recording_channels, recording_sample_rate, source,
    direction, site, created_at)
SELECT g + 1, 'b-' || g, 'b-' || g || '@bench', caller, '8001', inv, ans, ended,
    rings, CASE WHEN ans IS NULL THEN NULL WHEN rings = 3 THEN 'auto' ELSE 'agent' END,
    outcome, CASE WHEN ans IS NULL THEN '487 Request Terminated' ELSE 'caller hung up' END,
    CASE WHEN rec THEN 'PCMU/8000' END,
    CASE WHEN rec THEN to_char(inv AT TIME ZONE 'UTC', 'YYYY/MM/DD') || '/b-' || g || '.wav' END,
    CASE WHEN rec THEN repeat('0', 64) END,
    CASE WHEN rec THEN (talk * 32000)::bigint + 44 END,
    CASE WHEN rec THEN talk END, CASE WHEN rec THEN 2 END, CASE WHEN rec THEN 8000 END,
    'phone', 'in', 's' || lpad((s + 1)::text, 2, '0'), ended
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g
CROSS JOIN LATERAL (
    SELECT g / (CAST(:S AS bigint) * CAST(:P AS bigint)) AS day, (g % (CAST(:S AS bigint) * CAST(:P AS bigint))) / CAST(:S AS bigint) AS k, g % CAST(:S AS bigint) AS s,
           random() AS r1, random() AS r2, random() AS r3, random() AS r4) a
CROSS JOIN LATERAL (
    -- 07:00–22:00 local, in call order; 70 % first-time numbers, 30 % a site's regulars
    SELECT CAST(:start AS timestamptz) + make_interval(days => a.day::int)
               + interval '7 hours' + make_interval(secs => (a.k + a.r4) * 54000.0 / CAST(:P AS bigint)) AS inv,
           CASE WHEN a.r1 < 0.88 THEN 'answered' WHEN a.r1 < 0.96 THEN 'missed'
                WHEN a.r1 < 0.98 THEN 'busy' WHEN a.r1 < 0.99 THEN 'rejected'
                ELSE 'interrupted' END AS outcome,
           CASE WHEN a.r3 < 0.7 THEN '13' || lpad(((g * 2654435761) % 1000000000)::text, 9, '0')
                ELSE '139' || lpad((a.s + 1)::text, 2, '0')
                     || lpad(((g * 40503) % 1000000)::text, 6, '0') END AS caller) b
CROSS JOIN LATERAL (
    SELECT CASE WHEN b.outcome IN ('answered', 'interrupted')
                     THEN CASE WHEN a.r2 < 0.04 THEN 4 ELSE 1 + floor(a.r2 * 3)::int END
                WHEN b.outcome = 'missed' THEN 1 + floor(a.r2 * 3)::int ELSE 0 END AS rings,
           b.outcome IN ('answered', 'interrupted') AS rec,
           round((20 + a.r3 * 200)::numeric, 3)::float8 AS talk) c
CROSS JOIN LATERAL (
    SELECT CASE WHEN c.rec THEN b.inv + make_interval(secs => (c.rings - 1) * 5 + 1 + a.r4) END
           AS ans) d
CROSS JOIN LATERAL (
    SELECT CASE WHEN c.rec THEN d.ans + make_interval(secs => c.talk)
                WHEN b.outcome = 'missed' THEN b.inv + make_interval(secs => c.rings * 5)
                ELSE b.inv + interval '1 second' END AS ended) e
"""

# An entry for each recorded call but 1 % (id % 100 = 37: unlogged), ids equal to the call's;
# 3 % registered late (id % 100 in 11..13).
ENTRIES_SQL = """
INSERT INTO entries (id, call_id, source, status, category, building, unit, room, urgent,
    department, caller_phone, summary, content, confidence, evidence, site, created_at,
    registered_at, registered_by, returned_at, closed_at, callback_at, callback_result,
    updated_at)
SELECT c.id, c.id, '来电', st, cat, (1 + h % 25)::text, (1 + (h / 25) % 4)::text,
    ((1 + (h / 100) % 18) * 100 + 1 + (h / 1800) % 4)::text, false,
    CASE cat WHEN '报修' THEN '工程维修部' WHEN '投诉' THEN '客服部' WHEN '求助' THEN '安管部' END,
    c.caller, summ, summ, '{}', '[]', c.site, reg - interval '5 seconds', reg,
    'agent-' || c.site,
    CASE WHEN cat = '报修' AND st = 'closed' THEN reg + interval '1 hour' END,
    CASE WHEN st = 'closed' THEN reg + interval '3 hours' END,
    CASE WHEN cat = '报修' AND st = 'closed' THEN reg + interval '2 hours' END,
    CASE WHEN cat = '报修' AND st = 'closed' THEN '满意' END, reg
FROM calls c
CROSS JOIN LATERAL (
    SELECT (ARRAY['报修', '报修', '报修', '报修', '投诉', '咨询', '咨询', '咨询', '求助', '建议'])
               [1 + (c.id / 7) % 10] AS cat,
           c.ended_at + CASE WHEN c.id % 100 BETWEEN 11 AND 13
                             THEN make_interval(secs => 90 + c.id % 600)
                             ELSE make_interval(secs => 10 + c.id % 45) END AS reg,
           CASE WHEN c.invited_at >= :open_after
                THEN (ARRAY['registered', 'dispatched', 'returned', 'closed'])[1 + c.id % 4]
                WHEN c.id % 300 = 5 THEN 'dispatched' ELSE 'closed' END AS st) x
CROSS JOIN LATERAL (
    -- a subject of 72 per category (where x what), Zipf-ranked: rank r ~ 72^u, so a few are hot
    SELECT (least(floor(exp(((c.id::bigint * 40503) % 65536) / 65536.0 * ln(72)))::int, 72) - 1)
               * 37 % 72 AS p) z
CROSS JOIN LATERAL (
    SELECT CASE x.cat
        WHEN '报修' THEN (ARRAY['卫生间', '厨房', '阳台', '客厅', '卧室', '楼道'])[1 + z.p % 6]
            || (ARRAY['水管漏水', '灯不亮', '下水道堵了', '墙面渗水', '插座没电', '门锁坏了',
                      '窗户关不上', '天花板掉皮', '马桶堵塞', '水龙头滴水', '暖气不热',
                      '地漏反味'])[1 + z.p / 6]
        WHEN '投诉' THEN (ARRAY['楼上', '隔壁', '楼下', '对门', '楼道里', '小区里'])[1 + z.p % 6]
            || (ARRAY['装修太吵', '乱堆杂物', '狗叫扰民', '噪音太大', '占用车位', '乱扔垃圾',
                      '漏水到我家', '晚上唱歌', '养鸽子', '油烟太大', '私搭乱建',
                      '电动车充电'])[1 + z.p / 6]
        WHEN '咨询' THEN (ARRAY['物业费', '停车费', '水电费', '装修押金', '门禁卡', '快递柜'])
                          [1 + z.p % 6]
            || (ARRAY['怎么交', '多少钱', '能开发票吗', '能退吗', '在哪办', '要带什么',
                      '几点能办', '能线上办吗', '为什么涨了', '怎么查', '能分期吗',
                      '过期了怎么办'])[1 + z.p / 6]
        WHEN '求助' THEN (ARRAY['家里', '车库', '电梯里', '楼道', '门口', '阳台'])[1 + z.p % 6]
            || (ARRAY['钥匙锁在里面', '老人摔倒了', '有人被困', '闻到煤气味', '停电了',
                      '看到陌生人', '孩子找不到了', '有烟味', '跳闸了', '水漫出来了',
                      '车被堵住', '门打不开'])[1 + z.p / 6]
        ELSE (ARRAY['小区', '单元门口', '车库', '花园', '电梯', '大堂'])[1 + z.p % 6]
            || (ARRAY['增加垃圾桶', '多装路灯', '加装监控', '增设座椅', '多些绿化',
                      '装充电桩', '加强保洁', '增加保安巡逻', '设快递点', '装防滑垫',
                      '放宣传栏', '装遮阳棚'])[1 + z.p / 6] END AS summ,
           -- the multiplicative hash's low bits follow the id's (a site's class mod 50): drop them
           ((c.id * 2654435761) % 4294967296) / 256 AS h) y
WHERE c.id BETWEEN :lo AND :hi AND c.recording_path IS NOT NULL AND c.id % 100 <> 37
"""

WALKINS_SQL = """
INSERT INTO entries (id, call_id, source, status, category, building, unit, room, urgent,
    department, caller_phone, summary, content, confidence, evidence, site, created_at,
    registered_at, registered_by, closed_at, updated_at)
SELECT :base + e.id, NULL, '来访', 'closed', '咨询', e.building, e.unit, e.room, false, NULL,
    NULL, '来访咨询物业费', '来访咨询物业费', '{}', '[]', e.site, e.created_at + interval '7 minutes',
    e.registered_at + interval '7 minutes', e.registered_by,
    e.registered_at + interval '1 hour', e.registered_at + interval '7 minutes'
FROM entries e WHERE e.id BETWEEN :lo AND :hi AND e.call_id IS NOT NULL AND e.id % 20 = 3
"""

# What the reconciler leaves behind: the kinds these calls break, keyed as it keys them.
FINDINGS_SQL = """
INSERT INTO findings (key, kind, call_id, entry_id, detail, evidence, status, detected_at,
    resolved_at, resolved_by, note, site)
SELECT f.kind || ':' || f.call_id || ':' || coalesce(f.entry_id::text, '-'), f.kind, f.call_id,
    f.entry_id, f.detail, '{}', CASE WHEN f.at < :open_after THEN 'resolved' ELSE 'open' END,
    f.at, CASE WHEN f.at < :open_after THEN f.at + interval '1 day' END,
    CASE WHEN f.at < :open_after THEN 'super-' || f.site END,
    CASE WHEN f.at < :open_after THEN '已核实，已提醒坐席' END, f.site
FROM (
    SELECT 'UNLOGGED_CALL' AS kind, id AS call_id, NULL::int AS entry_id,
           '未登记来电: ' || caller || ' 没有台账登记' AS detail,
           ended_at + interval '5 minutes' AS at, site
    FROM calls WHERE id BETWEEN :lo AND :hi AND recording_path IS NOT NULL AND id % 100 = 37
    UNION ALL
    SELECT 'SLOW_ANSWER', id, NULL, '超三声接听: 响铃 ' || rings || ' 声才接听',
           invited_at + interval '10 minutes', site
    FROM calls WHERE id BETWEEN :lo AND :hi AND outcome = 'answered' AND rings > 3
    UNION ALL
    SELECT 'MISSED_NO_CALLBACK', id, NULL, '未接来电未回电: ' || caller,
           ended_at + interval '2 hours 10 minutes', site
    FROM calls WHERE id BETWEEN :lo AND :hi AND outcome = 'missed'
    UNION ALL
    SELECT 'LATE_REGISTRATION', id, id, '登记超时: 挂机后才登记',
           ended_at + interval '20 minutes', site
    FROM calls WHERE id BETWEEN :lo AND :hi AND recording_path IS NOT NULL
         AND id % 100 BETWEEN 11 AND 13
) f
"""

# Transcripts carrying the intake summary the reconciler caches, agreeing with the entry.
TRANSCRIPTS_SQL = """
INSERT INTO transcripts (call_id, engine, model, language, duration_s, data, text, created_at)
SELECT c.id, 'whisper', 'whisper-base', 'zh', c.recording_duration_s,
    json_build_object(
        'utterances', json_build_array(json_build_object(
            'speaker', 'caller', 'start', 0.5, 'end', 4.0, 'text', e.summary, 'words',
            json_build_array(), 'confidence', 0.8)),
        'engine', 'whisper', 'model', 'whisper-base', 'language', 'zh',
        'duration_s', c.recording_duration_s,
        'intake', json_build_object(
            'v', :v, 'address', e.building || '-' || e.unit || '-' || e.room,
            'building', e.building, 'unit', e.unit, 'room', e.room, 'category', e.category,
            'category_conf', 0.9, 'phone', NULL, 'urgent', false, 'urgent_conf', 0.9)),
    e.summary, c.ended_at
FROM calls c JOIN entries e ON e.call_id = c.id
WHERE c.site = ANY(:sites) AND c.invited_at >= :since AND c.invited_at < :until
  AND NOT EXISTS (SELECT 1 FROM transcripts t WHERE t.call_id = c.id)
"""


def build(engine, sites: int, days: int, per_day: int, log) -> dict:
    """Fill an empty ledger (schema at head); returns row counts and seconds."""
    from sqlalchemy import text

    from domain.rules import Rules
    from ledger import finding_counts, kpi_hours
    from ledger.reconcile import INTAKE_CACHE_VERSION

    t0 = time.perf_counter()
    total = sites * days * per_day
    open_after = START + timedelta(days=days - OPEN_DAYS)
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.42)"))
        conn.execute(
            text("INSERT INTO sites (code, name, created_at) SELECT 's' || lpad(i::text, 2, '0'), "
                 "'小区' || i, now() FROM generate_series(1, :n) i ON CONFLICT DO NOTHING"),
            {"n": sites},
        )  # fmt: skip
        dropped = _drop_secondary_indexes(conn, ("calls", "entries", "findings", "transcripts"))
        # the KPI totals' triggers (migration 0011) would mark every hour dirty row by row,
        # the findings' counts' (0013) leave a mark per statement: off while loading, the
        # totals and the counts counted once at the end
        for table in ("calls", "entries", "findings"):
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        # nor autovacuum's passes over the growing tables (a year: a dozen heap scans each);
        # the VACUUM ANALYZE at the end does it once
        for table in ("calls", "entries", "findings", "transcripts"):
            conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))
    step = sites * per_day * 10  # ten days of the company per statement
    for lo in range(0, total, step):
        hi = min(total, lo + step) - 1
        with engine.begin() as conn:
            conn.execute(text(CALLS_SQL), {"lo": lo, "hi": hi, "S": sites, "P": per_day,
                                           "start": START})  # fmt: skip
            args = {"lo": lo + 1, "hi": hi + 1, "open_after": open_after}
            conn.execute(text(ENTRIES_SQL), args)
            conn.execute(text(WALKINS_SQL), {**args, "base": total})
            conn.execute(text(FINDINGS_SQL), args)
        s = time.perf_counter() - t0
        rate = (hi + 1) / s
        log(f"generated day {(hi + 1) // (sites * per_day)} of {days}: {hi + 1:,} of {total:,} "
            f"calls, {rate:,.0f} calls/s, {s:.0f} s, ETA rows {(total - hi - 1) / rate:.0f} s "
            f"(load {os.getloadavg()[0]:.1f})")  # fmt: skip
    t_rows = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))  # sorts in memory
        for ddl in dropped:
            t = time.perf_counter()
            conn.execute(text(ddl))
            log(f"  {ddl[:60]}… {time.perf_counter() - t:.0f} s")
        for table in ("calls", "entries", "findings", "transcripts"):
            conn.execute(text(f"ALTER TABLE {table} RESET (autovacuum_enabled)"))
        for table in ("calls", "entries", "findings"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT coalesce(max(id), 1) FROM {table}))"))  # fmt: skip
    log(f"indexes built ({time.perf_counter() - t0:.0f} s)")
    t_kpi = time.perf_counter()
    with engine.begin() as conn:
        for table in ("calls", "entries", "findings"):
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        conn.execute(text("ANALYZE calls, entries"))
        kpi_rows = kpi_hours.rebuild(conn, Rules().registration_grace_s, Rules().callback_s)
        finding_counts.rebuild(conn)
    log(f"KPI totals counted ({time.perf_counter() - t_kpi:.0f} s)")
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        log(f"vacuumed ({time.perf_counter() - t0:.0f} s)")
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("calls", "entries", "findings")}  # fmt: skip
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    counts.update(rows_s=round(t_rows, 1), build_s=round(time.perf_counter() - t0, 1),
                  database_gb=round(size / 2**30, 2), intake_cache=INTAKE_CACHE_VERSION,
                  kpi_totals={**kpi_rows, "s": round(time.perf_counter() - t_kpi, 1)})  # fmt: skip
    return counts


def existing(engine) -> dict:
    """Row counts of a ledger already built (--reuse)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("calls", "entries", "findings", "transcripts")}  # fmt: skip


def add_transcripts(engine, sites: list[str], since: datetime, until: datetime) -> int:
    from sqlalchemy import text

    from ledger.reconcile import INTAKE_CACHE_VERSION

    with engine.begin() as conn:
        n = conn.execute(text(TRANSCRIPTS_SQL), {"v": INTAKE_CACHE_VERSION, "sites": sites,
                                                 "since": since, "until": until}).rowcount  # fmt: skip
        conn.execute(text("ANALYZE transcripts"))
    return n


def _drop_secondary_indexes(conn, tables) -> list[str]:
    """Drop the plain (non-unique) indexes of ``tables``; returns the DDL that builds them."""
    from sqlalchemy import text

    rows = conn.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
        "JOIN pg_index x ON x.indexrelid = c.oid WHERE i.tablename = ANY(:t) AND NOT x.indisunique"
    ), {"t": list(tables)}).all()  # fmt: skip
    for name, _ in rows:
        conn.execute(text(f'DROP INDEX "{name}"'))
    return [ddl for _, ddl in rows]


# ---------------------------------------------------------------- measuring


def reconcile_sites(url: str, sites: list[str] | None, since: datetime, until: datetime) -> dict:
    """Reconcile [since, until): each of ``sites`` in turn (``rules.site``), or the whole
    company in one run (None: the central reconciler's run of every site). Seconds, calls,
    findings in scope, and this process's peak RSS."""
    from frontdesk.reading import reader_for
    from ledger.db import open_database
    from ledger.reconcile import Rules, run

    sessions = open_database(url)
    reader = reader_for(Path(tempfile.gettempdir()) / "no-models")  # imported before timing
    out = {"s": 0.0, "cpu_s": 0.0, "calls": 0, "findings": 0}
    for code in sites if sites is not None else [None]:
        rules = Rules(reader=reader)
        if code is not None:
            rules.site = code
        with sessions() as s:
            backend = s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            t, cpu = time.perf_counter(), _cpu_s(os.getpid()) + _cpu_s(backend)
            r = run(s, since=since, until=until, rules=rules, now=until + timedelta(days=2))
            s.commit()
            # the reconciler's and its database session's CPU: what the load does not change
            out["cpu_s"] += _cpu_s(os.getpid()) + _cpu_s(backend) - cpu
        out["s"] += time.perf_counter() - t
        out["calls"] += r.calls
        out["findings"] += len(r.ids)
    out["s"], out["cpu_s"] = round(out["s"], 3), round(out["cpu_s"], 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process on this machine (the private server's
    backend too: the bench and the database share the host)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reconcile_in_child(url: str, sites: list[str] | None, since: datetime, until: datetime) -> dict:
    """The same, in a fresh process: its peak RSS is the reconciler's alone."""
    codes = "*" if sites is None else ",".join(sites)
    argv = [sys.executable, __file__, "--child-reconcile", url, "--child-sites", codes,
            "--child-since", since.isoformat(), "--child-until", until.isoformat()]  # fmt: skip
    proc = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(proc.stdout)


APP = "fd-sites-bench-console"  # the console's backends, found by application_name


def console_pages(url: str, sites: list[str], month: datetime, requests: int) -> dict:
    """KPI and audit pages through the real console process, as a site's supervisor and as
    the company (an admin sees every site): wall p50/p95 per page and the CPU per request of
    the console process and its database backends (what the machine's load does not
    change), with the load average and core count beside them; then each page's handler in
    this process (:func:`handler_times`)."""
    import httpx

    from bench.console import PASSWORD, free_port, login, start_console, time_page
    from frontdesk.console.accounts import add_user
    from ledger.db import open_database

    data_dir = Path(tempfile.mkdtemp(prefix="fd-sites-console-"))
    sep = "&" if "?" in url else "?"
    (data_dir / "frontdesk.toml").write_text(
        f'[ledger]\ndatabase_url = "{url}{sep}application_name={APP}"\n\n'
        f'[console]\ntimezone = "{TZ}"\n', encoding="utf-8"
    )  # fmt: skip
    from sqlalchemy import select, text

    from ledger.models import User

    sessions = open_database(url)
    with sessions() as s:
        have = set(s.scalars(select(User.username).where(User.username.like("bench-%"))))
        if "bench-admin" not in have:  # --reuse: made by an earlier run
            add_user(s, "bench-admin", "admin", PASSWORD, "Bench")
        if "bench-super" not in have:
            add_user(s, "bench-super", "supervisor", PASSWORD, "Site supervisor", [sites[0]])
        s.commit()

    def console_cpu(pid: int) -> float:
        with sessions() as s:
            backends = s.scalars(text("SELECT pid FROM pg_stat_activity WHERE application_name "
                                      "= :a"), {"a": APP}).all()  # fmt: skip
        return _cpu_ns(pid) + sum(_cpu_ns(b) for b in backends)

    port = free_port()
    proc = start_console(data_dir, port, data_dir / "console.log")
    day = month.astimezone().date().isoformat()
    out: dict = {}
    pages = {"kpi_month": [f"/kpi?period=month&date={day}"],
             "audit_list": ["/audit", "/audit?status=all"]}  # fmt: skip
    try:
        for who in ("bench-super", "bench-admin"):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as c:
                login(c, who)
                role = "site" if who == "bench-super" else "company"
                for name, paths in pages.items():
                    time_page(c, paths, 3)  # the pool's connections made, pages warm
                    load, cpu = os.getloadavg()[0], console_cpu(proc.pid)
                    r = time_page(c, paths, requests)
                    assert r is not None
                    cpu = (console_cpu(proc.pid) - cpu) / 1e6 / requests
                    out[f"{name}_{role}"] = {
                        **r, "cpu_ms_per_request": round(cpu, 1),
                        "load_1m": [round(load, 2), round(os.getloadavg()[0], 2)],
                        "cores": os.cpu_count()}  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(data_dir, ignore_errors=True)
    out["handlers"] = handler_times(url, sites[0], month, requests)
    return out


def handler_times(url: str, site: str, month: datetime, n: int) -> dict:
    """Each page's handler in this process, for one site and for the company: wall p50/p95
    and CPU p50/p95 of this process plus its database backend (``/proc/…/schedstat``: ns)."""
    from sqlalchemy import text
    from starlette.requests import Request

    from frontdesk.config import load_config
    from frontdesk.console import audit, kpi
    from frontdesk.console.accounts import Principal
    from frontdesk.console.web import Console, Ctx
    from ledger.db import open_database

    sessions = open_database(url)
    cfg = load_config(Path(tempfile.mkdtemp(prefix="fd-sites-handler-")))
    cfg.ledger.database_url = url
    cfg.console.timezone = TZ
    console = Console(cfg, sessions)
    day = month.astimezone().date().isoformat()
    pages = {"kpi_month": ("/kpi", [f"period=month&date={day}"], kpi.kpi_page),
             "audit_list": ("/audit", ["", "status=all"], audit.audit_list)}  # fmt: skip
    out = {}
    for name, (path, queries, handler) in pages.items():
        for role, sites in (("site", frozenset({site})), ("company", None)):
            who = Principal(1, "bench", "Bench", "admin" if sites is None else "supervisor", sites)
            wall, cpu = [], []
            for i in range(n + 2):
                scope = {"type": "http", "method": "GET", "path": path, "headers": [],
                         "query_string": queries[i % len(queries)].encode(),
                         "server": ("127.0.0.1", 80), "scheme": "http"}  # fmt: skip
                with sessions() as db:
                    backend = db.connection().execute(text("SELECT pg_backend_pid()")).scalar()
                    t, c = time.perf_counter(), _cpu_ns(os.getpid()) + _cpu_ns(backend)
                    handler(Ctx(Request(scope), console, who, db, "c"))
                    db.commit()
                    if i >= 2:  # two warm-ups
                        wall.append((time.perf_counter() - t) * 1000)
                        cpu.append((_cpu_ns(os.getpid()) + _cpu_ns(backend) - c) / 1e6)
            out[f"{name}_{role}"] = {"n": n, **_p(wall, "wall"), **_p(cpu, "cpu"),
                                     "load_1m": round(os.getloadavg()[0], 2)}  # fmt: skip
    return out


def _p(ms: list[float], name: str) -> dict:
    ms = sorted(ms)
    return {f"{name}_p50_ms": round(ms[len(ms) // 2], 1),
            f"{name}_p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1)}  # fmt: skip


def _cpu_ns(pid: int) -> int:
    """Nanoseconds a process's threads have run on a CPU (/proc/PID/task/*/schedstat; not
    /proc/PID/stat's 10 ms ticks, which a 20 ms request cannot be measured by)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that ended meanwhile
    return total


def bench(args, log) -> dict:
    from ledger.db import open_database

    server = None
    url = args.database_url
    if url is None and args.server_dir:
        server, url = kept_server(Path(args.server_dir), args.reuse)
        log(f"server in {args.server_dir}: {url}")
    elif url is None:
        from tests.ledger.pg import start_server

        server = start_server()
        url = server.create_database("sites_bench")
    try:
        engine = open_database(url).kw["bind"]
        codes = [site_code(i + 1) for i in range(args.sites)]
        # the last whole month, and a day in its middle
        month_end = START + timedelta(days=args.days)
        month_start = max(START, month_end - timedelta(days=30))
        day = month_start + timedelta(days=min(15, (month_end - month_start).days // 2))
        one = codes[0]
        if args.reuse:  # a ledger an earlier run built with the same --sites/--days/--per-day
            info = existing(engine)
        else:
            info = build(engine, args.sites, args.days, args.per_day, log)
            info["transcripts"] = add_transcripts(engine, [one], month_start, month_end)
            info["transcripts"] += add_transcripts(engine, codes, day, day + timedelta(days=1))
        out = {"machine": {"cores": os.cpu_count(), "load_at_start": os.getloadavg()[0]},
               "size": {"sites": args.sites, "days": args.days, "per_day": args.per_day},
               "data": info}  # fmt: skip
        if args.build_only:
            return out
        if args.only_pages:
            out["console"] = console_pages(url, codes, day, args.requests)
            out["machine"]["load_at_end"] = os.getloadavg()[0]
            return out
        first = reconcile_in_child(url, [one], day, day + timedelta(days=1))
        again = reconcile_in_child(url, [one], day, day + timedelta(days=1))
        month = reconcile_in_child(url, [one], month_start, month_end)
        month_again = reconcile_in_child(url, [one], month_start, month_end)
        out["reconcile"] = {"site_day_first": first, "site_day_again": again,
                            "site_month_first": month, "site_month_again": month_again}  # fmt: skip
        log(f"reconcile: site-day {first['s']} s, site-month {month['s']} s, "
            f"again {month_again['s']} s")
        # the central reconciler: a day of every site in one run (site by site inside)
        out["reconcile"]["company_day"] = reconcile_in_child(url, None, day,
                                                             day + timedelta(days=1))  # fmt: skip
        memory = {}
        for n in sorted({1, min(10, args.sites), args.sites}):
            memory[str(n)] = reconcile_in_child(url, codes[:n], day, day + timedelta(days=1))
            log(f"reconciler, a day of {n} sites: {memory[str(n)]}")
        out["reconciler_memory_by_sites"] = memory
        out["console"] = console_pages(url, codes, day, args.requests)
        out["machine"]["load_at_end"] = os.getloadavg()[0]
        return out
    finally:
        # (no --keep: a started server's watcher deletes its cluster once this process ends;
        # --server-dir keeps one)
        if server is not None and args.server_dir:
            server._run(str(server.bindir / "pg_ctl"), "-D", str(server.datadir), "-m", "fast",
                        "-w", "stop", check=False)  # stopped, kept  # fmt: skip
        elif server is not None:
            server.stop()


def kept_server(root: Path, reuse: bool):
    """A private server whose cluster lives in ``root`` and stays there (--server-dir):
    made by the first run, started again by a --reuse run, stopped but not deleted at the
    end (a year takes an hour to build). Returns the server and its database's URL."""
    import pwd

    from tests.ledger.pg import PostgresServer, _free_port, find_bindir

    user = "postgres" if os.geteuid() == 0 else None  # initdb refuses root
    made = not (root / "data" / "PG_VERSION").exists()
    if made and reuse:
        raise SystemExit(f"--reuse: no cluster in {root}")
    (root / "sock").mkdir(parents=True, exist_ok=True)
    if user:
        pw = pwd.getpwnam(user)
        for d in (root, root / "sock"):
            os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(root, 0o700)
    server = PostgresServer(find_bindir(), root, _free_port(), user)
    server.start()
    if made:
        return server, server.create_database("sites_bench")
    return server, server.url("sites_bench")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sites", type=int, default=50)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--per-day", type=int, default=800, help="calls a day per site")
    p.add_argument("--requests", type=int, default=60, help="requests per console page")
    p.add_argument("--database-url", help="an empty PostgreSQL database (default: a private "
                   "server, started and deleted by the bench)")  # fmt: skip
    p.add_argument("--server-dir", help="the private server's cluster in this directory, "
                   "kept (stopped) after the run; with --reuse, measure the ledger it holds")  # fmt: skip
    p.add_argument("--reuse", action="store_true", help="measure the ledger at --database-url "
                   "(or in --server-dir) as an earlier run built it, without building")  # fmt: skip
    p.add_argument("--only-pages", action="store_true", help="with --reuse: time the KPI "
                   "and audit pages only, not the reconciler")  # fmt: skip
    p.add_argument("--build-only", action="store_true", help="build the ledger, measure "
                   "nothing (then --reuse, e.g. with the server at another priority)")  # fmt: skip
    p.add_argument("--child-reconcile", help=argparse.SUPPRESS)
    p.add_argument("--child-sites", help=argparse.SUPPRESS)
    p.add_argument("--child-since", help=argparse.SUPPRESS)
    p.add_argument("--child-until", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_reconcile:
        codes = None if args.child_sites == "*" else args.child_sites.split(",")
        r = reconcile_sites(args.child_reconcile, codes,
                            datetime.fromisoformat(args.child_since),
                            datetime.fromisoformat(args.child_until))  # fmt: skip
        print(json.dumps(r))
        return 0

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    print(json.dumps(bench(args, log), ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
