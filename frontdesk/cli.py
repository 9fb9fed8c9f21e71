"""`frontdesk` — the command line. Each subcommand lives in ``frontdesk/commands/<name>.py``
and exposes ``register(subparsers)``; this module only assembles them."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from frontdesk.errors import UserError

# Order is the order shown by `frontdesk --help`.
COMMANDS = [
    "run",
    "phone",
    "line",
    "devices",
    "worker",
    "transcribe",
    "intake",
    "calls",
    "ledger",
    "sites",
    "reconcile",
    "models",
    "console",
    "users",
    "access-log",
]

DESCRIPTION = """\
Frontdesk answers a property-management front-desk line within three rings,
records every call, transcribes it offline, pre-fills a ledger entry (台账) and
flags every recorded call that has no matching entry.

Data (SQLite ledger, recordings, models) lives under --data-dir (default ./var,
env FRONTDESK_DATA_DIR); settings in one TOML file (--config, default
<data-dir>/frontdesk.toml). Commands that print records take --format json.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontdesk",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("FRONTDESK_DATA_DIR", "./var"),
        help="directory holding the ledger database, recordings and models "
        "(default ./var, env FRONTDESK_DATA_DIR)",
    )
    parser.add_argument(
        "--config",
        default=os.environ.get("FRONTDESK_CONFIG"),
        help="TOML settings file (default <data-dir>/frontdesk.toml if present)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in COMMANDS:
        module = importlib.import_module(f"frontdesk.commands.{name.replace('-', '_')}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from frontdesk.private import set_umask

    set_umask()  # every file this process writes is private to its user (0600, 0700)
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"frontdesk {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
