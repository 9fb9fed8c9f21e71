"""Scoring drafts against labelled transcripts: per-field accuracy with the majority-class
baseline beside it. Used by bench/intake.py, the tests' floors and `frontdesk intake evaluate`.

A row is ``{"id", "style", "utterances": [{"speaker", "text"}], "expected": {...}}`` (the
corpus in tests/data/intake/corpus) or ``{"id", "text", "expected"}`` (the template set).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.intake import IntakeDraft
from domain.transcript import Transcript, Utterance

# field → how it is read off a draft
FIELDS: dict[str, Callable[[IntakeDraft], Any]] = {
    "category": lambda d: d.category,
    "address": lambda d: (d.address.building, d.address.unit, d.address.room),
    "building": lambda d: d.address.building,
    "room": lambda d: d.address.room,
    "public_area": lambda d: d.address.public_area,
    "urgent": lambda d: bool(d.urgent),
    "department": lambda d: d.department,
    "surname": lambda d: d.caller.surname,
    "phone": lambda d: d.caller.phone,
    "repair_scope": lambda d: d.repair_scope,
    "complaint_class": lambda d: d.complaint_class,
}
# fields graded only on the rows where the label applies
CONDITIONAL = {"repair_scope": "报修", "complaint_class": "投诉"}


def expected(row: dict, name: str) -> Any:
    e = row["expected"]
    if name == "address":
        return (e.get("building"), e.get("unit"), e.get("room"))
    return e.get(name)


def transcript_of(row: dict) -> Transcript | str:
    if "utterances" in row:
        utts = [Utterance(u["speaker"], 0.0, 0.0, u["text"]) for u in row["utterances"]]
        return Transcript(utts, engine="text", model="")
    return row["text"]


def applies(row: dict, name: str) -> bool:
    if name not in row["expected"] and name != "address":
        return False
    want = CONDITIONAL.get(name)
    return want is None or row["expected"].get("category") == want


@dataclass
class FieldScore:
    right: int = 0
    total: int = 0
    baseline_right: int = 0
    misses: list[dict] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0

    @property
    def baseline(self) -> float:
        return self.baseline_right / self.total if self.total else 0.0


def majority(rows: Iterable[dict]) -> dict[str, Any]:
    """The most common label per field (the baseline a classifier must beat)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        for name in FIELDS:
            if applies(r, name):
                counts[name][repr(expected(r, name))] += 1
    return {n: c.most_common(1)[0][0] for n, c in counts.items()}


def score(
    rows: Sequence[dict],
    draft: Callable[[Transcript | str], IntakeDraft],
    baseline_from: Sequence[dict] | None = None,
    keep_misses: int = 0,
) -> dict[str, FieldScore]:
    """Per-field scores of ``draft`` on ``rows``; the majority class is taken from
    ``baseline_from`` (the training split) or else from ``rows`` themselves."""
    base = majority(baseline_from or rows)
    out = {n: FieldScore() for n in FIELDS}
    for r in rows:
        d = draft(transcript_of(r))
        for name, read in FIELDS.items():
            if not applies(r, name):
                continue
            s = out[name]
            want, got = expected(r, name), read(d)
            s.total += 1
            s.right += got == want
            s.baseline_right += repr(want) == base.get(name)
            if got != want and len(s.misses) < keep_misses:
                s.misses.append({"id": r["id"], "want": want, "got": got})
    return {n: s for n, s in out.items() if s.total}
