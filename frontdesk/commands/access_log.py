"""`frontdesk access-log` — who heard, downloaded or exported which call, when, from where."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from frontdesk.config import config_from_args
from frontdesk.errors import UserError
from frontdesk.ledger_session import sessions_for
from frontdesk.output import emit
from frontdesk.timeparse import parse_time
from ledger.cells import csv_cell


def register(sub) -> None:
    p = sub.add_parser(
        "access-log",
        help="the access log: log-ins, playbacks, downloads, exports (who, what, when, where)",
        description=(
            "Print the access log, newest first: every console log-in (and refused one), "
            "recording playback and download, search by number and export, with the user, "
            "the time, the address and what was reached (call:ID, findings, …)."
        ),
    )
    p.add_argument("--since", help="from this time (2026-11-01, '2026-11-01 08:30', -2h, today)")
    p.add_argument("--until", help="before this time")
    p.add_argument("--user", help="only this console user")
    p.add_argument("--call", type=int, metavar="CALL_ID", help="only rows about this call")
    p.add_argument("--caller", help="only rows about the calls from this number")
    p.add_argument("--action", help="only this action (login, play, download, export, …)")
    p.add_argument("--limit", type=int, default=None, help="at most this many rows")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from frontdesk.console.access import COLUMNS, AccessFilter, access_to_dict, query_access

    try:
        f = AccessFilter(parse_time(args.since), parse_time(args.until), args.user, args.call,
                         args.caller, args.action)  # fmt: skip
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with sessions_for(config_from_args(args))() as s:
        rows = [access_to_dict(r) for r in query_access(s, f, limit=args.limit)]
    if args.format == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(COLUMNS)
        for r in rows:
            r["at"] = r["at"].isoformat()
            r["detail"] = json.dumps(r["detail"], ensure_ascii=False) if r["detail"] else ""
            w.writerow([csv_cell(r[c]) for c in COLUMNS])
        return 0
    if args.format == "table":
        for r in rows:
            r["detail"] = " ".join(f"{k}={v}" for k, v in r["detail"].items())
    emit(rows, args.format, COLUMNS)
    return 0
