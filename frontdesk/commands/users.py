"""`frontdesk users` — the people who may log in to the console, and their roles."""

from __future__ import annotations

import argparse
import getpass
import sys

from frontdesk.config import config_from_args
from frontdesk.errors import UserError
from frontdesk.output import add_format_arg, emit


def register(sub) -> None:
    p = sub.add_parser(
        "users",
        help="console users: add, passwd, disable, enable, list",
        description=(
            "Manage who may log in to the console. Roles: agent (the line and the ledger), "
            "supervisor (audit, KPIs, recordings), trainer (replay, tags, training packs), "
            "admin (everything). Passwords are read from the terminal, or from standard "
            "input with --password-stdin; they are stored as argon2id hashes only. "
            "Each user sees the sites assigned to them (--site, repeatable; default: this "
            "desk's site), or every site (--all-sites; admins always do)."
        ),
    )
    s = p.add_subparsers(dest="users_cmd", metavar="ACTION", required=True)
    a = s.add_parser("add", help="add a user")
    a.add_argument("username")
    a.add_argument("--role", required=True, choices=["agent", "supervisor", "trainer", "admin"])
    a.add_argument("--name", default="", help="display name (e.g. 张敏)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    _site_args(a)
    a.set_defaults(func=_add)
    st = s.add_parser("sites", help="set the sites a user sees",
                      description="Set which sites a user sees: the --site codes given (this "
                      "replaces the earlier ones), or every site with --all-sites.")  # fmt: skip
    st.add_argument("username")
    _site_args(st)
    st.set_defaults(func=_sites)
    w = s.add_parser("passwd", help="set a user's password")
    w.add_argument("username")
    w.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    w.set_defaults(func=_passwd)
    for name, disabled in (("disable", True), ("enable", False)):
        d = s.add_parser(name, help=f"{name} a user (disabling logs them out everywhere)")
        d.add_argument("username")
        d.set_defaults(func=_toggle, disabled=disabled)
    ls = s.add_parser("list", help="list users")
    add_format_arg(ls)
    ls.set_defaults(func=_list)


def _site_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", action="append", default=[], metavar="CODE",
                   help="a site this user sees (repeat for several); default: this desk's site")  # fmt: skip
    p.add_argument("--all-sites", action="store_true",
                   help="every site (a company-wide supervisor)")  # fmt: skip


def _sites_of(args, db) -> list[str]:
    """The --site codes, or this desk's own site (recorded in the ledger if new)."""
    from ledger.sites import ensure_site

    if args.site or args.all_sites:
        return list(args.site)
    own = config_from_args(args).site
    ensure_site(db, own)
    return [own.code]


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise UserError("the passwords differ")
    return first


def _with_db(args, action):
    from frontdesk.console.accounts import AccountError
    from frontdesk.ledger_session import sessions_for

    sessions = sessions_for(config_from_args(args))
    with sessions() as db:
        try:
            result = action(db)
        except AccountError as exc:
            raise UserError(str(exc)) from None
        db.commit()
        return result


def _add(args: argparse.Namespace) -> int:
    from frontdesk.console.accounts import add_user

    password = _password(args)
    _with_db(args, lambda db: add_user(db, args.username, args.role, password, args.name,
                                       _sites_of(args, db), args.all_sites))  # fmt: skip
    print(f"added {args.username} ({args.role})", file=sys.stderr)
    return 0


def _sites(args: argparse.Namespace) -> int:
    from frontdesk.console.accounts import set_sites, site_list, user_sites

    seen = _with_db(args, lambda db: site_list(user_sites(
        set_sites(db, args.username, _sites_of(args, db), args.all_sites))))  # fmt: skip
    print(f"{args.username} sees sites: {seen}", file=sys.stderr)
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from frontdesk.console.accounts import set_password

    password = _password(args)
    _with_db(args, lambda db: set_password(db, args.username, password))
    print(f"password of {args.username} changed", file=sys.stderr)
    return 0


def _toggle(args: argparse.Namespace) -> int:
    from frontdesk.console.accounts import set_disabled

    _with_db(args, lambda db: set_disabled(db, args.username, args.disabled))
    print(f"{args.username} {'disabled' if args.disabled else 'enabled'}", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from frontdesk.console.accounts import site_list, user_sites
    from ledger.models import User

    def rows(db):
        return [
            {
                "username": u.username,
                "name": u.display_name,
                "role": u.role,
                "disabled": u.disabled,
                "sites": site_list(user_sites(u)),
                "last_login_at": u.last_login_at,
            }
            for u in db.scalars(select(User).order_by(User.username))
        ]

    emit(
        _with_db(args, rows),
        args.format,
        ["username", "name", "role", "disabled", "sites", "last_login_at"],
    )
    return 0
