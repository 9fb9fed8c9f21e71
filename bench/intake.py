"""Intake accuracy per field on the labelled development set, and throughput.

Prints one JSON document: accuracy per field over all transcripts and per variant
(clean, asr-noisy, hand-written, English), the misses (first few per field), and
transcripts per second on one core. Usage: python bench/intake.py [--misses]
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice.intake.extract import extract  # noqa: E402

DEV = ROOT / "tests" / "data" / "intake" / "dev.jsonl"


def fields(d) -> dict:
    return {
        "category": d.category,
        "address": d.address.code(),
        "public_area": d.address.public_area,
        "urgent": d.urgent,
        "department": d.department,
        "surname": d.caller.surname,
        "phone": d.caller.phone,
    }


def main() -> int:
    rows = [
        json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    hits: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    misses: dict[str, list] = defaultdict(list)
    for r in rows:
        got = fields(extract(r["text"]))
        for f, want in r["expected"].items():
            if f == "building":
                continue
            ok = got[f] == want
            hits["all"][f].append(ok)
            hits[r["variant"]][f].append(ok)
            if not ok and len(misses[f]) < 5:
                misses[f].append({"id": r["id"], "text": r["text"], "want": want, "got": got[f]})
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < 3.0:
        for r in rows:
            extract(r["text"])
            n += 1
    rate = n / (time.perf_counter() - start)
    report = {
        "transcripts": len(rows),
        "accuracy": {
            v: {f: round(sum(x) / len(x), 3) for f, x in fs.items()} for v, fs in hits.items()
        },
        "transcripts_per_second_one_core": round(rate),
    }
    if "--misses" in sys.argv:
        report["misses"] = misses
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
