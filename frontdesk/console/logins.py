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


# last_seen_at is written at most this often (not on every request of a busy desk)
TOUCH_S = 60.0


def lookup(
    session: Session, token: str | None, idle_minutes: float = 0
) -> tuple[Principal, str] | None:
    """The principal and CSRF token of a live session, or None. A session unused for
    ``idle_minutes`` (0 = no idle limit) has ended; a used one is marked seen (the
    caller commits)."""
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
    now = utcnow()
    if user.disabled or s.expires_at < now:
        return None
    if idle_minutes and s.last_seen_at < now - timedelta(minutes=idle_minutes):
        session.delete(s)
        return None
    if s.last_seen_at < now - timedelta(seconds=TOUCH_S):
        s.last_seen_at = now
    return principal(user), s.csrf


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected, given or "")


class LoginLimiter:
    """At most ``attempts`` failed log-ins per (address, username) within ``window_s``;
    while over, log-in is refused without checking the password.

    An attempt is counted when it starts (``begin``), under the lock that checks the limit,
    and forgiven only when it succeeds: N parallel wrong passwords cannot all pass the
    check before any is recorded. There is no limit per address alone: every browser on
    the desk PC is 127.0.0.1, so one would let a stranger's wrong user names lock every
    user out. Refusals are reported once per (address, username) and window
    (``first_refusal``), and an address's failures beyond ``4 × attempts`` are no longer
    logged one by one (``log_failure``), so a flood does not grow the database.
    """

    SWEEP_AT = 10_000  # keys kept before stale ones are dropped

    def __init__(self, attempts: int, window_s: float) -> None:
        self.attempts, self.window_s = attempts, window_s
        self._fails: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._refused: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails[key]
        while q and q[0] < now - self.window_s:
            q.popleft()
        return q

    def _sweep(self, now: float) -> None:
        if len(self._fails) + len(self._refused) < self.SWEEP_AT:
            return
        for key in list(self._fails):
            if not self._recent(key, now):
                del self._fails[key]
        for key, at in list(self._refused.items()):
            if at < now - self.window_s:
                del self._refused[key]

    def retry_after(self, remote: str, username: str) -> float:
        """Seconds until this pair may try again; 0 when it may try now."""
        now = time.monotonic()
        with self._lock:
            q = self._recent((remote, username), now)
            return q[0] + self.window_s - now if len(q) >= self.attempts else 0.0

    def begin(self, remote: str, username: str) -> float:
        """Start an attempt: 0 and the attempt counted as failed until ``succeeded``, or
        the seconds to wait (nothing counted) when the pair is over the limit."""
        now = time.monotonic()
        with self._lock:
            self._sweep(now)
            q = self._recent((remote, username), now)
            if len(q) >= self.attempts:
                return max(0.001, q[0] + self.window_s - now)
            q.append(now)
            self._recent((remote, ""), now).append(now)
            return 0.0

    def failed(self, remote: str, username: str) -> None:
        """A failure not started with ``begin`` (kept for callers that check first)."""
        now = time.monotonic()
        with self._lock:
            self._fails[(remote, username)].append(now)
            self._fails[(remote, "")].append(now)

    def succeeded(self, remote: str, username: str) -> None:
        with self._lock:
            self._fails.pop((remote, username), None)
            self._refused.pop((remote, username), None)
            everyone = self._fails.get((remote, ""))
            if everyone:
                everyone.pop()  # this attempt was not a failure after all

    def first_refusal(self, remote: str, username: str) -> bool:
        """True for the first refusal of this pair in a window (the one worth a log row)."""
        now = time.monotonic()
        with self._lock:
            at = self._refused.get((remote, username))
            if at is not None and at > now - self.window_s:
                return False
            self._refused[(remote, username)] = now
            return True

    def log_failure(self, remote: str) -> bool:
        """Whether this address's latest failure still gets its own access-log row."""
        now = time.monotonic()
        with self._lock:
            return len(self._recent((remote, ""), now)) <= self.attempts * 4
