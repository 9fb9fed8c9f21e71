"""Leave-one-writer-out over the whole training corpus: for each file of
voice/intake/training_data (train_a … train_i, one writer or share each, and dev.jsonl), train on
all the other files, draft the held-out file's rows and score every field, the majority-class
baseline (taken from the files trained on) beside each figure.

This is the yardstick for changes meant to generalise to writers the model never saw: a change
that helps only the writers it was trained on shows as no gain here. The frozen test splits are
not read. Unlike ``bench/intake_dev.py --leave-one-writer-out`` the dev split is a held-out
writer like the others (it is trained on in the shipped model).

Usage: python bench/intake_lowo.py [--cache DIR] [--json OUT.json] [--rows OUT.jsonl]
  --cache DIR   keep each fold's model there, keyed by the training code and data: a change to
                extract.py alone is scored again without retraining
  --rows OUT    each held-out row's urgent label, draft and the urgent head's probability (for
                looking at the training corpus's misses in aggregate)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice.intake.evaluation import FieldScore, expected, score, transcript_of  # noqa: E402
from voice.intake.extract import _read, _said_urgent, extract_many  # noqa: E402
from voice.intake.model import IntakeModel  # noqa: E402
from voice.intake.training import TRAINING_DATA, examples_from_rows, train  # noqa: E402

# what a fold's model depends on: a change elsewhere (extract.py) reuses the cached models
TRAINING_CODE = [ROOT / "voice/intake/training.py", ROOT / "voice/intake/features.py",
                 ROOT / "voice/intake/prefilter.py"]  # fmt: skip


def load(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def fold_key(held_out: str) -> str:
    h = hashlib.sha256(held_out.encode())
    for p in TRAINING_CODE + sorted(TRAINING_DATA.glob("*.jsonl")):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def fold_model(name: str, rest: list[dict], cache: Path | None) -> IntakeModel:
    path = cache / f"lowo-{name}-{fold_key(name)}.npz" if cache else None
    if path and path.exists():
        return IntakeModel.load(path)
    model = train(examples_from_rows(rest, "shipped:train"))
    if path:
        model.save(path)
    return model


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, help="keep/reuse each fold's model in this directory")
    ap.add_argument("--json", type=Path, help="write the table as JSON here too")
    ap.add_argument("--rows", type=Path, help="write each held-out row's urgent draft here")
    args = ap.parse_args()
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    files = {p.stem: load(p) for p in sorted(TRAINING_DATA.glob("*.jsonl"))}
    runs: dict[str, dict[str, FieldScore]] = {}
    dump = []
    t0 = time.monotonic()
    for name, rows in files.items():
        rest = [r for other, rs in files.items() if other != name for r in rs]
        model = fold_model(name, rest, args.cache)
        drafts = extract_many([transcript_of(r) for r in rows], model=model)
        order = iter(drafts)
        runs[name] = score(rows, lambda _t, it=order: next(it), baseline_from=rest)
        if args.rows:
            calls = [_read(transcript_of(r)) for r in rows]
            vectors = model.vectorize_calls([(c.caller_text, c.agent_text) for c in calls])
            for r, d, c, v in zip(rows, drafts, calls, vectors, strict=True):
                p = model.predict("urgent", v)
                dump.append({"file": name, "id": r["id"], "want": bool(expected(r, "urgent")),
                             "got": bool(d.urgent), "category": r["expected"]["category"],
                             "p_model": p.probability if p.label == "True" else 1 - p.probability,
                             "rule": _said_urgent(c.caller_text)})  # fmt: skip
        print(f"{name}: urgent {runs[name]['urgent'].accuracy:.3f} "
              f"({time.monotonic() - t0:.0f} s)", file=sys.stderr)  # fmt: skip

    table: dict[str, dict] = {}
    for field in next(iter(runs.values())):
        per = {w: s[field] for w, s in runs.items() if field in s}
        table[field] = {
            "mean": round(sum(s.accuracy for s in per.values()) / len(per), 4),
            "baseline_mean": round(sum(s.baseline for s in per.values()) / len(per), 4),
            "pooled": round(sum(s.right for s in per.values()) / sum(s.total for s in per.values()), 4),
            "per_file": {w: [round(s.accuracy, 3), round(s.baseline, 3), s.total] for w, s in per.items()},
        }  # fmt: skip
    print(f"{'held out':<10}{'rows':>6}{'urgent':>8}{'majority':>10}")
    for w, (acc, base, n) in table["urgent"]["per_file"].items():
        print(f"{w:<10}{n:>6}{acc:>8.3f}{base:>10.3f}")
    u = table["urgent"]
    pooled = f"(pooled {u['pooled']:.4f})"
    print(f"{'mean':<10}{'':>6}{u['mean']:>8.4f}{u['baseline_mean']:>10.4f}  {pooled}")
    print()
    print(f"{'field':<16}{'mean':>8}{'pooled':>8}{'majority':>10}")
    for field, t in table.items():
        print(f"{field:<16}{t['mean']:>8.4f}{t['pooled']:>8.4f}{t['baseline_mean']:>10.4f}")
    if args.json:
        args.json.write_text(json.dumps(table, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.rows:
        with open(args.rows, "w", encoding="utf-8") as f:
            for d in dump:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
