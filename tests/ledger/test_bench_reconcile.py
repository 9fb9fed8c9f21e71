"""bench/reconcile.py at a small size: its generator and the reconciler agree on every
injected fault (a correctness test of both; timings are the bench's business)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

STRUCTURAL = [
    "UNLOGGED_CALL", "ORPHAN_ENTRY", "DUPLICATE_ENTRY", "LATE_REGISTRATION", "SLOW_ANSWER",
    "MISSED_NO_CALLBACK", "CALLBACK_OVERDUE", "RECORDING_MISSING", "RECORDING_TAMPERED",
    "DURATION_MISMATCH",
]  # fmt: skip


def test_small_year_every_injected_fault_found_and_nothing_else(db_url):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "reconcile.py"), "--calls", "15000",
         "--database-url", db_url],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert out["calls"] >= 14000 and out["entries"] >= 14000
    q = out["quality"]
    assert sum(q[k]["injected"] for k in STRUCTURAL) > 200
    for kind in STRUCTURAL:
        assert q[kind]["injected"] > 0, kind
        assert (q[kind]["precision"], q[kind]["recall"]) == (1.0, 1.0), (kind, q[kind])
    assert q["CONTENT_MISMATCH"]["injected"] > 0
    assert q["CONTENT_MISMATCH"]["precision"] >= 0.95 and q["CONTENT_MISMATCH"]["recall"] >= 0.95
    # the incremental run read only the new day, and found that day's faults
    inc = out["incremental_day"]
    assert inc["calls"] == inc["calls_added"] > 0
    for kind, v in out["incremental_quality"].items():
        assert v["recall"] == 1.0 and (v["precision"] == 1.0 or kind == "CONTENT_MISMATCH"), kind
