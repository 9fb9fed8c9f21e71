"""`frontdesk calls` — the call log: every call the phone saw, with its recording."""

from __future__ import annotations

import argparse
from pathlib import Path

from frontdesk.config import config_from_args
from frontdesk.errors import UserError
from frontdesk.ledger_session import sessions_for
from frontdesk.output import add_format_arg, emit
from frontdesk.progress import progress_for
from frontdesk.site_choice import add_site_arg, chosen_site
from frontdesk.timeparse import parse_time

COLUMNS = ["id", "invited_at", "caller", "outcome", "rings", "answered_by", "recording"]


def register(sub) -> None:
    p = sub.add_parser("calls", help="list, show and import calls (answered, missed, busy …) and their recordings",
                       description="The call log kept in the ledger database.")  # fmt: skip
    cs = p.add_subparsers(dest="calls_command", metavar="ACTION", required=True)
    ls = cs.add_parser(
        "list", help="list calls, newest first", description="List calls, newest first."
    )
    ls.add_argument("--since", help="from this time (2026-11-01, '2026-11-01 08:30', -2h, today)")
    ls.add_argument("--until", help="before this time")
    ls.add_argument(
        "--outcome", choices=["answered", "missed", "busy", "rejected", "failed", "interrupted"]
    )
    ls.add_argument("--limit", type=int, default=None)
    ls.add_argument("--site", metavar="CODE", help="only this site's calls")
    add_format_arg(ls)
    ls.set_defaults(func=run_list)
    sh = cs.add_parser("show", help="one call with its transcript, jobs and entries",
                       description="Show one call with its transcript, jobs and ledger entries.")  # fmt: skip
    sh.add_argument("call_id", type=int)
    add_format_arg(sh)
    sh.set_defaults(func=run_show)
    im = cs.add_parser(
        "import", help="ingest an Asterisk PBX's cdr_csv records and recordings",
        description=(
            "Import Asterisk cdr_csv records (Master.csv, standard column order, no header) and "
            "the recordings named by their uniqueid, so the audit works with calls recorded on "
            "a PBX. Every record is checked first; one bad record imports nothing. Recordings "
            "are copied into the archive and queued for transcription. Re-import changes nothing."
        ),
    )  # fmt: skip
    im.add_argument("--cdr", type=Path, required=True, metavar="Master.csv")
    im.add_argument(
        "--recordings", type=Path, metavar="DIR", help="folder holding the PBX recordings"
    )
    add_site_arg(im, "whose PBX made the records")
    add_format_arg(im)
    im.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    import sys

    from sqlalchemy.exc import IntegrityError

    from ledger.cdr import CdrError, import_cdr

    cfg = config_from_args(args)
    if args.recordings is not None and not args.recordings.is_dir():
        raise UserError(f"{args.recordings}: no such folder")
    with sessions_for(cfg)() as s, progress_for(args.format, "calls") as bar:
        site = chosen_site(s, cfg, args.site)
        try:
            report = import_cdr(s, args.cdr, args.recordings, cfg.recordings_dir,
                                cadence=(cfg.phone.ring_on, cfg.phone.ring_off),
                                extension_digits=cfg.ledger.extension_digits, progress=bar,
                                site=site)  # fmt: skip
        except CdrError as exc:
            raise UserError(str(exc)) from None
        except IntegrityError:  # its message holds the rows' values: residents' data
            raise UserError(f"{args.cdr}: the ledger refused a record; nothing imported") from None
        if report.errors:
            s.rollback()
        else:
            try:
                s.commit()
            except Exception as exc:  # the rows are not there: neither are their copies
                for f in report.copied:
                    f.unlink(missing_ok=True)
                raise UserError(
                    f"{args.cdr}: the ledger refused the import ({type(exc).__name__}); "
                    "nothing imported"
                ) from None
    d = {"file": report.file, "rows": report.rows, "imported": 0 if report.errors else report.imported,
         "unchanged": report.unchanged, "with_recording": report.with_recording, "errors": report.errors}  # fmt: skip
    if args.format == "json":
        emit(d, "json")
    else:
        for e in report.errors:
            print(f"{args.cdr}: line {e['line']}: {e['error']}", file=sys.stderr)
        print(f"{args.cdr}: {report.rows} records, " + ("nothing imported" if report.errors else
              f"{report.imported} imported ({report.with_recording} with recordings), {report.unchanged} already there"))  # fmt: skip
    return 1 if report.errors else 0


def run_list(args: argparse.Namespace) -> int:
    from ledger.calls import call_to_dict, list_calls

    sessions = sessions_for(config_from_args(args))
    with sessions() as s:
        rows = [call_to_dict(c) for c in list_calls(s, parse_time(args.since), parse_time(args.until),
                                                      args.outcome, args.limit, site=args.site)]  # fmt: skip
    if args.format == "table":
        for r in rows:
            r["recording"] = (r["recording"] or {}).get("path")
    emit(rows, args.format, COLUMNS)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from ledger.calls import Call, call_to_dict
    from ledger.entries import entry_to_dict, list_for_call
    from ledger.jobs import jobs_for_call
    from ledger.transcripts import load_transcript

    sessions = sessions_for(config_from_args(args))
    with sessions() as s:
        call = s.get(Call, args.call_id)
        if call is None:
            raise UserError(f"no call {args.call_id}")
        d = call_to_dict(call)
        t = load_transcript(s, call.id)
        d["transcript"] = t.to_dict() if t else None
        d["jobs"] = [{"id": j.id, "kind": j.kind, "status": j.status, "attempts": j.attempts,
                      "error": j.error} for j in jobs_for_call(s, call.id)]  # fmt: skip
        d["entries"] = [entry_to_dict(e) for e in list_for_call(s, call.id)]
    if args.format == "json":
        emit(d, "json")
        return 0
    for k, v in d.items():
        if k == "transcript" and v:
            print("transcript:")
            for u in v["utterances"]:
                print(f"  [{u['start']:6.1f}s] {u['speaker']:>6}: {u['text']}")
        elif k not in ("transcript",):
            print(f"{k}: {v}")
    return 0
