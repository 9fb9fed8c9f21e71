"""The access log: every log-in, playback and export of residents' data (who, what, when),
written here and read back by the /access page and `frontdesk access-log`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import AccessLog, Call

COLUMNS = ["id", "at", "username", "action", "subject", "remote", "detail"]
MAX_CALLS = 5000  # calls of one caller number looked up for a filter


def log_access(
    session: Session,
    username: str,
    action: str,
    subject: str | None = None,
    remote: str | None = None,
    **detail: Any,
) -> None:
    session.add(
        AccessLog(username=username, action=action, subject=subject, remote=remote, detail=detail)
    )


@dataclass
class AccessFilter:
    since: datetime | None = None
    until: datetime | None = None
    user: str | None = None
    call_id: int | None = None
    caller: str | None = None  # a caller number: the rows about that number's calls
    action: str | None = None
    # only these users' rows (a site supervisor: the people of their own sites); None: all
    usernames: list[str] | None = None


def query_access(
    session: Session, f: AccessFilter, before: int | None = None, limit: int | None = None
) -> list[AccessLog]:
    """Matching rows, newest first; ``before`` pages by id (keyset, same cost on any page)."""
    q = select(AccessLog).order_by(AccessLog.id.desc())
    if f.since is not None:
        q = q.where(AccessLog.at >= f.since)
    if f.until is not None:
        q = q.where(AccessLog.at < f.until)
    if f.user:
        q = q.where(AccessLog.username == f.user)
    if f.action:
        q = q.where(AccessLog.action == f.action)
    if f.usernames is not None:
        q = q.where(AccessLog.username.in_(f.usernames))
    subjects: list[str] = []
    if f.call_id is not None:
        subjects.append(f"call:{f.call_id}")
    if f.caller:
        ids = session.scalars(
            select(Call.id).where(Call.caller == f.caller).order_by(Call.id.desc()).limit(MAX_CALLS)
        )
        subjects += [f"call:{i}" for i in ids]
    if f.call_id is not None or f.caller:
        q = q.where(AccessLog.subject.in_(subjects or ["-"]))
    if before is not None:
        q = q.where(AccessLog.id < before)
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def access_to_dict(row: AccessLog) -> dict[str, Any]:
    return {"id": row.id, "at": row.at, "username": row.username, "action": row.action,
            "subject": row.subject, "remote": row.remote, "detail": row.detail or {}}  # fmt: skip
