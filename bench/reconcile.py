"""Reconciler at the scale of a year: prints JSON figures.

Generates a year of a 5,000-unit community (≈ --calls calls and as many ledger entries,
with transcripts and recordings), with faults of every finding kind injected at known
rows; imports it (bulk inserts); runs a full reconcile, then adds one new day and runs an
incremental reconcile of that day; reports import rows/s, reconcile seconds, peak RSS,
and precision/recall per finding kind against the injected faults.

Recordings are hard links to one small WAV (a million real files would need gigabytes
and hours); tampered ones are separate files written after the import. Transcripts hold
the intake summary the reconciler caches (as after an earlier run): intake itself runs
once per distinct transcript text while generating.

    .venv/bin/python bench/reconcile.py                    # SQLite, 1,000,000 calls
    .venv/bin/python bench/reconcile.py --calls 20000      # a smoke run: seconds
    .venv/bin/python bench/reconcile.py --postgres         # a private PostgreSQL server
    .venv/bin/python bench/reconcile.py --database-url postgresql+psycopg://…/empty_db
    .venv/bin/python bench/reconcile.py --month tests/data/reconcile_month   # a realistic month
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from frontdesk.reading import read_call  # noqa: E402
from ledger.db import open_database  # noqa: E402
from ledger.models import Call, Finding, LedgerEntry, Transcript  # noqa: E402
from ledger.reconcile import KINDS, Rules, intake_summary, run  # noqa: E402

START = datetime(2025, 11, 1, tzinfo=UTC)
DAYS = 365
BUILDINGS, UNITS, FLOORS, ROOMS = 25, 4, 25, 2  # 5,000 units
STRUCTURAL = [k for k in KINDS if k != "CONTENT_MISMATCH"]
FAULT_RATE = 0.002  # of calls, per kind
LOOSE_RATE = 0.05  # entries typed by hand with no call id: matched by number/time/content
TEMPLATES = [  # (category, urgent, what the caller says)
    ("报修", True, "我家水管爆了，水流了一地，快派人来修一下"),
    ("报修", True, "家里停电了，整个屋子都没电了"),
    ("报修", False, "卫生间的水龙头坏了，一直滴水，麻烦派人看看"),
    ("报修", False, "厨房下水道堵了，请师傅来通一下"),
    ("投诉", False, "我要投诉，楼上装修太吵了，天天早上七点就开始"),
    ("投诉", False, "我要投诉，楼下有人天天在楼道里堆放杂物"),
    ("咨询", False, "请问物业费在哪里交，可以微信交吗"),
    ("求助", False, "我钥匙锁在家里了，能不能帮忙联系开锁"),
    ("建议", False, "建议小区里多装几个路灯，晚上太黑了"),
]
DEPT = {
    "报修": "工程维修部",
    "投诉": "客服中心",
    "咨询": "客服中心",
    "求助": "安管部",
    "建议": "客服中心",
}
ZH = "零一二三四五六七八九"
WAV = b"RIFF" + bytes(range(256)) * 4  # every recording's content (hard links to a few files)


def spoken_number(n: int, rng: random.Random) -> str:
    """How a caller says a building/unit number: 4, 四, or 十二 style."""
    form = rng.random()
    if form < 0.4:
        return str(n)
    if n < 10:
        return ZH[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else ZH[tens]) + "十" + (ZH[ones] if ones else "")


def spoken_room(room: int, rng: random.Random) -> str:
    if rng.random() < 0.4:
        return str(room)
    return "".join(ZH[int(d)] for d in str(room))  # 三零一, 一八零二


class Community:
    def __init__(self, rng: random.Random, pool_size: int = 1500):
        self.units = [
            (b, u, f * 100 + r)
            for b in range(1, BUILDINGS + 1)
            for u in range(1, UNITS + 1)
            for f in range(1, FLOORS + 1)
            for r in range(1, ROOMS + 1)
        ]
        self.rng = rng
        self.pool = []  # (truth dict, transcript data with cached intake)
        self.disagreements = 0
        from domain.transcript import Transcript as T
        from domain.transcript import Utterance
        from voice.intake.extract import extract

        for _ in range(pool_size):
            ui = rng.randrange(len(self.units))
            b, u, room = self.units[ui]
            cat, urgent, phrase = rng.choice(TEMPLATES)
            bw = rng.choice(["栋", "号楼"])
            said = f"{spoken_number(b, rng)}{bw}{spoken_number(u, rng)}单元{spoken_room(room, rng)}"
            t = T([Utterance("caller", 0.5, 7.0, f"你好，我是{said}的，{phrase}", [], 0.9)],
                  "whisper", "whisper-base", "zh", 30.0)  # fmt: skip
            heard = extract(t)
            truth = {"ui": ui, "category": cat, "urgent": urgent, "content": phrase}
            if heard.address.code() != f"{b}-{u}-{room}" or heard.urgent != urgent:
                self.disagreements += 1
            data = t.to_dict()
            data["intake"] = intake_summary(heard)
            self.pool.append((truth, data, t.text()))
        self.repairs = [p for p in self.pool if p[0]["category"] == "报修"]

    def phone(self, ui: int) -> str:
        return f"138{ui:08d}"


class Generator:
    """Streams the year day by day; remembers only the injected faults."""

    def __init__(self, n_calls: int, seed: int, rec_root: Path, stored_at: datetime):
        self.rng = random.Random(seed)
        self.n_calls = n_calls
        self.per_day = max(1, n_calls // DAYS)
        self.c = Community(self.rng)
        self.rec_root = rec_root
        self.stored_at = stored_at
        self.call_id = 0
        self.entry_id = 0
        self.expected: dict[str, set] = defaultdict(set)  # kind → {(call_id, entry_id)}
        self.unique = 0
        self.wav = rec_root / "shared.wav"
        rec_root.mkdir(parents=True, exist_ok=True)
        self.wav.write_bytes(WAV)
        self.mtime = self.wav.stat().st_mtime
        self.links = 0
        self.sha = hashlib.sha256(self.wav.read_bytes()).hexdigest()
        self.size = self.wav.stat().st_size
        self.tampered: list[Path] = []
        self.last_call: dict[int, datetime] = {}  # unit → end of its latest call

    def _unique_phone(self, prefix: str) -> str:
        self.unique += 1
        return f"{prefix}{self.unique:08d}"

    def _fault(self) -> str | None:
        r = self.rng.random()
        kinds = KINDS
        if r < FAULT_RATE * len(kinds):
            return kinds[int(r / FAULT_RATE)]
        return None

    def day(self, d: int) -> tuple[list, list, list]:
        rng = self.rng
        calls, entries, transcripts = [], [], []
        day0 = START + timedelta(days=d)
        folder = self.rec_root / f"{day0:%Y/%m/%d}"
        folder.mkdir(parents=True, exist_ok=True)
        n = 0
        # in time order, so a phone's calls never overlap and a hand-written (loose) entry
        # is not written for a unit that called within the hour (that pair of entries
        # would be genuinely ambiguous, even to a person)
        times = sorted(rng.uniform(7 * 3600, 21 * 3600) for _ in range(self.per_day))
        for sec in times:
            if n >= self.per_day:
                break
            fault = self._fault()
            n += self._one(day0 + timedelta(seconds=sec), fault, calls, entries, transcripts,
                           folder)  # fmt: skip
        return calls, entries, transcripts

    def _call(self, t, caller, outcome, rings, talk, folder, recorded=True) -> dict:
        self.call_id += 1
        cid = self.call_id
        answered = t + timedelta(seconds=rings * 5) if outcome == "answered" else None
        ended = (
            (answered + timedelta(seconds=talk)) if answered else t + timedelta(seconds=rings * 5)
        )
        row = {"id": cid, "uuid": f"c{cid:09d}", "sip_call_id": f"s{cid}", "caller": caller,
               "callee": "frontdesk", "invited_at": t, "answered_at": answered, "ended_at": ended,
               "rings": rings, "answered_by": "agent" if answered else None, "outcome": outcome,
               "source": "pbx-import", "created_at": self.stored_at, "recording_path": None,
               "recording_sha256": None, "recording_size": None, "recording_duration_s": None,
               "recording_channels": None, "recording_sample_rate": None}  # fmt: skip
        if answered and recorded:
            rel = f"{t:%Y/%m/%d}/{row['uuid']}.wav"
            self.links += 1
            if self.links % 50_000 == 0:  # ext4 allows 65,000 links to one inode
                self.wav = self.wav.with_name(f"shared{self.links}.wav")
                self.wav.write_bytes(WAV)
                os.utime(self.wav, (self.mtime, self.mtime))
            os.link(self.wav, folder / f"{row['uuid']}.wav")
            row.update(recording_path=rel, recording_sha256=self.sha, recording_size=self.size,
                       recording_duration_s=round(talk - self.rng.uniform(0, 0.8), 2),
                       recording_channels=2, recording_sample_rate=8000)  # fmt: skip
        return row

    def _entry(self, call, truth, t, status="closed", **over) -> dict:
        self.entry_id += 1
        b, u, room = self.c.units[truth["ui"]]
        cat = truth["category"]
        row = {"id": self.entry_id, "call_id": call["id"] if call else None, "source": "来电",
               "status": status, "category": cat, "building": str(b), "unit": str(u),
               "room": str(room), "public_area": None, "urgent": truth["urgent"],
               "department": DEPT[cat], "caller_name": None,
               "caller_phone": call["caller"] if call else None, "summary": truth["content"][:20],
               "content": truth["content"], "repair_scope": None, "complaint_class": None,
               "confidence": {}, "evidence": [], "work_order_no": None, "import_key": None,
               "created_at": t, "registered_at": t, "registered_by": "agent",
               "dispatched_at": None, "returned_at": None, "closed_at": t, "callback_at": None,
               "callback_result": None, "updated_at": t}  # fmt: skip
        if cat == "报修":
            ret = t + timedelta(minutes=self.rng.uniform(20, 60))
            row.update(dispatched_at=t, returned_at=ret,
                       callback_at=ret + timedelta(minutes=self.rng.uniform(5, 100)),
                       callback_result="satisfied", closed_at=ret + timedelta(hours=2))  # fmt: skip
        row.update(over)
        return row

    def _one(self, t, fault, calls, entries, transcripts, folder) -> int:
        rng, exp = self.rng, self.expected
        if fault == "MISSED_NO_CALLBACK":
            c = self._call(t, self._unique_phone("137"), "missed", 5, 0, folder)
            calls.append(c)
            exp[fault].add((c["id"], None))
            return 1
        if fault == "ORPHAN_ENTRY":
            pool = rng.choice(self.c.pool)[0]
            at = t + timedelta(seconds=90)
            if rng.random() < 0.5:  # typed for a call that was never recorded
                e = self._entry(None, pool, at, content="询问小区停车位月租价格",
                                summary="询问停车位", caller_phone=self._unique_phone("135"),
                                category="咨询", department="客服中心", returned_at=None,
                                callback_at=None)  # fmt: skip
                entries.append(e)
                exp[fault].add((None, e["id"]))
                return 0
            # linked to a call that never connected (an answered call without its recording
            # is RECORDING_MISSING, not an entry without a call)
            c = self._call(t, self._unique_phone("135"), "missed", 2, 0, folder)
            calls.append(c)
            e = self._entry(c, pool, c["ended_at"] + timedelta(seconds=30))
            entries.append(e)
            exp[fault].add((c["id"], e["id"]))
            return 1
        n = 0
        truth, data, said = rng.choice(
            self.c.repairs if fault == "CALLBACK_OVERDUE" else self.c.pool
        )
        caller = self.c.phone(truth["ui"])
        if fault is None and rng.random() < 0.06:  # a missed call, returned within the hour
            calls.append(self._call(t, caller, "missed", 4, 0, folder))
            t += timedelta(minutes=rng.uniform(5, 60))
            n += 1
        if fault in ("UNLOGGED_CALL", "CONTENT_MISMATCH"):
            caller = self._unique_phone("136")  # nobody else shares the number
        rings = rng.randint(4, 5) if fault == "SLOW_ANSWER" else rng.randint(1, 3)
        c = self._call(t, caller, "answered", rings, rng.uniform(40, 240), folder)
        calls.append(c)
        n += 1
        cid = c["id"]
        transcripts.append({"call_id": cid, "engine": "whisper", "model": "whisper-base",
                            "language": "zh", "duration_s": 30.0, "data": data, "text": said,
                            "created_at": self.stored_at})  # fmt: skip
        if fault == "SLOW_ANSWER":
            exp[fault].add((cid, None))
        if fault == "DURATION_MISMATCH":
            c["recording_duration_s"] = round(c["recording_duration_s"] - 20.0, 2)
            exp[fault].add((cid, None))
        if fault == "RECORDING_MISSING":
            os.unlink(self.rec_root / c["recording_path"])
            if rng.random() < 0.5:  # never stored: the PBX sent no file for this call
                c.update(recording_path=None, recording_sha256=None, recording_size=None,
                         recording_duration_s=None)  # fmt: skip
            exp[fault].add((cid, None))
        if fault == "RECORDING_TAMPERED":
            self.tampered.append(self.rec_root / c["recording_path"])
            exp[fault].add((cid, None))
        if fault == "UNLOGGED_CALL":
            exp[fault].add((cid, None))
            return n
        reg = c["ended_at"] + timedelta(seconds=rng.uniform(10, 50))
        if fault == "LATE_REGISTRATION":
            reg = c["ended_at"] + timedelta(minutes=rng.uniform(5, 25))
        over = {}
        if fault == "CONTENT_MISMATCH":
            if truth["urgent"] and rng.random() < 0.3:
                over["urgent"] = False
            else:
                b, u, room = self.c.units[truth["ui"]]
                over["room"] = str(room + 1 if room % 100 == 1 else room - 1)  # the next door
        if fault == "CALLBACK_OVERDUE":
            ret = reg + timedelta(minutes=30)
            over.update(category="报修", department="工程维修部", dispatched_at=reg, returned_at=ret,
                        callback_at=ret + timedelta(hours=rng.uniform(3, 6)))  # fmt: skip
        recent = self.last_call.get(truth["ui"])
        self.last_call[truth["ui"]] = c["ended_at"]
        loose = fault is None and rng.random() < LOOSE_RATE
        if recent is not None and c["invited_at"] - recent < timedelta(hours=1):
            loose = False
        e = self._entry(None if loose else c, truth, reg, **over)
        if loose:
            e["caller_phone"] = caller
        entries.append(e)
        if fault in ("LATE_REGISTRATION", "CONTENT_MISMATCH", "CALLBACK_OVERDUE"):
            exp[fault].add((cid, e["id"]))
        if fault == "DUPLICATE_ENTRY":
            d2 = self._entry(c, truth, reg + timedelta(seconds=5))
            entries.append(d2)
            exp[fault].add((cid, d2["id"]))
        if rng.random() < 0.07 and fault is None:  # walk-ins (来访) fill the ledger
            w = self._entry(None, rng.choice(self.c.pool)[0], t + timedelta(minutes=3),
                            source="来访", caller_phone=None)  # fmt: skip
            entries.append(w)
        return n

    def tamper(self) -> None:
        # later than the rows were stored (mtime resolution and the reconciler's 1 s slack)
        time.sleep(max(0.0, self.stored_at.timestamp() + 1.5 - time.time()))
        for p in self.tampered:  # written after the import: a new file, same size, new bytes
            p.unlink()
            p.write_bytes(b"RIFX" + bytes(range(256))[::-1] * 4)


def rss_peak_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_now_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


def load(s, calls, entries, transcripts) -> None:
    if calls:
        s.execute(Call.__table__.insert(), calls)
    if transcripts:
        s.execute(Transcript.__table__.insert(), transcripts)
    if entries:
        s.execute(LedgerEntry.__table__.insert(), entries)


def fix_sequences(s) -> None:
    if s.bind.dialect.name != "postgresql":
        return
    for table in ("calls", "entries", "transcripts"):
        s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"(SELECT coalesce(max(id), 1) FROM {table}))"))  # fmt: skip


def score(expected: dict[str, set], found: list[tuple[str, int | None, int | None]]) -> dict:
    got: dict[str, set] = defaultdict(set)
    for kind, cid, eid in found:
        got[kind].add((cid, eid))
    out = {}
    for kind in KINDS:
        e, g = expected.get(kind, set()), got.get(kind, set())
        hit = len(e & g)
        out[kind] = {
            "injected": len(e), "found": len(g), "true_positive": hit,
            "precision": round(hit / len(g), 4) if g else (1.0 if not e else 0.0),
            "recall": round(hit / len(e), 4) if e else 1.0,
        }  # fmt: skip
    return out


def open_findings(s) -> list[tuple]:
    q = text("SELECT kind, call_id, entry_id FROM findings WHERE status = 'open'")
    return [tuple(r) for r in s.execute(q)]


def bench(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="frontdesk-bench-"))
    server = None
    url = args.database_url
    if args.postgres:
        from tests.ledger.pg import start_server

        server = start_server()
        url = server.create_database("bench")
    url = url or f"sqlite:///{work / 'frontdesk.db'}"
    try:
        sessions = open_database(url)
        t = time.perf_counter()
        gen = Generator(args.calls, args.seed, work / "recordings", None)
        # rows are stored after their recordings were written (as the phone and PBX import do)
        gen.stored_at = datetime.now(UTC)
        gen_pool_s = time.perf_counter() - t
        counts = Counter()
        gen_s = load_s = 0.0
        for d in range(DAYS):
            t = time.perf_counter()
            calls, entries, transcripts = gen.day(d)
            gen_s += time.perf_counter() - t
            t = time.perf_counter()
            with sessions() as s:
                load(s, calls, entries, transcripts)
                s.commit()
            load_s += time.perf_counter() - t
            counts.update(calls=len(calls), entries=len(entries), transcripts=len(transcripts))
            if d % 60 == 59:
                print(f"day {d + 1}: {counts['calls']} calls, import {load_s:.0f} s",
                      file=sys.stderr, flush=True)  # fmt: skip
        with sessions() as s:
            fix_sequences(s)
            if s.bind.dialect.name == "postgresql":
                s.execute(text("ANALYZE"))
            s.commit()
        gen.tamper()
        rows = counts["calls"] + counts["entries"] + counts["transcripts"]
        rules = Rules(recordings_root=work / "recordings", reader=read_call)
        year_end = START + timedelta(days=DAYS)
        import gc

        gc.collect()
        reset_peak()
        rss_before = rss_now_mb()  # what the generator and import left behind
        t = time.perf_counter()
        with sessions() as s:
            full = run(s, now=year_end + timedelta(hours=6), rules=rules)
            s.commit()
        full_s = time.perf_counter() - t
        rss_full = rss_peak_mb()
        with sessions() as s:
            quality = score(gen.expected, open_findings(s))
            n_findings = s.query(Finding).count()
        # one new day arrives; reconcile just that day
        before = {k: set(v) for k, v in gen.expected.items()}
        calls, entries, transcripts = gen.day(DAYS)
        with sessions() as s:
            load(s, calls, entries, transcripts)
            fix_sequences(s)
            s.commit()
        gen.tamper()
        day0, day1 = year_end, year_end + timedelta(days=1)
        t = time.perf_counter()
        with sessions() as s:
            inc = run(s, now=day1 + timedelta(hours=6), since=day0, until=day1, rules=rules)
            s.commit()
        inc_s = time.perf_counter() - t
        new_expected = {k: gen.expected[k] - before.get(k, set()) for k in KINDS}
        with sessions() as s:
            day_ids = {r[0] for r in s.execute(
                text("SELECT id FROM calls WHERE id > :lo"), {"lo": calls[0]["id"] - 1})}  # fmt: skip
            day_found = [f for f in open_findings(s)
                         if f[1] in day_ids or (f[1] is None and f[2] and f[2] > entries[0]["id"] - 1)]  # fmt: skip
        inc_quality = score(new_expected, day_found)
        return {
            "backend": "postgresql" if url.startswith("postgresql") else "sqlite",
            "calls": counts["calls"], "entries": counts["entries"],
            "transcripts": counts["transcripts"],
            "import": {"rows": rows, "seconds": round(load_s, 2),
                       "rows_per_s": round(rows / load_s), "calls_entries_per_s":
                       round((counts["calls"] + counts["entries"]) / load_s)},
            "generate_s": round(gen_s + gen_pool_s, 2),
            "full_reconcile": {"seconds": round(full_s, 2), "calls": full.calls,
                               "new_findings": full.new, "findings_total": n_findings,
                               "peak_rss_mb": round(rss_full, 1),
                               "rss_before_mb": round(rss_before, 1)},
            "incremental_day": {"seconds": round(inc_s, 3), "calls": inc.calls,
                                "calls_added": len(calls), "new_findings": inc.new},
            "peak_rss_mb": round(rss_peak_mb(), 1),
            "transcript_pool": {"texts": len(gen.c.pool),
                                "intake_disagrees_with_truth": gen.c.disagreements},
            "quality": quality,
            "incremental_quality": inc_quality,
            "load": os.getloadavg(),
        }  # fmt: skip
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=1_000_000, help="calls in the year (≈ entries)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--database-url", help="an empty database (default: SQLite in a temp dir)")
    p.add_argument("--postgres", action="store_true",
                   help="start a private PostgreSQL server on 127.0.0.1 for the run")  # fmt: skip
    p.add_argument("--keep", action="store_true", help="keep the generated data directory")
    p.add_argument("--month", type=Path, metavar="DIR",
                   help="instead: the realistic month in DIR (tests/data/reconcile_month) through "
                   "the real import commands, scored against its truth.json")  # fmt: skip
    args = p.parse_args(argv)
    if args.month:
        from reconcile_month import run_month  # bench/, next to this script

        url = args.database_url
        server = None
        if args.postgres:
            from tests.ledger.pg import start_server

            server = start_server()
            url = server.create_database("month")
        try:
            print(json.dumps(run_month(args.month.resolve(), url), ensure_ascii=False, indent=1))
        finally:
            if server is not None:
                server.stop()
        return 0
    print(json.dumps(bench(args), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
