"""A local day across a summer-time change is 23 or 25 hours long, not 24."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from domain.localtime import day_bounds, local_midnight


def test_days_across_summer_time_changes():
    berlin = ZoneInfo("Europe/Berlin")
    start, end = day_bounds(date(2026, 3, 29), berlin)  # clocks go forward at 02:00
    assert start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert (end - start).total_seconds() == 23 * 3600
    start, end = day_bounds(date(2026, 10, 25), berlin)  # and back
    assert (end - start).total_seconds() == 25 * 3600


def test_shanghai_midnight_is_16_utc_the_day_before():
    assert local_midnight(date(2026, 11, 30), ZoneInfo("Asia/Shanghai")) == datetime(
        2026, 11, 29, 16, 0, tzinfo=UTC
    )
