"""`frontdesk reconcile` — audit recorded calls against the ledger (one to one)."""

from __future__ import annotations

import argparse
import csv
import sys

from frontdesk.config import config_from_args
from frontdesk.errors import UserError
from frontdesk.ledger_session import sessions_for
from frontdesk.output import emit
from frontdesk.progress import progress_for
from frontdesk.site_choice import chosen_site
from frontdesk.timeparse import parse_time
from ledger.cells import csv_cell

COLUMNS = ["id", "kind", "label", "call_id", "entry_id", "status", "detected_at", "detail", "site"]


def register(sub) -> None:
    p = sub.add_parser(
        "reconcile",
        help="flag calls without a ledger entry and other breaches; exit 1 if any are open",
        description=(
            "Match recorded calls with ledger entries one to one and flag what breaks the "
            "front-desk rules: UNLOGGED_CALL, ORPHAN_ENTRY, DUPLICATE_ENTRY, CONTENT_MISMATCH, "
            "LATE_REGISTRATION, SLOW_ANSWER, MISSED_NO_CALLBACK, CALLBACK_OVERDUE, "
            "RECORDING_MISSING, RECORDING_TAMPERED, DURATION_MISMATCH. Findings are kept; "
            "re-runs are idempotent. Prints the open findings (--all: every finding in scope). "
            "Exit code 1 when open findings exist, for cron and monitoring."
        ),
    )
    p.add_argument("--since", help="calls from this time (2026-11-01, -7d, today)")
    p.add_argument("--until", help="calls before this time")
    p.add_argument("--grace", type=float, metavar="SECONDS",
                   help="time allowed to register a call (default: config, 60)")  # fmt: skip
    p.add_argument("--all", action="store_true", help="also list resolved findings")
    p.add_argument(
        "--verify-all",
        action="store_true",
        help="hash every recording (default: only those whose size or mtime changed since "
        "the call was stored; a deep audit catches a file edited with its mtime reset)",
    )
    p.add_argument(
        "--resolve", type=int, metavar="FINDING_ID", help="resolve one finding (with --note)"
    )
    p.add_argument("--site", metavar="CODE",
                   help="audit one site's calls and entries only (default: every site)")  # fmt: skip
    p.add_argument("--note", help="the supervisor's note when resolving")
    p.add_argument("--by", default="supervisor")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.set_defaults(func=run)


def _recount_kpi_totals(s, cfg) -> None:
    """The KPI page's dirty hours, recounted while we are here (a periodic run keeps the
    page from meeting many; ledger/kpi_hours.py), and the findings' count marks folded
    (the audit list on SQLite reads them unfolded rather than wait for the write lock;
    ledger/finding_counts.py)."""
    from ledger import finding_counts, kpi_hours

    kpi_hours.refresh_all(s.connection(), cfg.ledger.registration_grace_s, cfg.rules().callback_s)
    finding_counts.fold(s.connection())
    s.commit()


def run(args: argparse.Namespace) -> int:
    from frontdesk.audit_rules import audit_rules
    from ledger.reconcile import finding_to_dict, reconcile, resolve

    cfg = config_from_args(args)
    with sessions_for(cfg)() as s:
        if args.resolve is not None:
            try:
                f = resolve(s, args.resolve, args.by, args.note or "")
            except ValueError as exc:
                raise UserError(str(exc)) from None
            s.commit()
            emit(finding_to_dict(f), "json" if args.format == "json" else "table", COLUMNS)
            return 0
        rules = audit_rules(cfg)
        if args.grace is not None:
            rules.grace_s = args.grace
        if args.verify_all:
            rules.verify_hashes = True
        if args.site:
            rules.site = chosen_site(s, cfg, args.site)
        with progress_for(args.format, "calls") as bar:
            found = reconcile(s, since=parse_time(args.since), until=parse_time(args.until),
                              rules=rules, progress=bar)  # fmt: skip
        s.commit()
        _recount_kpi_totals(s, cfg)
        rows = [finding_to_dict(f) for f in found if args.all or f.status == "open"]
    rows.sort(key=lambda r: r["id"])
    if args.format == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows({k: csv_cell(v) for k, v in r.items()} for r in rows)  # text, not formulas
    else:
        emit(rows, args.format, COLUMNS)
    return 1 if any(r["status"] == "open" for r in rows) else 0
