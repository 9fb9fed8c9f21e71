"""Fitting the intake model: from the shipped corpus, and from a company's own ledger (the
agent's confirmed fields are the truth) and historical spreadsheets.

One tf-idf vocabulary over the features of ``voice.intake.features``; one logistic regression
per field, each on the examples that carry its label (an imported sheet without a 紧急 column
teaches nothing about urgency). scikit-learn is needed only here.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from voice.intake.features import normalise, tokens
from voice.intake.model import NONE, Head, IntakeModel

TRAINING_DATA = Path(__file__).with_name("training_data")
# field → the category its label belongs to (None: every example)
HEADS: dict[str, str | None] = {
    "category": None, "department": None, "urgent": None, "repeat": None,
    "second_category": None, "repair_scope": "报修", "complaint_class": "投诉",
}  # fmt: skip
C = 20.0  # inverse regularisation; 5-fold CV on the dev split: 10 and 30 within 0.003
# heads regularised apart from C: urgent is a rare yes/no whose evidence is a few short phrases
# (全屋没电, 叫不醒, 水管爆了) that a new writer says in a row of otherwise ordinary words; less
# shrinkage lets them weigh. Leave-one-writer-out over the 9 training files (bench/intake_lowo.py,
# urgent head alone with the rule guard): C 10 0.9648, 20 0.9654, 30 0.9672, 50 0.9676,
# 100 0.9658, 200 0.9648; at 30 no file is worse than at 20 by more than one row
HEAD_C: dict[str, float] = {"urgent": 30.0}
MIN_DF = 2  # a feature seen once is noise, and keeps the file small
# a category whose examples all but always go to one department is routed there whatever the
# subject (the shipped corpus: 报修 → 工程维修部 824 of 825, 咨询 → 客服中心 503 of 505); a
# site whose ledger dispatches a category by subject keeps the model's choice
ROUTE_SHARE = 0.97
ROUTE_MIN = 20


@dataclass
class Example:
    caller: str  # what the caller said (normalised by ``features.normalise``)
    agent: str = ""
    labels: dict[str, Any] = field(default_factory=dict)  # only the labels that are known
    weight: float = 1.0
    source: str = ""


def label_text(value: Any) -> str:
    return NONE if value is None else str(value)


def examples_from_rows(rows: Iterable[dict], source: str, weight: float = 1.0) -> list[Example]:
    """Corpus rows: ``utterances`` (or ``text``) and ``expected``."""
    out = []
    for r in rows:
        utts = r.get("utterances") or [{"speaker": "caller", "text": r["text"]}]
        caller = "，".join(normalise(u["text"]) for u in utts if u["speaker"] != "agent")
        agent = "，".join(normalise(u["text"]) for u in utts if u["speaker"] == "agent")
        e = r["expected"]
        labels = {h: e[h] for h in HEADS if h in e}
        out.append(Example(caller, agent, labels, weight, source))
    return out


def shipped_examples() -> list[Example]:
    """The corpus that ships with the product: the yardstick's dev split and the training
    sets, all written from domain.md and the seeds (tests/data/intake/corpus/README.md)."""
    out = []
    for path in sorted(TRAINING_DATA.glob("*.jsonl")):
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
        out += examples_from_rows(rows, f"shipped:{path.stem}")
    return out


def train(examples: Sequence[Example], c: float = C, min_df: int = MIN_DF,
          note: dict[str, Any] | None = None) -> IntakeModel:  # fmt: skip
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    if not examples:
        raise ValueError("no training examples")
    docs = [tokens(e.caller, e.agent) for e in examples]
    vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=min_df, dtype=np.float32)
    x = vec.fit_transform(docs)
    heads: dict[str, Head] = {}
    counts: dict[str, dict[str, int]] = {}
    # the default C with each head's own where it has one; a c the caller chose is every head's
    cs = {n: HEAD_C.get(n, c) if c == C else c for n in HEADS}
    for name, only in HEADS.items():
        idx = [
            i for i, e in enumerate(examples)
            if name in e.labels and (only is None or e.labels.get("category") == only)
        ]  # fmt: skip
        y = [label_text(examples[i].labels[name]) for i in idx]
        if len(set(y)) < 2:
            continue  # nothing to learn: the field keeps no head, and intake leaves it unset
        clf = LogisticRegression(C=cs[name], max_iter=3000, class_weight="balanced")
        clf.fit(x[idx], y, sample_weight=[examples[i].weight for i in idx])
        heads[name] = Head(list(clf.classes_), clf.coef_.astype(np.float32),
                           clf.intercept_.astype(np.float32))  # fmt: skip
        counts[name] = dict(Counter(y))
    meta = {
        "routes": routes(examples),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "examples": len(examples),
        "sources": dict(Counter(e.source.split(":")[0] for e in examples)),
        "labels": counts,
        "features": len(vec.vocabulary_),
        "c": c,
        "head_c": {n: cs[n] for n in heads},
        **(note or {}),
    }
    vocab = {t: int(i) for t, i in vec.vocabulary_.items()}
    return IntakeModel(vocab, vec.idf_.astype(np.float32), heads, meta)


def routes(examples: Sequence[Example]) -> dict[str, str]:
    """category → the department nearly all of its examples went to (``ROUTE_SHARE``)."""
    by_cat: dict[str, Counter] = {}
    for e in examples:
        if "category" in e.labels and e.labels.get("department"):
            by_cat.setdefault(e.labels["category"], Counter())[e.labels["department"]] += e.weight
    out = {}
    for cat, depts in by_cat.items():
        dept, n = depts.most_common(1)[0]
        if sum(depts.values()) >= ROUTE_MIN and n / sum(depts.values()) >= ROUTE_SHARE:
            out[cat] = dept
    return out


def _identity(doc: list[str]) -> list[str]:
    return doc


def main() -> int:
    """Rebuild the model that ships with Frontdesk from the shipped corpus alone:
    ``python -m voice.intake.training [--out PATH]`` (default: voice/intake/default_model.npz)."""
    import argparse

    from voice.intake.model import SHIPPED

    ap = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=SHIPPED)
    args = ap.parse_args()
    model = train(shipped_examples(), note={"trained_by": "shipped corpus"})
    model.save(args.out)
    print(f"{args.out}: {model.meta['examples']} examples, {model.meta['features']} features")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
