"""`frontdesk ledger` — the front desk's register (台账): list, show, confirm, update."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from frontdesk.config import config_from_args
from frontdesk.errors import UserError
from frontdesk.ledger_session import sessions_for
from frontdesk.output import add_format_arg, emit
from frontdesk.progress import progress_for
from frontdesk.site_choice import add_site_arg, chosen_site

COLUMNS = ["id", "created_at", "status", "category", "address", "urgent", "department", "summary"]
FIELDS = ["category", "building", "unit", "room", "public_area", "department", "caller_name",
          "caller_phone", "summary", "content", "repair_scope", "complaint_class"]  # fmt: skip


def register(sub) -> None:
    p = sub.add_parser("ledger", help="the ledger (台账): list, show, confirm, update, import and export entries",
                       description="Ledger entries: drafts pre-filled from calls, registered entries, their lifecycle.")  # fmt: skip
    ls_ = p.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)

    ls = ls_.add_parser(
        "list", help="list entries, newest first", description="List ledger entries, newest first."
    )
    ls.add_argument(
        "--status", help="draft, registered, dispatched, in_progress, returned, called_back, closed"
    )
    ls.add_argument("--category", help="报修, 投诉, 咨询, 求助, 建议")
    ls.add_argument("--building")
    ls.add_argument("--limit", type=int)
    ls.add_argument("--site", metavar="CODE", help="only this site's entries")
    add_format_arg(ls)
    ls.set_defaults(func=run_list)

    sh = ls_.add_parser(
        "show",
        help="one entry with its audit trail",
        description="Show one entry and its audit trail.",
    )
    sh.add_argument("entry_id", type=int)
    add_format_arg(sh)
    sh.set_defaults(func=run_show)

    cf = ls_.add_parser("confirm", help="register a draft (with corrections)",
                        description="Register a draft entry, optionally correcting fields first.")  # fmt: skip
    cf.add_argument("entry_id", type=int)
    cf.add_argument("--by", default="agent", help="who confirms (kept in the audit trail)")
    _field_args(cf)
    add_format_arg(cf)
    cf.set_defaults(func=run_confirm)

    up = ls_.add_parser("update", help="edit fields or move the entry along its lifecycle",
                        description="Edit fields and/or change status (dispatched, in_progress, returned, called_back, closed).")  # fmt: skip
    up.add_argument("entry_id", type=int)
    up.add_argument("--by", default="agent")
    up.add_argument("--status", help="the next lifecycle status")
    up.add_argument("--callback-result", choices=["satisfied", "partly_satisfied", "not_satisfied"],
                    help="with --status called_back (required); not_satisfied reopens the entry")  # fmt: skip
    _field_args(up)
    add_format_arg(up)
    up.set_defaults(func=run_update)
    _register_io(ls_)


def _register_io(ls_) -> None:
    ex = ls_.add_parser("export", help="write the ledger to CSV or XLSX (Chinese or English headers)",
                        description="Write every entry to FILE (.csv or .xlsx), oldest first, local times.")  # fmt: skip
    ex.add_argument("file", type=Path)
    ex.add_argument(
        "--lang", choices=["zh", "en"], default="zh", help="header language (default zh)"
    )
    ex.add_argument("--site", metavar="CODE", help="only this site's entries (default: all)")
    ex.set_defaults(func=run_export)
    im = ls_.add_parser(
        "import", help="read a CSV or XLSX ledger (all rows or none; re-import changes nothing)",
        description=(
            "Import a front desk's spreadsheet ledger (.csv in UTF-8 or GBK, or .xlsx) with "
            "Chinese or English headers (登记时间, 来源, 电话, 姓名, 楼栋, 单元, 房号, 类别, 内容, "
            "派单部门, 状态, 回访时间 …). Every row is checked first; one bad row imports nothing "
            "and the report names each bad row. Importing the same sheet again changes nothing."
        ),
    )  # fmt: skip
    im.add_argument("file", type=Path)
    im.add_argument("--by", default="import", help="recorded as who registered the rows")
    add_site_arg(im, "whose ledger this is")
    add_format_arg(im)
    im.set_defaults(func=run_import)
    rk = ls_.add_parser(
        "rebuild-kpi", help="recount the KPI page's totals per site and hour from every call and entry",
        description="Recount the KPI page's per-site, per-hour totals from the raw calls and entries "
        "under the config's rules (registration grace, callback rule). Run it after changing either "
        "rule: until then the KPI page counts raw rows (exact, but slow for a company). Minutes for "
        "a year of a 50-site company on PostgreSQL; the page keeps working meanwhile.",
    )  # fmt: skip
    add_format_arg(rk)
    rk.set_defaults(func=run_rebuild_kpi)


def run_rebuild_kpi(args: argparse.Namespace) -> int:
    import time

    from ledger import kpi_hours

    cfg = config_from_args(args)
    t = time.perf_counter()
    with sessions_for(cfg)() as s:
        rows = kpi_hours.rebuild(s.connection(), cfg.ledger.registration_grace_s,
                                 cfg.rules().callback_s)  # fmt: skip
        s.commit()
    d = {**rows, "seconds": round(time.perf_counter() - t, 1)}
    if args.format == "json":
        emit(d, "json")
    else:
        print(f"KPI totals recounted: {rows['call_hours']} site-hours of calls, "
              f"{rows['entry_hours']} + {rows['entry_days']} rows of entries ({d['seconds']} s)")  # fmt: skip
    return 0


def run_export(args: argparse.Namespace) -> int:
    from ledger.table_io import export_entries

    if args.file.suffix.lower() not in (".csv", ".xlsx"):
        raise UserError(f"{args.file}: give a .csv or .xlsx file name")
    with sessions_for(config_from_args(args))() as s:
        n = export_entries(s, args.file, args.lang, site=args.site)
    print(f"{n} entries written to {args.file}", file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace) -> int:
    from frontdesk.all_or_nothing import import_all_or_nothing
    from ledger.table_io import TableError, import_entries

    cfg = config_from_args(args)
    with sessions_for(cfg)() as s, progress_for(args.format) as bar:
        site = chosen_site(s, cfg, args.site)
        report = import_all_or_nothing(
            s,
            lambda: import_entries(s, args.file, by=args.by, progress=bar, site=site),
            lambda r: r.ok,
            errors=(TableError, OSError),
            refused=f"{args.file}: the ledger refused a row (a value that must be unique is "
            "already there); nothing imported",
        )
        recounted = None
        if report.ok and report.imported:
            # the rows' hours recounted now, once: else the first KPI page to show them would
            # (a year's sheet is thousands of site-hours, minutes of that page's time)
            from ledger import kpi_hours

            recounted = kpi_hours.refresh_all(s.connection(), cfg.ledger.registration_grace_s,
                                              cfg.rules().callback_s)  # fmt: skip
            s.commit()
    d = {"file": report.file, "rows": report.rows, "imported": report.imported if report.ok else 0,
         "unchanged": report.unchanged, "errors": report.errors, "mapped": report.mapped,
         "ignored_columns": report.ignored_columns, "warnings": report.warnings,
         "kpi_hours_recounted": recounted}  # fmt: skip
    if args.format == "json":
        emit(d, "json")
    else:
        for e in report.errors:
            print(f"{args.file}: row {e['row']}: {e['error']}", file=sys.stderr)
        for w in report.warnings:
            print(f"{args.file}: row {w['row']}: {w['warning']}", file=sys.stderr)
        for m in report.mapped:
            print(
                f"{args.file}: {m['column']} {m['value']!r} read as {m['as']!r} ({m['rows']} rows)"
            )
        if report.ignored_columns:
            print(f"{args.file}: columns not used: {', '.join(report.ignored_columns)}")
        verdict = (
            "nothing imported"
            if report.errors
            else f"{report.imported} imported, {report.unchanged} already there"
        )
        print(f"{args.file}: {report.rows} rows, {verdict}")
    return 0 if report.ok else 1


def _field_args(p: argparse.ArgumentParser) -> None:
    for f in FIELDS:
        p.add_argument(f"--{f.replace('_', '-')}", dest=f)
    p.add_argument("--urgent", choices=["yes", "no"])


def _corrections(args: argparse.Namespace) -> dict:
    out = {f: getattr(args, f) for f in FIELDS if getattr(args, f) is not None}
    if args.urgent is not None:
        out["urgent"] = args.urgent == "yes"
    return out


def run_list(args: argparse.Namespace) -> int:
    from ledger.entries import entry_to_dict, list_entries

    with sessions_for(config_from_args(args))() as s:
        rows = [
            entry_to_dict(e)
            for e in list_entries(s, args.status, args.category, args.building, args.limit,
                                  site=args.site)  # fmt: skip
        ]
    emit(rows, args.format, COLUMNS)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from ledger.entries import EntryError, _get, entry_to_dict

    with sessions_for(config_from_args(args))() as s:
        try:
            d = entry_to_dict(_get(s, args.entry_id), with_changes=True)
        except EntryError as exc:
            raise UserError(str(exc)) from None
    emit(d, args.format)
    return 0


def run_confirm(args: argparse.Namespace) -> int:
    from ledger.entries import EntryError, confirm, entry_to_dict

    with sessions_for(config_from_args(args))() as s:
        try:
            e = confirm(s, args.entry_id, by=args.by, **_corrections(args))
        except EntryError as exc:
            raise UserError(str(exc)) from None
        s.commit()
        d = entry_to_dict(e)
    emit(d, args.format, COLUMNS)
    return 0


def run_update(args: argparse.Namespace) -> int:
    from ledger.entries import EntryError, entry_to_dict, record_callback, transition, update

    with sessions_for(config_from_args(args))() as s:
        try:
            fields = _corrections(args)
            e = update(s, args.entry_id, args.by, **fields) if fields else None
            if args.status == "called_back":  # not satisfied reopens it, as in the console
                e = record_callback(s, args.entry_id, args.by, args.callback_result or "")
            elif args.status:
                e = transition(s, args.entry_id, args.status, args.by)
            if e is None:
                raise UserError("nothing to update: give --status or a field such as --category")
        except EntryError as exc:
            raise UserError(str(exc)) from None
        s.commit()
        d = entry_to_dict(e)
    emit(d, args.format, COLUMNS)
    return 0
