"""A realistic month (tests/data/reconcile_month, its README says how it was made): an Asterisk
Master.csv with MixMonitor recordings and a front desk's own 台账.xlsx, with 50 faults near
their thresholds, clerical noise and PBX quirks that are not faults. It goes in through the
real commands (`calls import --cdr --recordings`, `ledger import`, `reconcile`) on both
backends; transcripts.jsonl stands in for the speech recogniser (a fake: ASR on 715 calls
would take most of an hour here, and bench/asr.py measures the recogniser itself).

Scored against truth.json by bench/reconcile.py --month: per-kind precision and recall, and
every finding raised about a call the truth calls clean."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import DATA, ROOT

MONTH = DATA / "reconcile_month"
STRUCTURAL = [
    "UNLOGGED_CALL", "ORPHAN_ENTRY", "DUPLICATE_ENTRY", "LATE_REGISTRATION", "SLOW_ANSWER",
    "MISSED_NO_CALLBACK", "CALLBACK_OVERDUE", "RECORDING_MISSING", "DURATION_MISMATCH",
]  # fmt: skip
_runs: dict[str, dict] = {}


@pytest.fixture
def month(db_url, backend) -> dict:
    """The month scored on this backend: run once per backend (each imports 715
    recordings, 504 MB unpacked), shared by the tests below."""
    if backend not in _runs:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "reconcile.py"), "--month", str(MONTH),
             "--database-url", db_url],
            capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
        _runs[backend] = json.loads(proc.stdout)
    return _runs[backend]


def test_the_month_is_imported_whole(month):
    assert (month["calls"], month["with_recording"], month["entries"], month["transcripts"]) == (
        1278, 715, 817, 715)  # fmt: skip
    assert month["mapped_values"] > 0  # 已结案, 办结, 301室 … were read, and said so


def test_structural_findings_precision_and_recall(month):
    q = month["quality"]
    for kind in STRUCTURAL:
        assert q[kind]["injected"] > 0, kind
        assert q[kind]["precision"] >= 0.98 and q[kind]["recall"] >= 0.98, (kind, q[kind])


def test_no_false_findings_on_clean_calls(month):
    assert month["false_on_clean_calls"] == []
    assert month["false_findings"] == {}


def test_content_mismatch_precision(month):
    q = month["quality"]["CONTENT_MISMATCH"]
    assert q["injected"] == 8 and q["precision"] >= 0.9, q


def test_content_mismatch_recall(month):
    q = month["quality"]["CONTENT_MISMATCH"]
    assert q["recall"] >= 0.9, q
