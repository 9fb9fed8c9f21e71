"""`frontdesk run` — the whole product on one machine: phone + worker, supervised."""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from frontdesk.config import config_from_args
from frontdesk.errors import UserError

log = logging.getLogger("frontdesk.run")


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="run everything: the phone, a transcription worker, the console, the reconciler",
        description=(
            "Start the phone, the worker(s) and the web console (127.0.0.1:8080) as child processes on the embedded default "
            "(SQLite and recordings under the data directory, SIP on 127.0.0.1:5060 unless "
            "configured) and run the reconciler every --reconcile-every seconds. A child "
            "that dies is restarted with backoff; SIGTERM/Ctrl-C stops all cleanly."
        ),
    )
    p.add_argument("--workers", type=int, default=1,
                   help="transcription workers (default 1; 0 = none on this machine)")  # fmt: skip
    p.add_argument(
        "--reconcile-every",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="reconcile this often (default 60; 0 = never: a company's desks leave it to "
        "the central reconciler)",
    )
    p.add_argument(
        "--reconcile-window",
        type=float,
        default=48.0,
        metavar="HOURS",
        help="the periodic reconcile covers calls and entries of the last HOURS (default 48: "
        "the 1-minute and 2-hour rules and callbacks; `frontdesk reconcile` audits everything)",
    )
    p.add_argument("--no-console", action="store_true", help="do not serve the web console")
    p.add_argument("--no-phone", action="store_true",
                   help="no phone on this machine (a company's central console and reconciler)")  # fmt: skip
    p.set_defaults(func=run)


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0
    started: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv)
        log.info("started %s (pid %d)", self.name, self.proc.pid)


def children_for(args: argparse.Namespace, base: list[str]) -> list[Child]:
    """The processes this machine runs: a desk runs the phone, its worker(s) and the console
    its agent uses; a company's central machine no phone (``--no-phone``)."""
    if args.workers < 0:
        raise UserError(f"--workers must be 0 or more, got {args.workers}")
    children = [] if args.no_phone else [Child("phone", base + ["phone"])]
    children += [Child(f"worker-{i + 1}", base + ["worker"]) for i in range(args.workers)]
    if not args.no_console:
        children.append(Child("console", base + ["console"]))
    if not children and args.reconcile_every <= 0:
        raise UserError("nothing to run: no phone, no worker, no console and no reconciler")
    return children


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    base = [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(cfg.data_dir)]
    if args.config:
        base += ["--config", args.config]
    if args.verbose:
        base.append("--verbose")
    children = children_for(args, base)
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    for c in children:
        c.start()
    next_reconcile = time.monotonic() + 5.0
    try:
        while not stopping:
            time.sleep(0.5)
            if stopping:  # a stop signals the whole group: a child that died of it is no crash
                break
            now = time.monotonic()
            for c in children:
                if c.proc is not None and c.proc.poll() is not None:
                    delay = min(60.0, 2.0 ** min(c.restarts, 6))
                    log.error(
                        "%s exited with %s; restarting in %.0fs", c.name, c.proc.returncode, delay
                    )
                    c.proc, c.next_start = None, now + delay
                    c.restarts += 1
                if c.proc is None and now >= c.next_start:
                    c.start()
            if args.reconcile_every > 0 and now >= next_reconcile:
                next_reconcile = now + args.reconcile_every
                _reconcile(cfg, args.reconcile_window)
    finally:
        for c in children:
            if c.proc is not None and c.proc.poll() is None:
                c.proc.terminate()
        for c in children:
            if c.proc is not None:
                try:
                    c.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    c.proc.kill()
    return 0


def _reconcile(cfg, window_h: float) -> None:
    """A windowed run: a year of calls must not be re-read every minute (a full run over a
    million calls takes tens of seconds, during which no child would be restarted)."""
    from datetime import timedelta

    from frontdesk.audit_rules import audit_rules
    from ledger.db import open_database
    from ledger.reconcile import run as reconcile_run
    from ledger.types import utcnow

    try:
        sessions = open_database(cfg.database_url)
        with sessions() as s:
            result = reconcile_run(
                s,
                since=utcnow() - timedelta(hours=window_h),
                rules=audit_rules(cfg),
            )
            s.commit()
        opened = sum(result.open_by_kind.values())
        if opened:
            log.warning("reconciler: %d open findings (frontdesk reconcile)", opened)
    except Exception:
        log.exception("reconciler run failed")
