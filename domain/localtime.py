"""Local days and UTC: stored times are aware UTC, people speak of local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of a local day in UTC. Each end is computed from its own midnight, so a
    day with a summer-time change lasts 23 or 25 hours, not 24."""
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)
