"""The reconciler on a realistic month (tests/data/reconcile_month): an Asterisk Master.csv with
MixMonitor recordings, a front desk's own 台账.xlsx and the truth about its injected faults.

Everything goes in through the real commands, as a site would do it: `frontdesk calls import
--cdr … --recordings …`, `frontdesk ledger import 台账.xlsx`, `frontdesk reconcile`. The
transcripts come from transcripts.jsonl, standing in for the speech recogniser (ASR on 715
calls would take most of an hour here; bench/asr.py measures it). Prints per-kind precision
and recall against truth.json, and the findings raised on calls the truth calls clean.

    .venv/bin/python bench/reconcile.py --month tests/data/reconcile_month
    .venv/bin/python bench/reconcile.py --month DIR --database-url postgresql+psycopg://…
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STRUCTURAL = ["UNLOGGED_CALL", "ORPHAN_ENTRY", "DUPLICATE_ENTRY", "LATE_REGISTRATION",
              "SLOW_ANSWER", "MISSED_NO_CALLBACK", "CALLBACK_OVERDUE", "RECORDING_MISSING",
              "RECORDING_TAMPERED", "DURATION_MISMATCH"]  # fmt: skip


def frontdesk(data_dir: Path, env: dict, *args: str, ok=(0,)) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600,
    )  # fmt: skip
    if proc.returncode not in ok:
        raise RuntimeError(f"frontdesk {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def unpack(month: Path, dest: Path) -> Path:
    """recordings.zip → dest/recordings (the month's README: 504 MB unzipped)."""
    with zipfile.ZipFile(month / "recordings.zip") as z:
        z.extractall(dest)
    return dest / "recordings"


def load_transcripts(database_url: str, path: Path) -> int:
    """transcripts.jsonl → the ledger's transcripts, by the call's PBX uniqueid."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from domain.transcript import Transcript, Utterance
    from ledger.db import open_database
    from ledger.models import Call
    from ledger.transcripts import save_transcript

    n = 0
    with open_database(database_url)() as s:
        ids = dict(s.execute(select(Call.sip_call_id, Call.id).where(Call.source == "pbx-import")).all())
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            utts = [Utterance(u["speaker"], float(u["start"]), float(u["end"]), u["text"])
                    for u in d["utterances"]]  # fmt: skip
            cid = ids.get(d["uniqueid"])
            if cid is None:
                raise RuntimeError(f"transcript for unknown call {d['uniqueid']}")
            save_transcript(s, cid, Transcript(utts, "month-fixture", "transcripts.jsonl", "zh",
                                               max((u.end for u in utts), default=0.0)))  # fmt: skip
            n += 1
        s.commit()
    return n


def score(truth: dict, findings: list[dict], uniqueid_of: dict[int, str],
          row_of: dict[int, int]) -> dict:  # fmt: skip
    """Per kind: a finding is right when it names a faulty call (by uniqueid) or row (by 序号)
    of its kind; each fault absorbs one finding. Also: findings about clean calls."""
    faults = defaultdict(list)
    for f in truth["faults"]:
        faults[f["kind"]].append(f)
    used: set[int] = set()
    got = defaultdict(lambda: {"found": 0, "true_positive": 0, "false": []})
    for x in findings:
        uid = uniqueid_of.get(x["call_id"]) if x["call_id"] else None
        row = row_of.get(x["entry_id"]) if x["entry_id"] else None
        g = got[x["kind"]]
        g["found"] += 1
        hit = next((i for i, f in enumerate(faults[x["kind"]])
                    if (x["kind"], i) not in used
                    and ((f["uniqueid"] and f["uniqueid"] == uid)
                         or (f["ledger_row"] and f["ledger_row"] == row))), None)  # fmt: skip
        if hit is None:
            g["false"].append({"call": uid, "row": row, "detail": x["detail"]})
        else:
            used.add((x["kind"], hit))
            g["true_positive"] += 1
    out = {}
    for kind in sorted(set(faults) | set(got)):
        n, g = len(faults[kind]), got[kind]
        out[kind] = {
            "injected": n, "found": g["found"], "true_positive": g["true_positive"],
            "precision": round(g["true_positive"] / g["found"], 4) if g["found"] else (1.0 if not n else 0.0),
            "recall": round(g["true_positive"] / n, 4) if n else 1.0,
            "false": g["false"],
        }  # fmt: skip
    clean = set(truth["clean_calls"])
    on_clean = [
        {"kind": x["kind"], "call": uniqueid_of.get(x["call_id"]), "detail": x["detail"]}
        for x in findings
        if x["call_id"] and uniqueid_of.get(x["call_id"]) in clean
    ]
    return {"per_kind": out, "false_on_clean_calls": on_clean}


def run_month(month: Path, database_url: str | None = None, work: Path | None = None) -> dict:
    truth = json.loads((month / "truth.json").read_text(encoding="utf-8"))
    own = work is None
    work = work or Path(tempfile.mkdtemp(prefix="frontdesk-month-"))
    try:
        env = {**os.environ, "TZ": truth.get("timezone", "Asia/Shanghai"), "PYTHONPATH": str(ROOT)}
        data = work / "var"
        data.mkdir(parents=True, exist_ok=True)
        url = database_url or f"sqlite:///{data / 'frontdesk.db'}"
        (data / "frontdesk.toml").write_text(f'[ledger]\ndatabase_url = "{url}"\n', encoding="utf-8")
        timings = {}
        t = time.perf_counter()
        recordings = unpack(month, work / "pbx")
        timings["unpack_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        cdr = json.loads(frontdesk(data, env, "calls", "import", "--cdr", str(month / "Master.csv"),
                                   "--recordings", str(recordings), "--format", "json").stdout)  # fmt: skip
        timings["calls_import_s"] = round(time.perf_counter() - t, 2)
        shutil.rmtree(work / "pbx")  # the archive holds its own copies now
        t = time.perf_counter()
        sheet = json.loads(frontdesk(data, env, "ledger", "import", str(month / "台账.xlsx"),
                                     "--format", "json", ok=(0, 1)).stdout)  # fmt: skip
        timings["ledger_import_s"] = round(time.perf_counter() - t, 2)
        if sheet["errors"]:
            raise RuntimeError(f"台账.xlsx refused: {sheet['errors'][:5]}")
        n_transcripts = load_transcripts(url, month / "transcripts.jsonl")
        t = time.perf_counter()
        findings = json.loads(frontdesk(data, env, "reconcile", "--format", "json",
                                        ok=(0, 1)).stdout)  # fmt: skip
        timings["reconcile_s"] = round(time.perf_counter() - t, 2)
        calls = json.loads(frontdesk(data, env, "calls", "list", "--format", "json").stdout)
        entries = json.loads(frontdesk(data, env, "ledger", "list", "--format", "json").stdout)
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
    uniqueid_of = {c["id"]: c["sip_call_id"] for c in calls}
    with open(month / "台账.csv", encoding="utf-8-sig", newline="") as fh:
        numbers = [int(r["序号"]) for r in csv.DictReader(fh)]
    ids = sorted(e["id"] for e in entries)  # a fresh ledger: ids follow the sheet's rows
    row_of = dict(zip(ids, numbers, strict=True))
    result = score(truth, findings, uniqueid_of, row_of)
    per = result["per_kind"]
    return {
        "month": truth.get("month"), "calls": cdr["imported"], "with_recording": cdr["with_recording"],
        "entries": sheet["imported"], "transcripts": n_transcripts, "findings": len(findings),
        "mapped_values": len(sheet["mapped"]), "timings": timings,
        "quality": {k: {f: v[f] for f in ("injected", "found", "true_positive", "precision", "recall")}
                    for k, v in per.items()},
        "false_findings": {k: v["false"] for k, v in per.items() if v["false"]},
        "missed_faults": {k: v["injected"] - v["true_positive"] for k, v in per.items()
                          if v["injected"] > v["true_positive"]},
        "false_on_clean_calls": result["false_on_clean_calls"],
    }  # fmt: skip
