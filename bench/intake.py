"""Intake accuracy per field on a frozen test split, the majority-class baseline beside each
figure, per speaking style, and throughput.

The test split (tests/data/intake/corpus/test.jsonl) was written by people who had not read
voice/intake, and frozen before any tuning (its SHA-256 is in the corpus README and checked by
a test). It shares its writers with the dev split the model is trained on; the cross-writer
split (test_xwriter.jsonl, ``--split xwriter``) is by a writer who wrote nothing the model was
trained on. The template set (tests/data/intake/dev.jsonl) is reported as a regression set only.
Prints one JSON document. Usage: python bench/intake.py [--split test|xwriter|dev] [--misses N]
[--model MODEL.npz] [--seconds S] [--speed-only] (misses only for --split dev: the test splits'
rows are not read to tune on; the shipped model unless --model names another, e.g. the previous
one to compare; --speed-only: the throughput alone, no scoring, for runs interleaved with another
checkout's on a shared machine)

Throughput is CPU time of this process (not wall time, which other processes' load inflates),
one call at a time (``extract``, as the worker drafts) and the whole split at once
(``extract_many``): passes over the split until S CPU seconds (3 by default) have gone, after one
pass to warm up; the drafts, passes and the load average are printed beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
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


def _cpu_rate(run, seconds: float) -> dict:
    """Drafts per CPU second of ``run`` (one pass over the split, returning its drafts)."""
    run()  # warm: the model loaded, the caches of the first pass filled
    start, n, passes = time.process_time(), 0, 0
    while time.process_time() - start < seconds:
        n += run()
        passes += 1
    cpu = time.process_time() - start
    return {"per_second": round(n / cpu), "cpu_us_per_draft": round(cpu / n * 1e6, 1),
            "drafts": n, "passes": passes}  # fmt: skip


def throughput(texts: list, model: IntakeModel, seconds: float) -> dict:
    """The full extraction (every field of the draft), one call at a time as the worker drafts,
    and a batch of calls at once (extract_many) as re-reading many calls does."""
    load_before = os.getloadavg()[0]

    def one_by_one() -> int:
        for t in texts:
            extract(t, model=model)
        return len(texts)

    one = _cpu_rate(one_by_one, seconds)
    many = _cpu_rate(lambda: len(extract_many(texts, model=model)), seconds)
    return {
        "transcripts_per_second_one_core": {"one_by_one": one["per_second"], "batched": many["per_second"]},
        "throughput_cpu_time": {"one_by_one": one, "batched": many,
                                "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]},
    }  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=sorted(SPLITS), default="test")
    ap.add_argument("--misses", type=int, default=0, help="list the first N misses per field (dev)")
    ap.add_argument("--model", type=Path, help="score this model file instead of the shipped one")
    ap.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per throughput figure")
    ap.add_argument("--speed-only", action="store_true", help="throughput alone, no scoring")
    args = ap.parse_args()
    if args.misses and args.split != "dev":
        ap.error("--misses reads rows: only on --split dev")
    rows = load(SPLITS[args.split])
    train = load(DEV)  # the majority baseline: the commonest label of the yardstick's dev split

    model = IntakeModel.load(args.model) if args.model else load_model()

    def draft(t):
        return extract(t, model=model)

    texts = [transcript_of(r) for r in rows]
    speed = throughput(texts, model, args.seconds)
    if args.speed_only:
        json.dump({"split": args.split, "transcripts": len(rows), **speed}, sys.stdout, indent=1)
        print()
        return 0
    fields = score(rows, draft, baseline_from=train, keep_misses=args.misses)
    by_style: dict[str, dict[str, float]] = defaultdict(dict)
    styles = sorted({r["style"] for r in rows})
    for st in styles:
        part = [r for r in rows if r["style"] == st]
        for name, s in score(part, draft, baseline_from=train).items():
            if name in ("category", "address", "department", "urgent"):
                by_style[st][name] = round(s.accuracy, 3)
    templates = score(load(TEMPLATES), draft)
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
        **speed,
    }
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
