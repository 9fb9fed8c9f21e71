"""The access log: every log-in, playback and export of residents' data (who, what, when)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ledger.models import AccessLog


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
