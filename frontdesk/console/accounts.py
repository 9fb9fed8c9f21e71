"""Console users: roles, argon2id password hashes, add / passwd / disable.

Roles decide what a person may see. Agents work the line and the ledger; supervisors
audit (and hear recordings); trainers replay and export training packs; admins do all.
Sites decide whose rows they see: the sites assigned to them (user_sites), or every site
for admins and company-wide users (``all_sites``, e.g. a company's 客服主管).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.sites import DEFAULT_SITE
from ledger.models import Site, User, UserSite
from ledger.types import utcnow

ROLES = ("agent", "supervisor", "trainer", "admin")
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this when the user does not exist keeps log-in time the same, so the
# response time does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not a real password")


class AccountError(ValueError):
    """A user could not be added or changed; the message says why."""


@dataclass(frozen=True)
class Principal:
    """The logged-in person, as the pages see them (no hash, no ORM object)."""

    id: int
    username: str
    display_name: str
    role: str
    sites: frozenset[str] | None = None  # the site codes they may see; None: every site

    def may(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles

    def sees(self, site: str) -> bool:
        return self.sites is None or site in self.sites

    @property
    def all_sites(self) -> bool:
        return self.sites is None

    @property
    def name(self) -> str:
        return self.display_name or self.username


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password too short: at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def add_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    display_name: str = "",
    sites: Iterable[str] = (DEFAULT_SITE,),
    all_sites: bool = False,
) -> User:
    """A new user seeing ``sites`` (codes of known sites), or every site with ``all_sites``."""
    if not _USERNAME.match(username):
        raise AccountError(f"invalid username {username!r}: 2-64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    if session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"user {username!r} already exists")
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        password_hash=hash_password(password),
        all_sites=all_sites,
    )
    session.add(user)
    session.flush()
    set_sites(session, username, sites, all_sites)
    return user


def set_sites(
    session: Session, username: str, sites: Iterable[str], all_sites: bool = False
) -> User:
    """Which sites the user sees: exactly ``sites`` (each a known site), or every site."""
    user = get_user(session, username)
    codes = sorted(set(sites))
    known = set(session.scalars(select(Site.code)))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise AccountError(
            f"unknown site {', '.join(unknown)} (known: {', '.join(sorted(known)) or 'none'})"
        )
    if not codes and not all_sites and user.role != "admin":
        raise AccountError(f"{username} would see no site: assign a site, or all sites")
    user.all_sites = all_sites
    # kept rows stay (the unit of work inserts before it deletes: a row replaced by its
    # equal would collide with itself on the unique index)
    kept = [r for r in user.site_rows if r.site in codes]
    have = {r.site for r in kept}
    user.site_rows = kept + [UserSite(site=c) for c in codes if c not in have]
    session.flush()
    return user


def user_sites(user: User) -> frozenset[str] | None:
    """The site codes ``user`` sees; None for every site (admins, company-wide users)."""
    if user.role == "admin" or user.all_sites:
        return None
    return frozenset(r.site for r in user.site_rows)


def site_list(sites: Collection[str] | None) -> str:
    return "all" if sites is None else ",".join(sorted(sites))


FIRST_ADMIN = "users add NAME --role admin"  # after `frontdesk --data-dir DIR`


def has_users(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no user {username!r}")
    return user


def set_password(session: Session, username: str, password: str) -> User:
    """A new password; every session opened with the old one ends (a reset after a
    leaked password must lock the holder of the old one out)."""
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    _end_sessions(session, user)
    return user


def _end_sessions(session: Session, user: User) -> None:
    from ledger.models import ConsoleSession

    for s in session.scalars(select(ConsoleSession).where(ConsoleSession.user_id == user.id)):
        session.delete(s)


def set_disabled(session: Session, username: str, disabled: bool) -> User:
    user = get_user(session, username)
    user.disabled = disabled
    if disabled:  # a disabled user is logged out everywhere at once
        _end_sessions(session, user)
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user if the password is right and the account enabled; None otherwise."""
    user = session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def principal(user: User) -> Principal:
    return Principal(user.id, user.username, user.display_name, user.role, user_sites(user))
