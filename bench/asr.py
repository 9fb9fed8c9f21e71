"""ASR figures on the committed fixtures: CER per engine/model and band, real-time factor
with VAD, model load time and RSS; and the time to transcribe a two-party call.

CER is computed on characters after mapping digits to Chinese numerals (Whisper writes
"301" where the reference says 三零一) and dropping punctuation.
Usage: python bench/asr.py   (needs whisper-base installed: make model)
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from frontdesk.config import AsrConfig, load_config  # noqa: E402
from voice.asr.engines import load_engine  # noqa: E402
from voice.asr.metrics import cer  # noqa: E402
from voice.asr.models import resolve  # noqa: E402
from voice.asr.transcribe import transcribe_file  # noqa: E402
from voice.intake.extract import extract  # noqa: E402

SPEECH = ROOT / "tests" / "data" / "speech"


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run(engine_name: str, model_dir: Path, prompt: str | None) -> dict:
    t0 = time.perf_counter()
    engine = load_engine(resolve(str(model_dir), model_dir.parent), initial_prompt=prompt)
    load_s = time.perf_counter() - t0
    manifest = json.loads((SPEECH / "manifest.json").read_text(encoding="utf-8"))
    out: dict = {"engine": engine_name, "model": model_dir.name, "prompt": prompt,
                 "load_s": round(load_s, 2), "per_fixture": {}}  # fmt: skip
    for band, suffix in (("clean_16k", ""), ("telephone_8k", "_8k")):
        cers, audio_s, busy_s = [], 0.0, 0.0
        intake_ok = {"address": 0, "category": 0}
        for item in manifest:
            t0 = time.perf_counter()
            tr = transcribe_file(SPEECH / f"{item['id']}{suffix}.wav", engine)
            busy_s += time.perf_counter() - t0
            audio_s += tr.duration_s
            c = cer(item["text"], tr.text())
            cers.append(c)
            out["per_fixture"][f"{item['id']}{suffix}"] = round(c, 3)
            d = extract(tr)  # intake end to end: what the draft would say
            exp = item["expected"]
            a = exp["address"]
            intake_ok["address"] += (d.address.building, d.address.unit, d.address.room, d.address.public_area) == (
                a["building"], a["unit"], a["room"], a["public_area"])  # fmt: skip
            intake_ok["category"] += d.category == exp["category"]
        out[band] = {"cer_mean": round(sum(cers) / len(cers), 3), "rtf": round(busy_s / audio_s, 3),
                     "intake_accuracy": {k: round(v / len(manifest), 3) for k, v in intake_ok.items()}}  # fmt: skip
    t0 = time.perf_counter()
    call = transcribe_file(SPEECH / "call_two_party.wav", engine)
    out["two_party_call"] = {"audio_s": call.duration_s, "transcribe_s": round(time.perf_counter() - t0, 2),
                             "utterances": len(call.utterances)}  # fmt: skip
    out["rss_mb_after"] = rss_mb()
    return out


def main() -> int:
    cfg = load_config(os.environ.get("FRONTDESK_DATA_DIR", ROOT / "var"))
    whisper = cfg.models_dir / "whisper-base"
    if not whisper.is_dir():
        print(f"no model at {whisper}: run `make model` first", file=sys.stderr)
        return 2
    results = [
        run("whisper", whisper, AsrConfig().initial_prompt),
        run("whisper", whisper, "以下是普通话的句子。"),
    ]
    json.dump(
        {"cores": os.cpu_count(), "results": results}, sys.stdout, ensure_ascii=False, indent=2
    )
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
