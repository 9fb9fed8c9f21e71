"""Local days and UTC: stored times are aware UTC, people speak of local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo


def local_midnight(day: date, tz: tzinfo | None) -> datetime:
    """Midnight starting ``day`` in ``tz`` (None: this machine's zone), as aware UTC. The offset
    is the one in force that day, so a day with a summer-time change lasts 23 or 25 hours."""
    if tz is None:  # naive → local: the C library finds that day's offset
        return datetime.combine(day, time()).astimezone().astimezone(UTC)
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def day_bounds(day: date, tz: tzinfo | None) -> tuple[datetime, datetime]:
    """[start, end) of a local day in UTC, each end from its own midnight."""
    return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
