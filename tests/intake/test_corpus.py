"""The intake on the frozen yardstick: calls written from domain.md and the seeds by people who
never read voice/intake (tests/data/intake/corpus/README.md). Floors sit a little under what the
shipped model measured, so a change that makes drafts worse fails; bench/intake.py prints the
figures with the majority baseline beside them. Two frozen splits: test.jsonl (its writers also
wrote the dev split the model trains on) and test_xwriter.jsonl (a writer who wrote nothing the
model trains on)."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.conftest import DATA, ROOT
from voice.intake.evaluation import score
from voice.intake.extract import extract

CORPUS = DATA / "intake" / "corpus"
FROZEN = "52ade68d4fe5bd29217703f0ef73ef76c59efc4c8c8d47c2a787ea69b6b0f0c1"
FROZEN_XWRITER = "5851a8d9ff7bd5ad08fd372517a519506b6e3823e3877fa012b2c98edfa9fc65"
# measured on the test split (shipped model of 3,740 calls, 2026-11-30): category 0.961,
# address 0.958, urgent 0.986, department 0.908, surname 0.992, phone 0.994, repair scope 0.931,
# complaint class 0.867; the targets are the floors where we meet them
FLOORS = {"category": 0.92, "address": 0.95, "urgent": 0.97, "phone": 0.95, "department": 0.90,
          "surname": 0.95, "repair_scope": 0.90, "complaint_class": 0.85}  # fmt: skip
# measured on the cross-writer split, run once (same model): category 0.950, address 0.959,
# urgent 0.959, department 0.938, surname 0.997, phone 0.997, repair scope 0.898 (128 rows),
# complaint class 0.953 (64 rows); floors two to three points under, a regression guard
XWRITER_FLOORS = {"category": 0.93, "address": 0.94, "urgent": 0.94, "phone": 0.97,
                  "department": 0.91, "surname": 0.97, "repair_scope": 0.87,
                  "complaint_class": 0.92}  # fmt: skip


def _rows(name: str) -> list[dict]:
    return [json.loads(x) for x in (CORPUS / name).read_text(encoding="utf-8").splitlines() if x]


def test_the_test_split_is_frozen():
    assert hashlib.sha256((CORPUS / "test.jsonl").read_bytes()).hexdigest() == FROZEN


def test_the_cross_writer_split_is_frozen():
    data = (CORPUS / "test_xwriter.jsonl").read_bytes()
    assert hashlib.sha256(data).hexdigest() == FROZEN_XWRITER


@pytest.fixture(scope="module")
def scores():
    return score(_rows("test.jsonl"), extract)


@pytest.fixture(scope="module")
def xwriter_scores():
    # the baseline from the dev split, as bench/intake.py takes it (the commonest label a model
    # trained on our corpus would know of, not the split's own)
    dev = ROOT / "voice" / "intake" / "training_data" / "dev.jsonl"
    rows = [json.loads(x) for x in dev.read_text(encoding="utf-8").splitlines() if x]
    return score(_rows("test_xwriter.jsonl"), extract, baseline_from=rows)


@pytest.mark.parametrize("field", sorted(FLOORS))
def test_field_meets_its_floor_on_the_frozen_test_split(scores, field):
    s = scores[field]
    assert s.accuracy >= FLOORS[field], (field, round(s.accuracy, 3), s.total)
    assert s.accuracy > s.baseline  # better than always saying the commonest label


@pytest.mark.parametrize("field", sorted(XWRITER_FLOORS))
def test_field_meets_its_floor_on_the_cross_writer_split(xwriter_scores, field):
    s = xwriter_scores[field]
    assert s.accuracy >= XWRITER_FLOORS[field], (field, round(s.accuracy, 3), s.total)
    assert s.accuracy > s.baseline
