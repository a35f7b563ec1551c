"""ISO weeks ('2026-W48') and their bounds in the configured time zone. Pure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aggregator.exceptions import InvalidInput

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def week_of(moment: datetime, zone: ZoneInfo) -> str:
    year, week, _ = moment.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, local time, as aware UTC datetimes."""
    match = _WEEK.match(week or "")
    if not match:
        raise InvalidInput(f"not an ISO week: {week!r} (expected the form 2026-W48)")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise InvalidInput(f"week {week!r} does not exist") from None
    start = datetime.combine(monday, time(0), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
