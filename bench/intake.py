"""Intake accuracy per field on a frozen test split, the majority-class baseline beside each
figure, per speaking style, and throughput.

The test split (tests/data/intake/corpus/test.jsonl) was written by people who had not read
voice/intake, and frozen before any tuning (its SHA-256 is in the corpus README and checked by
a test). It shares its writers with the dev split the model is trained on; the cross-writer
split (test_xwriter.jsonl, ``--split xwriter``) is by a writer who wrote nothing the model was
trained on. The template set (tests/data/intake/dev.jsonl) is reported as a regression set only.
Prints one JSON document. Usage: python bench/intake.py [--split test|xwriter|dev] [--misses N]
[--model MODEL.npz] (misses only for --split dev: the test splits' rows are not read to tune on;
the shipped model unless --model names another, e.g. the previous one to compare)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice.intake.evaluation import score, transcript_of  # noqa: E402
from voice.intake.extract import extract, extract_many  # noqa: E402
from voice.intake.model import IntakeModel, load_model  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "intake" / "corpus"
DEV = ROOT / "voice" / "intake" / "training_data" / "dev.jsonl"
TEMPLATES = ROOT / "tests" / "data" / "intake" / "dev.jsonl"
SPLITS = {"test": CORPUS / "test.jsonl", "xwriter": CORPUS / "test_xwriter.jsonl", "dev": DEV}


def load(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=sorted(SPLITS), default="test")
    ap.add_argument("--misses", type=int, default=0, help="list the first N misses per field (dev)")
    ap.add_argument("--model", type=Path, help="score this model file instead of the shipped one")
    args = ap.parse_args()
    if args.misses and args.split != "dev":
        ap.error("--misses reads rows: only on --split dev")
    rows = load(SPLITS[args.split])
    train = load(DEV)  # the majority baseline: the commonest label of the yardstick's dev split

    model = IntakeModel.load(args.model) if args.model else load_model()

    def draft(t):
        return extract(t, model=model)

    fields = score(rows, draft, baseline_from=train, keep_misses=args.misses)
    by_style: dict[str, dict[str, float]] = defaultdict(dict)
    styles = sorted({r["style"] for r in rows})
    for st in styles:
        part = [r for r in rows if r["style"] == st]
        for name, s in score(part, draft, baseline_from=train).items():
            if name in ("category", "address", "department", "urgent"):
                by_style[st][name] = round(s.accuracy, 3)
    templates = score(load(TEMPLATES), draft)
    texts = [transcript_of(r) for r in rows]
    # CPU time of this process, not wall time: the figure holds on a shared, busy machine
    start, n = time.process_time(), 0
    while time.process_time() - start < 3.0:
        for t in texts:
            extract(t, model=model)
            n += 1
    one_by_one = round(n / (time.process_time() - start))
    start, n = time.process_time(), 0
    while time.process_time() - start < 3.0:
        # the whole split at once, as re-reading many calls does
        n += len(extract_many(texts, model=model))
    batched = round(n / (time.process_time() - start))
    report = {
        "split": args.split,
        "model": {k: model.meta.get(k) for k in ("trained_at", "examples", "trained_by")},
        "transcripts": len(rows),
        "fields": {
            name: {"accuracy": round(s.accuracy, 3), "majority_baseline": round(s.baseline, 3),
                   "rows": s.total, **({"misses": s.misses} if args.misses else {})}
            for name, s in fields.items()
        },  # fmt: skip
        "by_style": by_style,
        "template_regression_set": {n: round(s.accuracy, 3) for n, s in templates.items()},
        # the full extraction (every field of the draft), one call at a time as the worker
        # drafts, and a batch of calls at once (extract_many) as re-reading many calls does
        "transcripts_per_second_one_core": {"one_by_one": one_by_one, "batched": batched},
    }
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
