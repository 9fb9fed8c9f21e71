"""`frontdesk sites` — the company's sites (list, add) and each site's community roster
(业主名册): import it, see what it holds."""

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

SUMMARY = ["site", "residents", "homes", "buildings", "phones", "file", "imported_at"]
SITES = ["code", "name"]


def register(sub) -> None:
    p = sub.add_parser("sites", help="sites and their community rosters (业主名册)",
                       description="The company's sites (楼盘/小区) and each site's community roster: "
                       "who lives where, on which numbers. Drafts check addresses against it and "
                       "pre-fill a known caller's home.")  # fmt: skip
    ss = p.add_subparsers(dest="sites_command", metavar="ACTION", required=True)
    ls = ss.add_parser("list", help="the sites in the ledger (code and name)",
                       description="Every site the ledger knows: a desk adds its own ([phone] site, "
                       "site_code) when it first stores a call; `sites add` adds one ahead.")  # fmt: skip
    add_format_arg(ls)
    ls.set_defaults(func=run_list)
    ad = ss.add_parser("add", help="add a site (or rename one) before its desk starts",
                       description="Add a site by code and display name, e.g. `frontdesk sites add "
                       "yangguang 阳光花园`, so that its roster can be imported and users assigned "
                       "before its desk stores a call. An existing code gets the new name.")  # fmt: skip
    ad.add_argument(
        "code", help="the site's code: letters, digits, '.', '_' or '-' (what rows store)"
    )
    ad.add_argument("name", nargs="?", help="the display name (default: the code)")
    add_format_arg(ad)
    ad.set_defaults(func=run_add)
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
    add_site_arg(im, "whose roster this is")
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


def run_list(args: argparse.Namespace) -> int:
    from ledger.sites import list_sites

    with sessions_for(config_from_args(args))() as s:
        rows = [{"code": x.code, "name": x.name} for x in list_sites(s)]
    emit(rows, args.format, SITES)
    return 0


def run_add(args: argparse.Namespace) -> int:
    from domain.sites import Site, check_code
    from ledger.models import Site as SiteRow
    from ledger.sites import ensure_site

    try:
        code = check_code(args.code.strip())
    except ValueError as exc:
        raise UserError(str(exc)) from None
    name = (args.name or "").strip() or code
    with sessions_for(config_from_args(args))() as s:
        existed = s.get(SiteRow, code) is not None
        row = ensure_site(s, Site(code, name))
        d = {"code": row.code, "name": row.name, "added": not existed}
        s.commit()
    if args.format == "json":
        emit(d, "json")
    else:
        print(f"site {d['code']} ({d['name']}) {'added' if d['added'] else 'already known'}")
    return 0


def run_import_roster(args: argparse.Namespace) -> int:
    from frontdesk.all_or_nothing import import_all_or_nothing
    from ledger.roster import import_roster
    from ledger.table_io import TableError

    cfg = config_from_args(args)
    with sessions_for(cfg)() as s, progress_for(args.format) as bar:
        site = chosen_site(s, cfg, args.site)  # an unknown code is refused: no orphan roster
        report = import_all_or_nothing(
            s,
            lambda: import_roster(s, args.file, site=site, by=args.by, progress=bar),
            lambda r: r.ok,
            errors=(TableError, OSError),
            refused=f"{args.file}: the ledger refused the roster; nothing imported",
        )
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
        print(
            f"{args.file}: sheets without roster columns, not read: {', '.join(report.ignored_sheets)}"
        )
    if report.carried:
        print(
            f"{args.file}: {report.carried} rows took 楼栋/单元/房号 from the row above (merged cells)"
        )
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
