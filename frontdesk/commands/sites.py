"""`frontdesk sites` — a site's community roster (业主名册): import it, see what it holds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from domain.roster import DEFAULT_SITE
from frontdesk.config import config_from_args
from frontdesk.errors import UserError
from frontdesk.ledger_session import sessions_for
from frontdesk.output import add_format_arg, emit
from frontdesk.progress import progress_for

SUMMARY = ["site", "residents", "homes", "buildings", "phones", "file", "imported_at"]


def register(sub) -> None:
    p = sub.add_parser("sites", help="sites and their community rosters (业主名册)",
                       description="A site's community roster: who lives where, on which numbers. "
                       "Drafts check addresses against it and pre-fill a known caller's home.")  # fmt: skip
    ss = p.add_subparsers(dest="sites_command", metavar="ACTION", required=True)
    im = ss.add_parser(
        "import-roster",
        help="read a site's roster from XLSX or CSV (all rows or none; replaces the old one)",
        description=(
            "Import a community roster (.xlsx, or .csv in UTF-8 or GBK) with Chinese or English "
            "headers: 楼栋, 单元, 房号 (or 地址 3-2-1801), 业主姓名, 电话, 备用电话, 身份 "
            "(业主/租户/家属) — building, unit, room, name, phone, phone 2, relation. A blank "
            "楼栋/单元/房号 under a filled one is the row above's (a merged cell); every sheet of a "
            "workbook is read (one per building titled 3栋 needs no 楼栋 column). Every row is "
            "checked first; one bad row imports nothing and the report names each bad row. A good "
            "file replaces the site's roster in one go."
        ),
    )  # fmt: skip
    im.add_argument("file", type=Path, help="the roster, FILE.xlsx or FILE.csv")
    im.add_argument("--site", default=DEFAULT_SITE,
                    help=f"the site's code (default {DEFAULT_SITE!r}: a single-desk install)")  # fmt: skip
    im.add_argument("--by", default="import", help="recorded as who imported the roster")
    add_format_arg(im)
    im.set_defaults(func=run_import_roster)
    ro = ss.add_parser("roster", help="what each site's roster holds (counts, never names)",
                       description="Per site: residents, homes, buildings, numbers, from which file, when.")  # fmt: skip
    ro.add_argument("--site", help="one site's code (default: every site with a roster)")
    add_format_arg(ro)
    ro.set_defaults(func=run_roster)


def _site(code: str) -> str:
    code = code.strip()
    if not code or len(code) > 64:
        raise UserError(f"--site {code!r}: give a site code of 1–64 characters")
    return code


def run_import_roster(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import IntegrityError

    from ledger.roster import import_roster
    from ledger.table_io import TableError

    site = _site(args.site)
    with sessions_for(config_from_args(args))() as s, progress_for(args.format) as bar:
        try:
            report = import_roster(s, args.file, site=site, by=args.by, progress=bar)
            if report.ok:
                s.commit()
            else:
                s.rollback()
        except (TableError, OSError) as exc:
            raise UserError(str(exc)) from None
        except IntegrityError:  # its message would hold residents' names and numbers
            s.rollback()
            raise UserError(f"{args.file}: the ledger refused the roster; nothing imported") from None
    d = {"file": str(args.file), "site": site, "rows": report.rows, "imported": report.ok,
         "residents": report.residents if report.ok else 0, "homes": report.homes,
         "buildings": report.buildings, "phones": report.phones, "carried_down": report.carried,
         "errors": report.errors, "ignored_columns": report.ignored_columns,
         "ignored_sheets": report.ignored_sheets}  # fmt: skip
    if args.format == "json":
        emit(d, "json")
        return 0 if report.ok else 1
    for e in report.errors:
        sheet = f"sheet {e['sheet']} " if "sheet" in e else ""
        print(f"{args.file}: {sheet}row {e['row']}: {e['error']}", file=sys.stderr)
    if report.ignored_columns:
        print(f"{args.file}: columns not used: {', '.join(report.ignored_columns)}")
    if report.ignored_sheets:
        print(f"{args.file}: sheets without roster columns, not read: {', '.join(report.ignored_sheets)}")
    if report.carried:
        print(f"{args.file}: {report.carried} rows took 楼栋/单元/房号 from the row above (merged cells)")
    if report.ok:
        print(f"{args.file}: site {site}: {report.residents} residents in {report.homes} homes, "
              f"{report.buildings} buildings, {report.phones} numbers; the old roster replaced")  # fmt: skip
    else:
        print(f"{args.file}: {report.rows} rows, {len(report.errors)} bad: nothing imported "
              f"(site {site}'s roster unchanged)")  # fmt: skip
    return 0 if report.ok else 1


def run_roster(args: argparse.Namespace) -> int:
    from ledger.roster import roster_summary

    site = _site(args.site) if args.site is not None else None
    with sessions_for(config_from_args(args))() as s:
        rows = roster_summary(s, site)
    if site is not None and not rows:
        if args.format == "json":
            emit([], "json")
        print(f"site {site} has no roster (frontdesk sites import-roster FILE --site {site})",
              file=sys.stderr)  # fmt: skip
        return 1
    emit(rows, args.format, SUMMARY)
    return 0
