"""Log-in sessions (server side; the cookie holds a random token whose SHA-256 is stored),
CSRF tokens bound to them, and the failed-log-in limiter."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import defaultdict, deque
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from frontdesk.console.accounts import Principal, principal
from ledger.models import ConsoleSession, User
from ledger.types import utcnow

COOKIE = "fd_session"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User, hours: float) -> tuple[str, str]:
    """A new log-in session for ``user``: returns (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    session.add(
        ConsoleSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
            last_seen_at=now,
        )
    )
    return token, csrf


def lookup(session: Session, token: str | None) -> tuple[Principal, str] | None:
    """The principal and CSRF token of a live session, or None."""
    if not token:
        return None
    row = session.execute(
        select(ConsoleSession, User)
        .join(User, User.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    s, user = row
    if user.disabled or s.expires_at < utcnow():
        return None
    return principal(user), s.csrf


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected, given or "")


class LoginLimiter:
    """At most ``attempts`` failed log-ins per (address, username) and 4× that per address
    within ``window_s``; while over, log-in is refused without checking the password."""

    def __init__(self, attempts: int, window_s: float) -> None:
        self.attempts, self.window_s = attempts, window_s
        self._fails: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails[key]
        while q and q[0] < now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, remote: str, username: str) -> float:
        """Seconds until this pair may try again; 0 when it may try now."""
        now = time.monotonic()
        with self._lock:
            waits = []
            for key, limit in (
                ((remote, username), self.attempts),
                ((remote, ""), self.attempts * 4),
            ):
                q = self._recent(key, now)
                if len(q) >= limit:
                    waits.append(q[0] + self.window_s - now)
            return max(waits, default=0.0)

    def failed(self, remote: str, username: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._fails[(remote, username)].append(now)
            self._fails[(remote, "")].append(now)

    def succeeded(self, remote: str, username: str) -> None:
        with self._lock:
            self._fails.pop((remote, username), None)
