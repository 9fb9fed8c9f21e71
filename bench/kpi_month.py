"""The KPI page for a month on an existing company ledger (one bench/sites.py built), through
the real console process: one site's supervisor and the company (an admin: every site),
p50/p95/max, the load average beside them; then, in this process, what each query the
page still runs on raw rows costs at company scale (top subjects, the unfinished list,
draft accuracy) and what recounting dirty hours costs after late changes.

    python bench/sites.py --sites 50 --days 31 --server-dir DIR --build-only   # or any ledger sites.py made
    python bench/kpi_month.py --database-url postgresql+psycopg://…/sites_bench
    python bench/kpi_month.py --database-url … --code-root /path/to/older/checkout

``--code-root`` runs the console from another checkout (the page before a change, on the
same data). Without it the ledger is first upgraded to this checkout's head (migration
0011 counts the totals; its time is reported).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TZ = "Asia/Shanghai"


def _console(code_root: Path, data_dir: Path, port: int, log: Path) -> subprocess.Popen:
    from bench.console import wait_for_console

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir), "console",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=open(log, "w"), cwd=code_root, env=env,
    )  # fmt: skip
    return wait_for_console(proc, port, log, 120)


def pages(url: str, code_root: Path, day: date, site: str, requests: int) -> dict:
    import httpx
    from sqlalchemy import create_engine, text

    from bench.console import PASSWORD, free_port, login, time_page

    data_dir = Path(tempfile.mkdtemp(prefix="fd-kpi-month-"))
    (data_dir / "frontdesk.toml").write_text(
        f'[ledger]\ndatabase_url = "{url}"\n\n[console]\ntimezone = "{TZ}"\n', encoding="utf-8"
    )
    # users through the console's own code (its schema), by the CLI of that checkout
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for name, role, sites in (("bench-admin", "admin", []), ("bench-super", "supervisor", [site])):
        engine = create_engine(url)
        with engine.begin() as c:
            exists = c.execute(text("SELECT 1 FROM users WHERE username = :u"), {"u": name}).first()
        engine.dispose()
        if exists:
            continue
        code = (
            "import sys; from ledger.db import open_database; "
            "from frontdesk.console.accounts import add_user; "
            f"s = open_database({url!r})(); "
            f"add_user(s, {name!r}, {role!r}, {PASSWORD!r}, 'Bench'"
            + (f", {sites!r}" if sites else "")
            + "); s.commit()"
        )
        subprocess.run([sys.executable, "-c", code], cwd=code_root, env=env, check=True)
    port = free_port()
    proc = _console(code_root, data_dir, port, data_dir / "console.log")
    out: dict = {}
    try:
        for who, role in (("bench-super", "site"), ("bench-admin", "company")):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as c:
                login(c, who)
                load0 = os.getloadavg()[0]
                r = time_page(c, [f"/kpi?period=month&date={day}"], requests)
                out[f"kpi_month_{role}"] = {**(r or {}), "load": [load0, os.getloadavg()[0]]}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(data_dir, ignore_errors=True)
    return out


def raw_queries(url: str, day: date, n: int) -> dict:
    """The page's queries that still read raw rows, each timed alone for the company."""
    from sqlalchemy import select, text

    from frontdesk.config import load_config
    from frontdesk.console import kpi
    from ledger.db import open_database
    from ledger.draft_accuracy import draft_accuracy

    sessions = open_database(url)
    cfg = load_config(Path(tempfile.mkdtemp()))
    cfg.console.timezone = TZ
    from frontdesk.console.web import Console

    console = Console(cfg, sessions)
    p = kpi.Period.of("month", day)
    start, end = console.midnight(p.start), console.midnight(p.end)
    out: dict = {}

    def timed(name: str, fn) -> None:
        ms = []
        for _ in range(n):
            with sessions() as s:
                s.execute(text("SET LOCAL jit = off"))
                t = time.perf_counter()
                fn(s)
                ms.append((time.perf_counter() - t) * 1000)
        ms.sort()
        out[name] = {"p50_ms": round(ms[len(ms) // 2], 1), "max_ms": round(ms[-1], 1)}

    cutoff = datetime.now(UTC) - timedelta(days=2)
    timed("subjects", lambda s: s.execute(kpi._subjects_query(start, end, None)).all())
    timed("unfinished", lambda s: kpi._oldest_open(s, cutoff, None))
    timed("unfinished_count", lambda s: s.scalar(kpi._unfinished_count(cutoff, None)))
    timed("draft_accuracy", lambda s: draft_accuracy(s, kpi.DRAFT_WINDOW, sites=None))
    del select
    return out


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def page_cpu(url: str, day: date, site: str, n: int) -> dict:
    """The page's handler in this process, company and one site: wall time and CPU time of
    this process plus its database backend (what the machine's load does not change)."""
    from sqlalchemy import text
    from starlette.requests import Request

    from frontdesk.config import load_config
    from frontdesk.console import kpi
    from frontdesk.console.accounts import Principal
    from frontdesk.console.web import Console, Ctx
    from ledger.db import open_database

    sessions = open_database(url)
    cfg = load_config(Path(tempfile.mkdtemp()))
    cfg.ledger.database_url = url
    cfg.console.timezone = TZ
    console = Console(cfg, sessions)
    out = {}
    for role, sites in (("site", frozenset({site})), ("company", None)):
        scope = {"type": "http", "method": "GET", "path": "/kpi", "headers": [],
                 "query_string": f"period=month&date={day}".encode(),
                 "server": ("127.0.0.1", 80), "scheme": "http"}  # fmt: skip
        wall, cpu = [], []
        for i in range(n + 2):
            with sessions() as db:
                backend = db.connection().execute(text("SELECT pg_backend_pid()")).scalar()
                ctx = Ctx(Request(scope), console, Principal(1, "b", "B", "admin", sites), db, "c")
                t, c = time.perf_counter(), _cpu_s(os.getpid()) + _cpu_s(backend)
                kpi.kpi_page(ctx)
                if i >= 2:  # two warm-ups
                    wall.append((time.perf_counter() - t) * 1000)
                    cpu.append((_cpu_s(os.getpid()) + _cpu_s(backend) - c) * 1000)
        wall.sort()
        cpu.sort()
        out[role] = {"n": n, "wall_p50_ms": round(wall[n // 2], 1),
                     "wall_p95_ms": round(wall[min(n - 1, int(0.95 * n))], 1),
                     "cpu_p50_ms": round(cpu[n // 2], 1), "load": os.getloadavg()[0]}  # fmt: skip
    return out


def late_changes(url: str, day: date, n_calls: int) -> dict:
    """Late changes to ``n_calls`` calls of the month and their entries (confirmed, returned,
    called back), then the recount of the buckets they dirtied."""
    from sqlalchemy import text

    from frontdesk.console.kpi import Period
    from ledger import kpi_hours
    from ledger.db import open_database

    sessions = open_database(url)
    p = Period.of("month", day)
    from zoneinfo import ZoneInfo

    start = datetime.combine(p.start, datetime.min.time(), ZoneInfo(TZ)).astimezone(UTC)
    end = datetime.combine(p.end, datetime.min.time(), ZoneInfo(TZ)).astimezone(UTC)
    with sessions() as s:
        ids = s.execute(text("SELECT id FROM calls WHERE invited_at >= :s AND invited_at < :e "
                             "AND recording_path IS NOT NULL ORDER BY id DESC LIMIT :n"),
                        {"s": start, "e": end, "n": n_calls}).scalars().all()  # fmt: skip
        t = time.perf_counter()
        s.execute(text("UPDATE entries SET registered_at = registered_at + interval '1 second', "
                       "returned_at = coalesce(returned_at, registered_at + interval '1 hour') "
                       "WHERE call_id = ANY(:ids)"), {"ids": list(ids)})  # fmt: skip
        s.execute(text("UPDATE calls SET ended_at = ended_at + interval '1 second' "
                       "WHERE id = ANY(:ids)"), {"ids": list(ids)})  # fmt: skip
        s.commit()
        write_s = time.perf_counter() - t
        dirty = s.execute(text("SELECT count(*) FROM kpi_dirty")).scalar()
        t = time.perf_counter()
        n = kpi_hours.refresh(s.connection(), start, end, 60.0, 7200.0)
        s.commit()
        recount_s = time.perf_counter() - t
    return {"calls_changed": len(ids), "write_s": round(write_s, 3), "dirty_hours": dirty,
            "recounted": n, "recount_s": round(recount_s, 3)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True)
    p.add_argument("--date", help="a day of the month to show (default: the ledger's last "
                   "whole month)")  # fmt: skip
    p.add_argument("--site", default="s01")
    p.add_argument("--requests", type=int, default=20)
    p.add_argument("--code-root", type=Path, default=ROOT)
    p.add_argument("--only-in-process", action="store_true", help="skip the console")
    args = p.parse_args(argv)
    from sqlalchemy import create_engine, text

    engine = create_engine(args.database_url)
    with engine.connect() as c:
        last = c.execute(text("SELECT max(invited_at) FROM calls")).scalar()
    engine.dispose()
    day = date.fromisoformat(args.date) if args.date else (last - timedelta(days=15)).date()
    out: dict = {"machine": {"cores": os.cpu_count(), "load_at_start": os.getloadavg()},
                 "code_root": str(args.code_root), "month_of": str(day)}  # fmt: skip
    if args.code_root.resolve() == ROOT:
        from ledger.db import make_engine, upgrade

        engine = make_engine(args.database_url)
        t = time.perf_counter()
        upgrade(engine)
        out["upgrade_s"] = round(time.perf_counter() - t, 1)
        engine.dispose()
    if not args.only_in_process:
        out["console"] = pages(args.database_url, args.code_root, day, args.site, args.requests)
    out["in_process"] = page_cpu(args.database_url, day, args.site, args.requests)
    if args.code_root.resolve() == ROOT:
        out["raw_queries"] = raw_queries(args.database_url, day, 5)
        out["late_changes"] = {n: late_changes(args.database_url, day, n) for n in (50, 2000)}
    out["machine"]["load_at_end"] = os.getloadavg()
    print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
