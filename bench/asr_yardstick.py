"""The ASR yardstick (tests/data/asr_eval): per system and per condition, CER, digit-sequence
exactness, words lost at the ends of utterances, what intake registers, RTF and memory.

Used by bench/asr.py (``--only yardstick``); each system runs in a fresh process so its
peak RSS is its own. Systems:

- ``whisper_base_plain``: Whisper base as anyone would run it: faster-whisper's defaults
  (beam 5, its temperature fallback), language zh, no prompt, no VAD, no project code;
  each channel of the recording at once.
- ``pipeline``: what the worker runs (``transcribe_file`` with the configured engine,
  prompt and VAD: each speaker's turn as one window).
- ``pipeline_refined``: what the worker stores in the end with ``[asr] refine`` on: the
  pipeline's draft pass, then each channel that takes turns with another (a two-party
  call's) whole, its words shared out among its turns; a single speaker keeps the draft
  (``transcribe_turns(whole=True)``, the refine job); the figures are the refined
  transcript's, the time and CPU those of both passes.
- ``pipeline_no_numbers``: the pipeline without number readings (``number_readings=0``: an
  utterance whose phone number or room is not well formed is not decoded again).
- ``pipeline_beam5``: the pipeline with beam search 5 (the cost of a wider search).
- ``pipeline_fallback``: the pipeline with faster-whisper's temperature fallback (0.2, 0.4)
  where a decode loops or scores low (off by default).

Ablations (dev split: which part of the pipeline costs what against plain Whisper):

- ``pipeline_script_prompt``: the pipeline with only the script prompt (以下是普通话的句子。).
- ``pipeline_no_vad``: the pipeline's engine on each whole channel (no VAD cuts).
- ``pipeline_plain_decode``: the pipeline with plain Whisper's decoding (beam 5, fallback).
- ``pipeline_full_window``: the pipeline with Whisper's 30 s window (no short window).
- ``pipeline_whole_trimmed``: each whole channel from its first to its last VAD segment.
- ``pipeline_turns``: each speaker's turn as one window (``transcribe_turns``; the longest
  pause inside a turn from ``BENCH_TURN_GAP``, 3 s), a segment no decoded word falls in
  decoded alone; ``pipeline_turns_no_flush`` without that; ``pipeline_turns_whole``: each
  channel decoded whole and its words shared out among its turns by time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "asr_eval"
SYSTEMS = ("whisper_base_plain", "pipeline", "pipeline_refined", "pipeline_no_numbers",
           "pipeline_beam5", "pipeline_fallback")
ABLATIONS = ("pipeline_script_prompt", "pipeline_no_vad", "pipeline_plain_decode",
             "pipeline_full_window", "pipeline_whole_trimmed", "pipeline_turns",
             "pipeline_turns_no_flush", "pipeline_turns_whole")
TELEPHONE = ("band8k", "ulaw", "alaw", "loss10", "noisy")


def items(split: str) -> list[dict]:
    return json.loads((EVAL / f"{split}.json").read_text(encoding="utf-8"))


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


# -- one system, in this process --------------------------------------------------------
class Plain:
    """Whisper base with faster-whisper's defaults: the baseline before the project."""

    def __init__(self, model_path: Path, threads: int = 2) -> None:
        from faster_whisper import WhisperModel

        self.m = WhisperModel(str(model_path), device="cpu", compute_type="int8", cpu_threads=threads)

    def transcribe(self, path: Path):
        from domain.transcript import Transcript, Utterance
        from voice.asr.audio import load_audio, to_asr_rate
        from voice.asr.normalise import to_simplified  # scoring reads simplified script

        data, rate = load_audio(path)
        speakers = ["caller", "agent"] if data.shape[1] == 2 else ["unknown"]
        utts = []
        for ch, who in enumerate(speakers):
            segs, _ = self.m.transcribe(to_asr_rate(data[:, ch], rate), language="zh")
            for s in segs:
                text = to_simplified(s.text.strip())
                if text:
                    utts.append(Utterance(who, float(s.start), float(s.end), text))
        utts.sort(key=lambda u: u.start)
        return Transcript(utts, "whisper", "whisper-base", "zh", len(data) / rate)


def load_system(name: str, models_dir: Path):
    """→ (transcribe(path) -> Transcript, load seconds)."""
    from frontdesk.config import AsrConfig
    from voice.asr.engines import load_engine
    from voice.asr.models import resolve
    from voice.asr.transcribe import transcribe_file, transcribe_turns, transcribe_whole

    t0 = time.perf_counter()
    info = resolve(os.environ.get("BENCH_ASR_MODEL", "whisper-base"), models_dir)
    if name == "whisper_base_plain":
        plain = Plain(info.path)
        return plain.transcribe, time.perf_counter() - t0
    cfg = AsrConfig()
    opts: dict = {}
    if name == "pipeline_beam5":
        opts["beam_size"] = 5
    if name == "pipeline_fallback":
        opts["fallback"] = True
    if name == "pipeline_no_numbers":
        opts["number_readings"] = 0
    if name == "pipeline_plain_decode":
        opts.update(beam_size=5, fallback=True)
    if name == "pipeline_full_window":
        opts["pad_s"] = None
    prompt = "以下是普通话的句子。" if name == "pipeline_script_prompt" else cfg.prompt()
    engine = load_engine(info, language=cfg.language, initial_prompt=prompt,
                         threads=cfg.threads, **opts)  # fmt: skip
    if name == "pipeline_no_vad":
        return (
            lambda p: transcribe_whole(p, engine, cfg.vad_aggressiveness, cfg.vad_frame_ms)
        ), time.perf_counter() - t0
    if name == "pipeline_whole_trimmed":
        return (
            lambda p: transcribe_whole(p, engine, cfg.vad_aggressiveness, cfg.vad_frame_ms, trim=True)
        ), time.perf_counter() - t0
    if name in ("pipeline_turns", "pipeline_turns_no_flush", "pipeline_turns_whole"):
        gap = float(os.environ.get("BENCH_TURN_GAP", "3.0"))
        flush, whole = name != "pipeline_turns_no_flush", name == "pipeline_turns_whole"
        return (
            lambda p: transcribe_turns(p, engine, cfg.vad_aggressiveness, cfg.vad_frame_ms,
                                       max_gap_s=gap, flush=flush, whole=whole)  # fmt: skip
        ), time.perf_counter() - t0
    if name == "pipeline_refined":  # what the worker stores in the end: both passes' cost
        def refined(p):
            first = transcribe_file(p, engine, cfg.vad_aggressiveness, cfg.vad_frame_ms)
            return transcribe_turns(p, engine, cfg.vad_aggressiveness, cfg.vad_frame_ms,
                                    draft=first, whole=True)  # fmt: skip

        return refined, time.perf_counter() - t0
    return (lambda p: transcribe_file(p, engine, cfg.vad_aggressiveness, cfg.vad_frame_ms)), (
        time.perf_counter() - t0
    )


# how a digit may be written in a transcript (幺 heard as 要/腰, 洞 for 0), and what may stand
# between the groups of one number
_LOOSE = {**{c: str(i) for i, c in enumerate("零一二三四五六七八九")}, **{str(i): str(i) for i in range(10)},
          "〇": "0", "洞": "0", "幺": "1", "要": "1", "腰": "1", "两": "2"}  # fmt: skip
_NUMBER_SEP = set(" ,，、-.·—")


def _numbers_in(text: str) -> list[str]:
    """The numbers in ``text`` read loosely, separators between groups dropped; 十六 → 16."""
    runs, cur = [], ""
    for ch in text + "|":
        if ch in _LOOSE or ch == "十":
            cur += _LOOSE.get(ch, "十")
        elif ch not in _NUMBER_SEP or not cur:
            if cur:
                a, ten, b = cur.partition("十")
                runs.append(str((int(a or 1)) * 10 + int(b or 0)) if ten and len(a) < 2 and len(b) < 2
                            else cur.replace("十", ""))  # fmt: skip
            cur = ""
    return runs


def lost_stage(field: str, expected: str, caller_text: str) -> str:
    """Why the draft lost a phone number or an address: "misheard" (the recogniser wrote other
    digits, or none) or "in_text" (the caller's transcript holds them, loosely read: digits
    split across groups, 幺/要, 两, 洞, Chinese numerals; the draft did not take them)."""
    runs = _numbers_in(caller_text)
    if field == "phone":
        # consecutive numbers joined: a filler between two groups (…九，有九九九…) is no loss
        joined = {"".join(runs[i:j]) for i in range(len(runs)) for j in range(i + 1, len(runs) + 1)}
        return "in_text" if expected in joined else "misheard"
    want, at = expected.split("-"), 0
    for r in runs:  # building, unit and room, in order
        if at < len(want) and r == want[at]:
            at += 1
    return "in_text" if at == len(want) else "misheard"


def score(item: dict, tr) -> dict:
    """One recording's figures from its transcript."""
    from voice.asr.metrics import digit_runs, error_count, tail_loss
    from voice.intake.extract import extract

    speakers = ("caller", "agent") if item["channels"] == 2 else ("unknown",)
    err = n = lost = tails = parts_lost = 0
    ref_runs: list[str] = []
    hyp_runs: list[str] = []
    for who in speakers:
        parts = [p["text"] for p in item["parts"] if p["speaker"] == who or who == "unknown"]
        hyp = tr.text(who)
        e, k = error_count("".join(parts), hyp)
        err, n = err + e, n + k
        a, b, c = tail_loss(parts, hyp)
        lost, tails, parts_lost = lost + a, tails + b, parts_lost + c
        ref_runs += digit_runs("，".join(parts))
        hyp_runs += digit_runs(hyp)
    draft = extract(tr)
    exp = item["expect"]
    caller = "，".join(u.text for u in tr.utterances if u.speaker in ("caller", "unknown"))
    stages = {f: lost_stage(f, exp[f], caller) for f, got in
            (("phone", draft.caller.phone), ("address", draft.address.code())) if exp[f] and got != exp[f]}  # fmt: skip
    return {
        "errors": err, "ref_chars": n, "tail_lost": lost, "tail_chars": tails,
        "parts": len(item["parts"]), "parts_end_lost": parts_lost,
        "digits_exact": (sorted(ref_runs) == sorted(hyp_runs)) if ref_runs else None,
        "address_ok": (draft.address.code() == exp["address"]) if exp["address"] else None,
        "phone_ok": (draft.caller.phone == exp["phone"]) if exp["phone"] else None,
        "category_ok": draft.category == exp["category"],
        "hyp": tr.text(),
        "draft_phone": draft.caller.phone, "draft_address": draft.address.code(),
        "lost_stage": stages,
    }  # fmt: skip


def run_one(name: str, split: str, models_dir: Path) -> dict:
    transcribe, load_s = load_system(name, models_dir)
    out = []
    for item in items(split):
        t0, c0 = time.perf_counter(), time.process_time()
        tr = transcribe(EVAL / item["file"])
        busy, cpu = time.perf_counter() - t0, time.process_time() - c0
        out.append({"id": item["id"], "condition": item["condition"], "kind": item["kind"],
                    "audio_s": item["duration_s"], "busy_s": round(busy, 3), "cpu_s": round(cpu, 3),
                    **score(item, tr)})  # fmt: skip
    return {"load_s": round(load_s, 2), "rss_mb": _rss_mb(), "items": out}


# -- the figures ------------------------------------------------------------------------
def summarise(rows: list[dict]) -> dict:
    def share(key: str) -> float | None:
        v = [r[key] for r in rows if r[key] is not None]
        return round(sum(v) / len(v), 3) if v else None

    def count(key: str) -> str:
        v = [r[key] for r in rows if r[key] is not None]
        return f"{sum(v)}/{len(v)}"

    return {
        "recordings": len(rows),
        "cer": round(sum(r["errors"] for r in rows) / max(1, sum(r["ref_chars"] for r in rows)), 3),
        "digits_exact": share("digits_exact"), "digits_exact_n": count("digits_exact"),
        "phone_registered": share("phone_ok"), "phone_registered_n": count("phone_ok"),
        "address_registered": share("address_ok"), "address_registered_n": count("address_ok"),
        "category": share("category_ok"),
        "tail_chars_lost": round(sum(r["tail_lost"] for r in rows) / max(1, sum(r["tail_chars"] for r in rows)), 3),
        "utterance_ends_lost": f"{sum(r['parts_end_lost'] for r in rows)}/{sum(r['parts'] for r in rows)}",
        # each phone number or address the draft lost: misheard by the recogniser, or in the
        # transcript (loosely read) and missed by intake
        **{f"{f}_lost_{st}": sum(r.get("lost_stage", {}).get(f) == st for r in rows)
           for f in ("phone", "address") for st in ("misheard", "in_text")},
        "rtf": round(sum(r["busy_s"] for r in rows) / max(1e-9, sum(r["audio_s"] for r in rows)), 3),
        # CPU seconds per audio second over both threads: on an idle 2-core machine the RTF
        # is about half of it; unlike the RTF it does not grow with other load
        "cpu_per_audio_s": round(sum(r.get("cpu_s", 0) for r in rows) / max(1e-9, sum(r["audio_s"] for r in rows)), 3),
    }  # fmt: skip


def report(result: dict) -> dict:
    rows = result["items"]
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[f"condition:{r['condition']}"].append(r)
        groups[f"kind:{r['kind']}"].append(r)
    return {
        "load_s": result["load_s"],
        "rss_mb": result["rss_mb"],
        "all": summarise(rows),
        "telephone_band": summarise([r for r in rows if r["condition"] in TELEPHONE]),
        **{k: summarise(v) for k, v in sorted(groups.items())},
    }


def intake_ceiling(split: str) -> dict:
    """What intake registers from the reference texts themselves (its own share of errors)."""
    from domain.transcript import Transcript, Utterance

    rows = []
    for item in items(split):
        who = "caller" if item["channels"] == 2 else "unknown"
        utts = [Utterance(p["speaker"] if item["channels"] == 2 else who, p["start"], p["end"], p["text"])
                for p in item["parts"]]  # fmt: skip
        tr = Transcript(utts, "reference", "", "zh", item["duration_s"])
        rows.append({**score(item, tr), "busy_s": 0.0, "cpu_s": 0.0, "audio_s": item["duration_s"]})
    s = summarise(rows)
    return {k: s[k] for k in ("phone_registered", "address_registered", "category")}


def bench_yardstick(split: str, systems: list[str], keep_items: bool = False) -> dict:
    out: dict = {"split": split, "recordings": len(items(split)),
                 "audio_min": round(sum(i["duration_s"] for i in items(split)) / 60, 1),
                 "intake_on_reference_text": intake_ceiling(split)}  # fmt: skip
    for name in systems:
        r = subprocess.run([sys.executable, str(ROOT / "bench" / "asr.py"), "--yardstick-one", name,
                            "--split", split], capture_output=True, text=True)  # fmt: skip
        if r.returncode != 0:
            out[name] = {"error": r.stderr[-2000:]}
            continue
        result = json.loads(r.stdout)
        out[name] = report(result)
        if keep_items:
            out[name]["items"] = result["items"]
    return out

