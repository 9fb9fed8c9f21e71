"""Tuning harness for the intake model: train on the training sets (train_*.jsonl) alone, score on
the dev split (voice/intake/training_data/dev.jsonl), which that model has never seen. This is
where changes to features, heads and guards are judged; the frozen test splits are not read.

Prints one JSON document: per-field accuracy with the majority baseline (taken from the
training sets), the department confusion matrix overall and per true category, and the first
misses per field. Usage: python bench/intake_dev.py [--misses N] [--save MODEL.npz]

``--leave-one-writer-out``: each training file is one writer's; for each, train on the other
writers' files, score that writer's rows and the dev split. A change that helps only the writers
it was trained on shows here as a gap between the two; the mean over held-out writers is the
cross-writer figure. Usage: python bench/intake_dev.py --leave-one-writer-out
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice.intake.evaluation import FieldScore, expected, score, transcript_of  # noqa: E402
from voice.intake.extract import extract  # noqa: E402
from voice.intake.model import IntakeModel  # noqa: E402
from voice.intake.training import TRAINING_DATA, examples_from_rows, train  # noqa: E402


def load(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--misses", type=int, default=0, help="list the first N misses per field")
    ap.add_argument("--save", type=Path, help="keep the train-only model here")
    ap.add_argument("--model", type=Path, help="score this model instead of training one")
    ap.add_argument("--leave-one-writer-out", action="store_true",
                    help="train without each writer's file in turn; score it and dev")  # fmt: skip
    args = ap.parse_args()
    dev = load(TRAINING_DATA / "dev.jsonl")
    if args.leave_one_writer_out:
        return leave_one_writer_out(dev)
    train_rows = [r for p in sorted(TRAINING_DATA.glob("train_*.jsonl")) for r in load(p)]
    t0 = time.monotonic()
    if args.model:
        model = IntakeModel.load(args.model)
    else:
        model = train(examples_from_rows(train_rows, "shipped:train"))
        if args.save:
            model.save(args.save)
    seconds = time.monotonic() - t0

    drafts = {r["id"]: extract(transcript_of(r), model=model) for r in dev}
    # score() drafts each row itself; hand it the drafts already made, in row order
    order = iter([drafts[r["id"]] for r in dev])
    fields = score(dev, lambda _t: next(order), baseline_from=train_rows, keep_misses=args.misses)

    confusion: Counter = Counter()
    by_cat: dict[str, Counter] = defaultdict(Counter)
    for r in dev:
        want, got = expected(r, "department"), drafts[r["id"]].department
        confusion[f"{want} -> {got}"] += want != got
        by_cat[r["expected"]["category"]]["right" if want == got else f"{want} -> {got}"] += 1
    report = {
        "trained_on": len(train_rows),
        "dev_rows": len(dev),
        "train_seconds": round(seconds, 1),
        "fields": {
            n: {"accuracy": round(s.accuracy, 3), "majority_baseline": round(s.baseline, 3),
                "rows": s.total, **({"misses": s.misses} if args.misses else {})}
            for n, s in fields.items()
        },  # fmt: skip
        "department_errors": {k: v for k, v in confusion.most_common() if v},
        "department_by_true_category": {c: dict(v.most_common()) for c, v in by_cat.items()},
    }
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


def leave_one_writer_out(dev: list[dict]) -> int:
    writers = {p.stem: load(p) for p in sorted(TRAINING_DATA.glob("train_*.jsonl"))}
    held_out: dict[str, dict[str, FieldScore]] = {}
    on_dev: dict[str, dict[str, FieldScore]] = {}
    for name, rows in writers.items():
        rest = [r for other, rs in writers.items() if other != name for r in rs]
        model = train(examples_from_rows(rest, "shipped:train"))

        def draft(t, model=model):
            return extract(t, model=model)

        held_out[name] = score(rows, draft, baseline_from=rest)
        on_dev[name] = score(dev, draft, baseline_from=rest)

    def table(runs: dict[str, dict[str, FieldScore]]) -> dict:
        out: dict = {}
        for field in next(iter(runs.values())):
            per = {w: round(s[field].accuracy, 3) for w, s in runs.items() if field in s}
            base = [s[field].baseline for s in runs.values() if field in s]
            out[field] = {"mean": round(sum(per.values()) / len(per), 3),
                          "majority_baseline": round(sum(base) / len(base), 3), **per}  # fmt: skip
        return out

    report = {
        "writers": {w: len(rs) for w, rs in writers.items()},
        "held_out_writer": table(held_out),
        "dev_without_the_writer": table(on_dev),
    }
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
