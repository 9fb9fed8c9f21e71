"""`frontdesk worker` — transcribes finished calls and pre-fills their ledger drafts."""

from __future__ import annotations

import argparse
import signal

from frontdesk.config import Config, config_from_args


def register(sub) -> None:
    p = sub.add_parser(
        "worker",
        help="transcribe finished calls and pre-fill their draft ledger entries",
        description=(
            "Take transcription jobs from the ledger database, transcribe each recording "
            "offline (VAD + the configured model), store the transcript and create the "
            "call's draft entry; then, when no call waits ([asr] refine), decode each channel "
            "whole, keeping the speakers' turns, and update the draft if no agent has touched it. While idle it follows calls still in progress and transcribes "
            "each speaker's turn as soon as it ends (with Vosk: streams it into the recognizer), "
            "so little is left at hangup. Several workers may run at once: each live call is "
            "followed by one of them, and a crashed one loses no job and no live call."
        ),
    )
    p.add_argument("--once", action="store_true", help="process the queue, then exit")
    p.add_argument("--no-follow", action="store_true",
                   help="do not transcribe calls while they are live (only after hangup)")  # fmt: skip
    p.add_argument(
        "--poll",
        type=float,
        default=0.5,
        metavar="SECONDS",
        help="how often an idle worker looks for jobs and live calls (default 0.5)",
    )
    p.set_defaults(func=run)


def make_worker(cfg: Config, follow_live: bool = False):
    from frontdesk.worker import AsrSettings, Worker
    from ledger.db import open_database

    asr = cfg.asr
    settings = AsrSettings(
        model=asr.model,
        models_dir=cfg.models_dir,
        engine=asr.engine,
        language=asr.language or None,
        initial_prompt=asr.prompt(),
        threads=asr.threads,
        vad_aggressiveness=asr.vad_aggressiveness,
        vad_frame_ms=asr.vad_frame_ms,
        refine=asr.refine,
    )
    return Worker(
        open_database(cfg.database_url), cfg.recordings_dir, settings, follow_live=follow_live,
        spool=cfg.spool_dir,
    )


def run(args: argparse.Namespace) -> int:
    worker = make_worker(config_from_args(args), follow_live=not (args.once or args.no_follow))
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    worker.run(once=args.once, poll_s=args.poll, stop=lambda: bool(stopping))
    return 0
