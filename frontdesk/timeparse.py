"""Parsing the times people type on the command line (local time unless a zone is given)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frontdesk.errors import UserError


def parse_time(text: str | None) -> datetime | None:
    """``2026-11-01``, ``2026-11-01 08:30``, ISO 8601, or relative: ``-2h``, ``-7d``, ``today``."""
    if not text:
        return None
    t = text.strip()
    now = datetime.now().astimezone()
    if t == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    if t.startswith("-") and t[-1:] in "mhd" and t[1:-1].isdigit():
        unit = {"m": "minutes", "h": "hours", "d": "days"}[t[-1]]
        return (now - timedelta(**{unit: int(t[1:-1])})).astimezone(UTC)
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        raise UserError(
            f"cannot read the time {text!r}: use 2026-11-01, '2026-11-01 08:30', -2h, -7d or today"
        ) from None
    if dt.tzinfo is None:
        dt = dt.astimezone()  # the machine's local time, as the user sees it
    return dt.astimezone(UTC)
