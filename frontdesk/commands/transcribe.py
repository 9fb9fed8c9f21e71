"""`frontdesk transcribe` — offline transcription of audio files or of stored calls."""

from __future__ import annotations

import argparse
import sys

from frontdesk.config import Config, config_from_args
from frontdesk.errors import UserError
from frontdesk.output import emit


def register(sub) -> None:
    p = sub.add_parser(
        "transcribe",
        help="transcribe audio files (or re-run a stored call) offline",
        description=(
            "Transcribe WAV/FLAC/OGG files of any rate, mono or stereo (stereo: channel 0 "
            "caller, channel 1 agent), with VAD and the configured model. --call ID re-runs "
            "a stored call's transcription and draft now."
        ),
    )
    p.add_argument("files", nargs="*", metavar="FILE")
    p.add_argument(
        "--call", type=int, metavar="ID", help="re-transcribe a stored call (and redo its draft)"
    )
    p.add_argument(
        "--model", help="model name under <data-dir>/models, or a folder (default: config)"
    )
    p.add_argument(
        "--engine", choices=["auto", "whisper", "vosk"], help="default: from the model folder"
    )
    p.add_argument("--language", help="language code for Whisper (default: config, zh)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=run)


def load_engine_from(cfg: Config, model: str | None = None, engine: str | None = None,
                     language: str | None = None):  # fmt: skip
    from voice.asr.engines import load_engine
    from voice.asr.models import ModelError, resolve

    try:
        info = resolve(model or cfg.asr.model, cfg.models_dir)
        return load_engine(info, engine=engine or cfg.asr.engine,
                           language=language or cfg.asr.language or None,
                           initial_prompt=cfg.asr.prompt(), threads=cfg.asr.threads)  # fmt: skip
    except ModelError as exc:
        raise UserError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    if args.call is not None:
        return _rerun_call(cfg, args)
    if not args.files:
        raise UserError("give audio files to transcribe, or --call ID")
    from voice.asr.audio import AudioError
    from voice.asr.transcribe import transcribe_file

    engine = load_engine_from(cfg, args.model, args.engine, args.language)
    results, failed = [], 0
    for f in args.files:
        try:
            t = transcribe_file(f, engine, cfg.asr.vad_aggressiveness, cfg.asr.vad_frame_ms)
            results.append({"file": f, "transcript": t.to_dict(), "error": None})
            if args.format == "table":
                print(f"{f}:")
                for u in t.utterances:
                    print(f"  [{u.start:6.1f}-{u.end:6.1f}s] {u.speaker:>7}: {u.text}")
                if not t.utterances:
                    print("  (no speech)")
        except AudioError as exc:
            failed += 1
            results.append({"file": f, "transcript": None, "error": str(exc)})
            print(f"error: {exc}", file=sys.stderr)
    if args.format == "json":
        emit(results, "json")
    return 1 if failed else 0


def _rerun_call(cfg: Config, args: argparse.Namespace) -> int:
    from frontdesk.commands.worker import make_worker
    from frontdesk.worker import JobError

    worker = make_worker(cfg)
    try:
        worker.process_call(args.call)
    except JobError as exc:
        raise UserError(f"call {args.call}: {exc.reason}") from None
    from ledger.transcripts import load_transcript

    with worker.sessions() as s:
        t = load_transcript(s, args.call)
    emit({"call_id": args.call, "transcript": t.to_dict() if t else None}, "json")
    return 0
