"""Drafts of every training, dev and template row as JSON lines, for checking that a speed-up
changes no output: run it before and after with the same model and diff the two files.
Usage: python scripts/intake_golden.py OUT.jsonl [--model MODEL.npz]"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice.intake.evaluation import transcript_of  # noqa: E402
from voice.intake.extract import extract  # noqa: E402
from voice.intake.model import load_model  # noqa: E402
from voice.intake.training import TRAINING_DATA  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--model", type=Path)
    args = ap.parse_args()
    model = load_model(args.model)
    paths = sorted(TRAINING_DATA.glob("*.jsonl")) + [ROOT / "tests/data/intake/dev.jsonl"]
    with open(args.out, "w", encoding="utf-8") as f:
        for p in paths:
            for line in p.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    r = json.loads(line)
                    d = dataclasses.asdict(extract(transcript_of(r), model=model))
                    f.write(json.dumps({"id": r["id"], **d}, ensure_ascii=False, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
