"""ASR figures on the yardstick and the committed fixtures, printed as one JSON document.

- ``yardstick``: the ASR evaluation set (tests/data/asr_eval, ``--split test`` by default,
  the frozen split; tune on ``--split dev`` only): per system (``--systems``, see
  bench/asr_yardstick.py) and per condition and kind, CER, digit-sequence exactness, words
  lost at the ends of utterances, what intake registers (address, phone, category), each
  phone number or address the draft lost told misheard (by the recogniser) or in the text
  (missed by intake), RTF, load time and peak RSS.

- ``configs``: per Whisper decoding configuration, CER and real-time factor (with VAD)
  on the clean 16 kHz and telephone-band 8 kHz Mandarin fixtures and on the 55 s two-party
  call (CER per speaker), model load time; ``default`` is what the product runs.
- ``prompts``: the domain-vocabulary gain: CER and intake accuracy (address, category)
  with no prompt, the script-only prompt, the default prompt and the default prompt with
  the front desk's words and community names.
- ``ready``: transcript-ready latency after hangup with incremental transcription: the
  two-party call repeated to ~2 minutes is written into a growing ``.partial`` recording
  in real time (``--speed``), followed as the worker does, and timed from hangup to
  transcript + draft done; measured in a fresh process, whose peak RSS is the worker's.

CER maps digits to Chinese numerals (Whisper writes "301" where the reference says 三零一)
and drops punctuation. Usage: python bench/asr.py [--only yardstick,configs,prompts,ready]
[--split test|dev] [--systems pipeline,whisper_base_plain] [--items] [--speed 1.0]   (needs whisper-base installed: make model)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.asr_yardstick import ABLATIONS, SYSTEMS, bench_yardstick, run_one  # noqa: E402
from frontdesk.config import AsrConfig, load_config  # noqa: E402
from voice.asr.engines import load_engine  # noqa: E402
from voice.asr.metrics import cer  # noqa: E402
from voice.asr.models import resolve  # noqa: E402
from voice.asr.transcribe import transcribe_file  # noqa: E402
from voice.asr.vocabulary import FRONT_DESK_WORDS, build_prompt  # noqa: E402
from voice.intake.extract import extract  # noqa: E402

SPEECH = ROOT / "tests" / "data" / "speech"
MANIFEST = json.loads((SPEECH / "manifest.json").read_text(encoding="utf-8"))
TURNS = json.loads((SPEECH / "call_two_party.json").read_text(encoding="utf-8"))
DEFAULT_PROMPT = AsrConfig().initial_prompt
# names a property company would configure (asr.community_names); not in the fixtures'
# speech, so they measure what extra prompt text costs, not what it gains
COMMUNITY = ["阳光花园", "翠湖苑"]

# name → WhisperEngine options; "default" is what the product runs
CONFIGS: dict[str, dict] = {
    "default": {},
    "full_30s_window": {"pad_s": None},  # faster-whisper's own padding (before this change)
    "no_word_times": {"word_timestamps": False},
    "without_timestamp_tokens": {"without_timestamps": True},
    "beam_5": {"beam_size": 5},
    "threads_1": {"threads": 1},
}


def rss_mb() -> float:
    """Peak RSS of this process image (VmHWM; ru_maxrss would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def load(models_dir: Path, prompt: str | None, hotwords: str | None = None, **opts):
    t0 = time.perf_counter()
    engine = load_engine(
        resolve("whisper-base", models_dir), initial_prompt=prompt, hotwords=hotwords, **opts
    )
    return engine, round(time.perf_counter() - t0, 2)


def fixtures(engine) -> dict:
    out: dict = {}
    for band, suffix in (("clean_16k", ""), ("telephone_8k", "_8k")):
        cers, audio_s, busy_s = [], 0.0, 0.0
        ok = {"address": 0, "category": 0}
        for item in MANIFEST:
            t0 = time.perf_counter()
            tr = transcribe_file(SPEECH / f"{item['id']}{suffix}.wav", engine)
            busy_s += time.perf_counter() - t0
            audio_s += tr.duration_s
            cers.append(cer(item["text"], tr.text()))
            d, exp = extract(tr), item["expected"]  # intake end to end: what the draft says
            a = exp["address"]
            ok["address"] += (d.address.building, d.address.unit, d.address.room,
                              d.address.public_area) == (a["building"], a["unit"], a["room"], a["public_area"])  # fmt: skip
            ok["category"] += d.category == exp["category"]
        out[band] = {
            "cer_mean": round(sum(cers) / len(cers), 3),
            "cer_max": round(max(cers), 3),
            "rtf": round(busy_s / audio_s, 3),
            "intake_accuracy": {k: round(v / len(MANIFEST), 3) for k, v in ok.items()},
        }
    return out


def two_party(engine) -> dict:
    t0 = time.perf_counter()
    tr = transcribe_file(SPEECH / "call_two_party.wav", engine)
    busy = time.perf_counter() - t0
    ref = {s: "".join(t["text"] for t in TURNS if t["speaker"] == s) for s in ("caller", "agent")}
    words = [w for u in tr.utterances for w in u.words]
    return {
        "audio_s": tr.duration_s,
        "rtf": round(busy / tr.duration_s, 3),
        "cer": {s: round(cer(r, tr.text(s)), 3) for s, r in ref.items()},
        "utterances": len(tr.utterances),
        "words_with_times": len(words),
    }


def bench_configs(models_dir: Path) -> dict:
    out = {}
    for name, opts in CONFIGS.items():
        engine, load_s = load(models_dir, DEFAULT_PROMPT, **opts)
        out[name] = {"options": opts, "load_s": load_s, **fixtures(engine),
                     "two_party_call": two_party(engine)}  # fmt: skip
        del engine
    return out


def bench_prompts(models_dir: Path) -> dict:
    address = "以下是普通话的句子。我是七栋一单元六零二的。"  # the default before the words
    variants = {
        "none": (None, None),
        "script_only": ("以下是普通话的句子。", None),
        "address_only": (address, None),
        "default": (DEFAULT_PROMPT, None),  # address + FRONT_DESK_WORDS
        "default+community": (build_prompt(DEFAULT_PROMPT, COMMUNITY), None),
        "address+hotwords_option": (address, " ".join(FRONT_DESK_WORDS)),
    }
    out = {}
    for name, (prompt, hotwords) in variants.items():
        engine, _ = load(models_dir, prompt, hotwords)
        out[name] = {"prompt": prompt, "hotwords": hotwords, **fixtures(engine),
                     "two_party_call": two_party(engine)}  # fmt: skip
    return out


def bench_ready(models_dir: Path, speed: float, repeat: int = 2) -> dict:
    """Hangup → transcript and draft done, for a call followed live as the worker does."""
    import numpy as np
    import soundfile as sf

    from recordings.archive import Archive
    from tests.asr.growing import GrowingCall, stereo_call
    from voice.asr.live import LiveFollower, load_live
    from voice.asr.vad import VadOptions

    engine, load_s = load(models_dir, DEFAULT_PROMPT)
    data, rate = sf.read(str(SPEECH / "call_two_party.wav"), dtype="int16", always_2d=True)
    data = np.concatenate([data] * repeat)
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive(Path(tmp))
        call_uuid = str(uuid.uuid4())
        writer = GrowingCall(archive.root, call_uuid, stereo_call(data), rate, speed=speed)
        follower = LiveFollower(lambda: engine, VadOptions())
        live_busy = 0.0
        writer.start()
        while writer.hangup_at is None:  # the idle worker's loop (poll 0.2 s)
            t0 = time.perf_counter()
            done = follower.poll(archive.root / ".partial")
            live_busy += time.perf_counter() - t0
            if not done:
                time.sleep(0.2)
        # hangup: the phone finalizes the stereo file, the worker claims the job
        t_hangup = writer.hangup_at
        info = archive.finalize(call_uuid, __import__("datetime").datetime.now())
        follower.poll(archive.root / ".partial")  # the call is gone: its result is handed over
        live = load_live(archive.root / ".partial", call_uuid)
        tr = transcribe_file(archive.resolve(info.path), engine, live=live)
        extract(tr)
        ready_s = time.monotonic() - t_hangup
    return {
        "call_audio_s": round(len(data) / rate, 1),
        "speed": speed,
        "load_s": load_s,
        "segments_done_live": len(live.segments),
        "utterances": len(tr.utterances),
        "live_busy_share": round(live_busy / (len(data) / rate / speed), 3),
        "ready_after_hangup_s": round(ready_s, 2),
        "worker_rss_mb": rss_mb(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="yardstick,configs,prompts,ready")
    ap.add_argument("--split", default="test", choices=("test", "dev"))
    ap.add_argument("--systems", default=",".join(SYSTEMS),
                    help=f"comma-separated, of {', '.join(SYSTEMS + ABLATIONS)}")  # fmt: skip
    ap.add_argument("--items", action="store_true", help="per-recording figures and texts too")
    ap.add_argument("--yardstick-one", help=argparse.SUPPRESS)
    ap.add_argument("--speed", type=float, default=1.0, help="recording speed × real time")
    ap.add_argument("--ready-here", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    cfg = load_config(os.environ.get("FRONTDESK_DATA_DIR", ROOT / "var"))
    models_dir = cfg.models_dir
    if not (models_dir / "whisper-base").is_dir():
        print(f"no model at {models_dir / 'whisper-base'}: run `make model` first", file=sys.stderr)
        return 2
    if args.yardstick_one:
        json.dump(run_one(args.yardstick_one, args.split, models_dir), sys.stdout, ensure_ascii=False)
        return 0
    if args.ready_here:
        json.dump(bench_ready(models_dir, args.speed), sys.stdout)
        return 0
    parts = set(args.only.split(","))
    out: dict = {"cores": os.cpu_count(), "load_avg_before": os.getloadavg()}
    if "yardstick" in parts:
        out["yardstick"] = bench_yardstick(args.split, args.systems.split(","), args.items)
    if "configs" in parts:
        out["configs"] = bench_configs(models_dir)
    if "prompts" in parts:
        out["prompts"] = bench_prompts(models_dir)
    if "ready" in parts:  # a fresh process: its peak RSS is one worker's
        r = subprocess.run([sys.executable, __file__, "--ready-here", "--speed", str(args.speed)],
                           capture_output=True, text=True, check=True)  # fmt: skip
        out["ready"] = json.loads(r.stdout)
    out["load_avg_after"] = os.getloadavg()
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
