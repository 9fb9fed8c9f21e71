"""Console latency with a big ledger: list, audit and KPI pages, and replay start.

Builds a data directory with --calls calls (default 1,000,000) and the entries and findings
a front desk would have beside them (bulk Core inserts, a few minutes), starts the real
`frontdesk console` process on it, logs in, and times many sequential requests per page
(httpx, keep-alive). Prints one JSON document: p50/p95/max per page, replay start (time to
the first byte of /calls/{id} + the first 64 KB Range of its recording), the console's CPU
time and the machine's load while measuring. Pages that do not exist (404) are skipped.

  python bench/console.py                      # 1,000,000 calls, 200 requests per page
  python bench/console.py --calls 50000 --requests 50
  python bench/console.py --data-dir /tmp/fd-bench   # built once, reused by later runs
  python bench/console.py --reconcile                # also time "Re-run reconcile" (writes)

Proportions (per call): 88 % answered (4 % of them after ring 3), 8 % missed, 2 % busy,
1 % rejected, 1 % interrupted; one entry per recorded call except ~1 % never registered,
plus walk-ins (5 %); findings for every breach (~12 % of calls), resolved by a supervisor
except those of the last 14 days. Transcripts exist for the last 30 days' calls (they do not
change a list's cost and would make the file several GB); 20 recent calls have real WAVs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-1"
CHUNK = 20_000
CATEGORIES = ["报修"] * 45 + ["投诉"] * 15 + ["咨询"] * 30 + ["求助"] * 6 + ["建议"] * 4
SUBJECTS = {
    "报修": [("楼道灯", "楼道灯不亮了"), ("电梯", "电梯按钮失灵"), (None, "卫生间水管漏水"),
             (None, "家里停电了"), ("车库", "车库道闸坏了"), (None, "厨房下水道堵了")],
    "投诉": [(None, "楼上装修太吵"), ("大堂", "大堂卫生差"), (None, "邻居占用消防通道"),
             ("车库", "车库乱停车"), (None, "楼道灯报修多次未修")],
    "咨询": [(None, "物业费怎么交"), (None, "快递放哪里"), (None, "停水通知")],
    "求助": [(None, "钥匙锁在家里"), ("电梯", "电梯困人")],
    "建议": [(None, "小区增加垃圾桶"), ("大堂", "大堂加装座椅")],
}  # fmt: skip
DEPARTMENT = {"报修": "工程维修部", "投诉": "客服部", "求助": "安管部", "咨询": None, "建议": None}
HOURS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 13, 10, 11, 13, 14, 13, 11, 9, 8, 6, 4, 3, 2]


def _local_hour_weights() -> list[float]:
    """Daytime-heavy calls in local time, as UTC hours (the ledger stores UTC)."""
    off = int((datetime.now().astimezone().utcoffset() or timedelta(0)).total_seconds() // 3600)
    return [HOURS[(h + off) % 24] for h in range(24)]


def build(data_dir: Path, n_calls: int, per_day: int, seed: int = 7) -> dict:
    """Fill a fresh data directory; returns counts and the ids the timing needs."""
    from sqlalchemy import insert

    from frontdesk.config import load_config
    from frontdesk.console.accounts import add_user
    from ledger.db import open_database
    from ledger.models import Call, Finding, LedgerEntry, Transcript

    rng = random.Random(seed)
    cfg = load_config(data_dir)
    sessions = open_database(cfg.database_url)
    with sessions() as s:
        add_user(s, "bench-admin", "admin", PASSWORD, "Bench")
        s.commit()
    engine = sessions.kw["bind"]
    now = datetime.now(UTC).replace(microsecond=0)
    days = max(1, n_calls // per_day)
    start = now - timedelta(days=days)
    weights = _local_hour_weights()
    open_after = now - timedelta(days=14)
    transcripts_after = now - timedelta(days=30)
    counts = {"calls": 0, "entries": 0, "findings": 0, "transcripts": 0}
    entry_id = finding_id = 0
    t0 = time.perf_counter()

    # times in order: per day, a share of the calls at weighted hours
    def times():
        made = 0
        for d in range(days + 1):
            k = n_calls // days if d < days else n_calls - made
            k = min(k, n_calls - made)
            day = start + timedelta(days=d)
            ts = sorted(
                day.replace(hour=0, minute=0, second=0)
                + timedelta(hours=rng.choices(range(24), weights)[0], seconds=rng.random() * 3600)
                for _ in range(k)
            )
            for t in ts:
                if t < now - timedelta(minutes=5):
                    made += 1
                    yield t
            if made >= n_calls:
                return
        while made < n_calls:  # what the last day could not hold, in the last hours
            made += 1
            yield now - timedelta(minutes=5 + rng.random() * 600)

    calls, entries, findings, transcripts = [], [], [], []

    def flush(conn) -> None:
        for table, rows in ((Call, calls), (LedgerEntry, entries), (Finding, findings),
                            (Transcript, transcripts)):  # fmt: skip
            if rows:
                conn.execute(insert(table.__table__), rows)
                rows.clear()

    def finding(kind, call_id, eid, detail, at, evidence=None):
        nonlocal finding_id
        finding_id += 1
        resolved = at < open_after
        findings.append({
            "id": finding_id, "key": f"{kind}:{call_id or '-'}:{eid or '-'}", "kind": kind,
            "call_id": call_id, "entry_id": eid, "detail": detail, "evidence": evidence or {},
            "status": "resolved" if resolved else "open", "detected_at": at,
            "resolved_at": at + timedelta(days=1) if resolved else None,
            "resolved_by": "super1" if resolved else None,
            "note": "已核实，已提醒坐席" if resolved else None,
        })  # fmt: skip

    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        for i, invited in enumerate(times(), start=1):
            r = rng.random()
            outcome = ("answered" if r < 0.88 else "missed" if r < 0.96 else "busy" if r < 0.98
                       else "rejected" if r < 0.99 else "interrupted")  # fmt: skip
            number = f"13{rng.randrange(10**9):09d}" if rng.random() < 0.7 else \
                f"1390000{rng.randrange(4000):04d}"  # fmt: skip
            rings = 0
            answered_at = ended_at = None
            path = None
            if outcome in ("answered", "interrupted"):
                rings = 4 if rng.random() < 0.04 else rng.choice((1, 1, 2, 2, 2, 3))
                answered_at = invited + timedelta(seconds=(rings - 1) * 5 + 1 + rng.random())
                ended_at = answered_at + timedelta(seconds=20 + rng.random() * 200)
                path = f"{invited:%Y/%m/%d}/bench-{i}.wav"
            elif outcome == "missed":
                rings = rng.choice((1, 2, 2, 3, 3))
                ended_at = invited + timedelta(seconds=rings * 5)
            else:
                ended_at = invited + timedelta(seconds=1)
            talk = (ended_at - answered_at).total_seconds() if answered_at else None
            calls.append({
                "id": i, "uuid": f"bench-{i}", "sip_call_id": f"bench-{i}@127.0.0.1",
                "caller": number, "caller_name": None, "callee": "8001", "invited_at": invited,
                "answered_at": answered_at, "ended_at": ended_at, "rings": rings,
                "answered_by": ("auto" if rings == 3 else "agent") if answered_at else None,
                "outcome": outcome,
                "cause": "caller hung up" if answered_at else "487 Request Terminated",
                "codec": "PCMU/8000" if answered_at else None, "recording_path": path,
                "recording_sha256": "0" * 64 if path else None,
                "recording_size": int(talk * 32000) + 44 if path else None,
                "recording_duration_s": talk, "recording_channels": 2 if path else None,
                "recording_sample_rate": 8000 if path else None, "source": "phone",
                "created_at": ended_at,
            })  # fmt: skip
            if path and invited >= transcripts_after:
                transcripts.append({
                    "call_id": i, "engine": "whisper", "model": "whisper-base", "language": "zh",
                    "duration_s": talk, "text": "您好，物业客服中心，我家水管漏水",
                    "data": {"utterances": [
                        {"speaker": "agent", "start": 0.0, "end": 4.0, "text": "您好，物业客服中心",
                         "words": [], "confidence": 0.9},
                        {"speaker": "caller", "start": 4.5, "end": 9.0, "text": "我家水管漏水",
                         "words": [], "confidence": 0.8}], "engine": "whisper",
                        "model": "whisper-base", "language": "zh", "duration_s": talk},
                    "created_at": ended_at,
                })  # fmt: skip
            if rings > 3 and outcome == "answered":
                finding("SLOW_ANSWER", i, None, f"answered at ring {rings} (rule: within 3)",
                        invited + timedelta(minutes=10), {"rings": rings})  # fmt: skip
            if outcome == "missed" and rng.random() < 0.5:
                finding("MISSED_NO_CALLBACK", i, None,
                        f"missed call from {number} ({rings} rings) never returned",
                        invited + timedelta(hours=2, minutes=10), {"rings": rings})  # fmt: skip
            if path:
                if rng.random() < 0.01:
                    finding("UNLOGGED_CALL", i, None,
                            f"recorded call from {number} at {invited.isoformat()} has no registered ledger entry",
                            ended_at + timedelta(minutes=5))  # fmt: skip
                    continue
                entry_id += 1
                cat = rng.choice(CATEGORIES)
                area, summary = rng.choice(SUBJECTS[cat])
                late = rng.random() < 0.03
                registered = ended_at + timedelta(seconds=(90 + rng.random() * 600) if late
                                                  else 10 + rng.random() * 45)  # fmt: skip
                recent = invited >= open_after
                status = (rng.choice(["registered", "dispatched", "in_progress", "returned",
                                      "called_back", "closed", "closed"]) if recent
                          else ("dispatched" if rng.random() < 0.003 else "closed"))  # fmt: skip
                returned = registered + timedelta(minutes=30 + rng.random() * 90) \
                    if cat == "报修" and status in ("returned", "called_back", "closed") else None  # fmt: skip
                callback = returned + timedelta(minutes=rng.random() * 150) \
                    if returned and status in ("called_back", "closed") else None  # fmt: skip
                entries.append({
                    "id": entry_id, "call_id": i, "source": "来电", "status": status,
                    "category": cat, "building": None if area else str(rng.randint(1, 20)),
                    "unit": None if area else str(rng.randint(1, 4)),
                    "room": None if area else f"{rng.randint(1, 30)}0{rng.randint(1, 4)}",
                    "public_area": area, "urgent": summary in ("电梯困人", "家里停电了"),
                    "department": DEPARTMENT[cat], "caller_name": None, "caller_phone": number,
                    "summary": summary, "content": summary, "confidence": {}, "evidence": [],
                    "created_at": ended_at + timedelta(seconds=5), "registered_at": registered,
                    "registered_by": "agent1", "dispatched_at": None, "returned_at": returned,
                    "closed_at": callback if status == "closed" else None,
                    "callback_at": callback, "callback_result": "满意" if callback else None,
                    "updated_at": registered,
                })  # fmt: skip
                if late:
                    finding("LATE_REGISTRATION", i, entry_id,
                            f"registered {(registered - ended_at).total_seconds():.0f}s after hangup (limit 60s)",
                            registered + timedelta(minutes=5))  # fmt: skip
                if callback and (callback - returned).total_seconds() > 7200:
                    finding("CALLBACK_OVERDUE", i, entry_id,
                            f"repair returned at {returned.isoformat()} not called back within 2 hours",
                            returned + timedelta(hours=2, minutes=5))  # fmt: skip
                if rng.random() < 0.05:  # a walk-in (来访) beside the calls
                    entry_id += 1
                    entries.append({**entries[-1], "id": entry_id, "call_id": None,
                                    "source": "来访", "caller_phone": None})  # fmt: skip
            if len(calls) >= CHUNK:
                counts["calls"] += len(calls)
                counts["entries"] += len(entries)
                counts["findings"] += len(findings)
                counts["transcripts"] += len(transcripts)
                flush(conn)
        counts["calls"] += len(calls)
        counts["entries"] += len(entries)
        counts["findings"] += len(findings)
        counts["transcripts"] += len(transcripts)
        flush(conn)
    counts["build_s"] = round(time.perf_counter() - t0, 1)
    counts["recordings"] = _real_recordings(data_dir, sessions, now)
    return counts


def _real_recordings(data_dir: Path, sessions, now: datetime, n: int = 20) -> list[int]:
    """Give the n most recent answered calls a real 60 s stereo WAV (SHA-256 in the row)."""
    import numpy as np
    import soundfile as sf
    from sqlalchemy import select

    from frontdesk.config import load_config
    from ledger.models import Call
    from recordings.archive import Archive

    archive = Archive(load_config(data_dir).recordings_dir)
    t = np.arange(8000 * 60) / 8000
    audio = (np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 300 * t)], axis=1)
             * 3000).astype(np.int16)  # fmt: skip
    ids = []
    with sessions() as s:
        for call in s.scalars(select(Call).where(Call.outcome == "answered")
                              .order_by(Call.id.desc()).limit(n)):  # fmt: skip
            dest = archive.final_path(call.uuid, call.invited_at)
            dest.parent.mkdir(parents=True, exist_ok=True)
            sf.write(str(dest), audio, 8000, subtype="PCM_16")
            info = archive.describe(dest)
            call.recording_path, call.recording_sha256 = info.path, info.sha256
            call.recording_size, call.recording_duration_s = info.size, info.duration_s
            ids.append(call.id)
        s.commit()
    return ids


# ---- timing ----


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_console(data_dir: Path, port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir), "console",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=open(log, "w"), cwd=ROOT,
    )  # fmt: skip
    return wait_for_console(proc, port, log, 60)


def wait_for_console(
    proc: subprocess.Popen, port: int, log: Path, timeout_s: float
) -> subprocess.Popen:
    """``proc`` once its port accepts connections; its log in the error if it died first."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("console did not start:\n" + log.read_text()) from None
            time.sleep(0.2)


def login(client, username: str) -> None:
    """As a browser does; the Secure session cookie is kept by hand (plain HTTP here)."""
    token = client.get("/login").cookies["fd_login"]
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token},
                    headers={"Cookie": f"fd_login={token}"})  # fmt: skip
    if r.status_code != 303:
        raise RuntimeError(f"log-in failed: {r.status_code}")
    client.headers["Cookie"] = f"fd_session={r.cookies['fd_session']}"


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class LoadSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(2.0):
            self.samples.append(os.getloadavg()[0])


def stats(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
        "max_ms": round(ms[-1], 1),
    }


def time_page(client, paths: list[str], n: int) -> dict | None:
    first = client.get(paths[0])
    if first.status_code == 404:
        return None
    for p in paths[:3]:
        client.get(p)  # warm-up
    ms, codes = [], {}
    for i in range(n):
        t = time.perf_counter()
        r = client.get(paths[i % len(paths)])
        ms.append((time.perf_counter() - t) * 1000)
        codes[r.status_code] = codes.get(r.status_code, 0) + 1
    return {**stats(ms), "status": codes, "bytes": len(r.content), "example": paths[0]}


def replay_start(client, call_ids: list[int], n: int) -> dict | None:
    """TTFB of the replay page + the first 64 KB Range of its recording, per call."""
    if client.get(f"/calls/{call_ids[0]}").status_code == 404:
        page_ok = False
    else:
        page_ok = True
    total, pages, ranges = [], [], []
    for i in range(n):
        cid = call_ids[i % len(call_ids)]
        t = time.perf_counter()
        if page_ok:
            with client.stream("GET", f"/calls/{cid}") as r:
                t_page = None
                for _chunk in r.iter_raw():
                    t_page = t_page or time.perf_counter()
        else:
            t_page = t
        t1 = time.perf_counter()
        rr = client.get(f"/recordings/{cid}.wav", headers={"Range": "bytes=0-65535"})
        t2 = time.perf_counter()
        if rr.status_code != 206 or len(rr.content) != 65536:
            raise RuntimeError(f"recording {cid}: {rr.status_code}, {len(rr.content)} bytes")
        pages.append((t_page - t) * 1000)
        ranges.append((t2 - t1) * 1000)
        total.append((t_page - t) * 1000 + (t2 - t1) * 1000)
    return {
        "replay_page_in_measure": page_ok,
        "start": stats(total),
        "page_ttfb": stats(pages),
        "first_64k_range": stats(ranges),
    }


def one_shots(client, rerun: bool) -> dict:
    """What a supervisor does now and then: export a kind's findings, re-run the reconciler
    (only with --reconcile: it writes findings, e.g. RECORDING_MISSING for the bench's calls
    whose WAVs were never written, so a reused data directory changes)."""
    import re

    out = {}
    t = time.perf_counter()
    r = client.get("/audit/export.csv?kind=SLOW_ANSWER&status=all")
    out["export_csv"] = {"status": r.status_code, "rows": r.text.count("\n") - 1,
                         "mb": round(len(r.content) / 2**20, 1),
                         "s": round(time.perf_counter() - t, 2)}  # fmt: skip
    if not rerun:
        return out
    page = client.get("/audit").text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    t = time.perf_counter()
    r = client.post("/audit/reconcile", data={"csrf": csrf})
    out["rerun_reconcile_7d"] = {"status": r.status_code, "s": round(time.perf_counter() - t, 2)}
    return out


def measure(data_dir: Path, info: dict, n: int, rerun: bool = False) -> dict:
    import httpx
    from sqlalchemy import func, select

    from frontdesk.config import load_config
    from ledger.db import open_database
    from ledger.models import Call, Finding, LedgerEntry

    rng = random.Random(1)
    with open_database(load_config(data_dir).database_url)() as s:
        max_f = s.scalar(select(func.max(Finding.id))) or 1
        max_e = s.scalar(select(func.max(LedgerEntry.id))) or 1
        caller = s.scalar(select(Call.caller).where(Call.caller.like("1390000%")).limit(1))
        open_ids = list(s.scalars(select(Finding.id).where(Finding.status == "open").limit(200)))
    year_ago = datetime.now() - timedelta(days=365)
    today = datetime.now().date()
    last_week = today - timedelta(days=today.weekday() + 7)  # Monday of last week
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    f_ids = [rng.randint(1, max_f) for _ in range(100)] + open_ids[:100]
    pages = {
        "/audit": ["/audit"],
        "/audit?kind=SLOW_ANSWER": ["/audit?kind=SLOW_ANSWER"],
        "/audit?kind=UNLOGGED_CALL&status=all": ["/audit?kind=UNLOGGED_CALL&status=all"],
        "/audit?status=resolved (deep pages)": [
            f"/audit?status=resolved&before={rng.randint(min(1000, max_f), max_f)}"
            for _ in range(50)
        ],
        "/audit?caller=…&status=all": [f"/audit?caller={caller}&status=all"],
        "/audit?from=…&to=… (a month, 1 year ago)": [
            f"/audit?status=all&from={year_ago - timedelta(days=30):%Y-%m-%d}&to={year_ago:%Y-%m-%d}"
        ],  # fmt: skip
        "/audit/{id}": [f"/audit/{i}" for i in f_ids],
        "/kpi (this week so far)": ["/kpi"],
        "/kpi?period=day (yesterday)": [f"/kpi?period=day&date={last_week + timedelta(days=6)}"],
        "/kpi?period=week (last full week)": [f"/kpi?period=week&date={last_week}"],
        "/kpi?period=month (last full month)": [f"/kpi?period=month&date={last_month}"],
        "/ledger": ["/ledger"],
        "/ledger/{id}": [f"/ledger/{rng.randint(1, max_e)}" for _ in range(100)],
        "/calls": ["/calls"],
        "/calls/{id}": [f"/calls/{c}" for c in info["recordings"]],
        "/desk": ["/desk"],
    }
    port = free_port()
    log = data_dir / "bench-console.log"
    proc = start_console(data_dir, port, log)
    sampler = LoadSampler()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            login(c, "bench-admin")
            load_before = os.getloadavg()
            cpu0 = cpu_s(proc.pid)
            t0 = time.perf_counter()
            sampler.start()
            out: dict = {}
            for name, paths in pages.items():
                res = time_page(c, paths, n)
                out[name] = res if res is not None else "skipped (404: page not there)"
            replay = replay_start(c, info["recordings"], n)
            actions = one_shots(c, rerun)
            wall = time.perf_counter() - t0
            cpu = cpu_s(proc.pid) - cpu0
            sampler.stop.set()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    lists = {k: v for k, v in out.items() if isinstance(v, dict) and not k.startswith("/kpi")}
    kpis = {k: v for k, v in out.items() if isinstance(v, dict) and k.startswith("/kpi")}
    return {
        "pages": out,
        "replay": replay,
        "actions": actions,
        "targets": {
            "list_and_audit_p95_le_150ms": all(v["p95_ms"] <= 150 for v in lists.values()),
            "slowest_p95": max(((v["p95_ms"], k) for k, v in lists.items()), default=None),
            "kpi_slowest_p95": max(((v["p95_ms"], k) for k, v in kpis.items()), default=None),
            "replay_start_p95_le_300ms": replay["start"]["p95_ms"] <= 300 if replay else None,
        },
        "load": {
            "cpus": os.cpu_count(),
            "loadavg_1m_before": round(load_before[0], 2),
            "loadavg_1m_during_mean": round(statistics.mean(sampler.samples), 2)
            if sampler.samples
            else None,
            "loadavg_1m_during_max": round(max(sampler.samples), 2) if sampler.samples else None,
            "console_cpu_s": round(cpu, 1),
            "wall_s": round(wall, 1),
        },  # fmt: skip
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=1_000_000, help="calls in the ledger")
    ap.add_argument("--per-day", type=int, default=800, help="calls per day (sets the span)")
    ap.add_argument("--requests", type=int, default=200, help="timed requests per page")
    ap.add_argument("--data-dir", type=Path,
                    help="build here once and reuse it (default: a temporary directory)")  # fmt: skip
    ap.add_argument("--rebuild", action="store_true", help="rebuild an existing --data-dir")
    ap.add_argument("--reconcile", action="store_true",
                    help="also time the Re-run reconcile button (it adds findings)")  # fmt: skip
    args = ap.parse_args()
    if args.calls < 1:
        ap.error("--calls must be at least 1")
    tmp = None
    if args.data_dir is None:
        tmp = Path(tempfile.mkdtemp(prefix="fd-bench-"))
        data_dir = tmp / "var"
    else:
        data_dir = args.data_dir
    marker = data_dir / "bench-built.json"
    try:
        if marker.exists() and not args.rebuild:
            info = json.loads(marker.read_text())
            if info["calls"] != args.calls:
                ap.error(f"{data_dir} holds {info['calls']} calls, not {args.calls}: --rebuild")
            info["reused"] = True
        else:
            if data_dir.exists():
                shutil.rmtree(data_dir)
            data_dir.mkdir(parents=True)
            info = build(data_dir, args.calls, args.per_day)
            marker.write_text(json.dumps(info))
        db = data_dir / "frontdesk.db"
        info["db_mb"] = round(db.stat().st_size / 2**20) if db.exists() else None
        result = {"built": info, **measure(data_dir, info, args.requests, args.reconcile)}
        print(json.dumps(result, ensure_ascii=False, indent=2))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
