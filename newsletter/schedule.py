"""When the scheduled jobs are due. Pure: the clock and the last runs are arguments."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aggregator.config import parse_draft_at


def last_draft_moment(now: datetime, draft_at: str, zone: ZoneInfo) -> datetime:
    """The most recent weekly draft time at or before `now` ('mon 06:00' in `zone`)."""
    weekday, hour, minute = parse_draft_at(draft_at)
    local = now.astimezone(zone)
    candidate = (local - timedelta(days=(local.weekday() - weekday) % 7)).replace(
        hour=hour, minute=minute, second=0, microsecond=0
    )
    if candidate > local:
        candidate -= timedelta(days=7)
    return candidate


def draft_due(now: datetime, last_drafted: datetime | None, draft_at: str, zone: ZoneInfo) -> bool:
    """True when the weekly draft time has passed since the last draft."""
    moment = last_draft_moment(now, draft_at, zone)
    return last_drafted is None or last_drafted < moment


def crawl_due(now: datetime, last_crawl: datetime | None, interval_seconds: int) -> bool:
    return last_crawl is None or (now - last_crawl).total_seconds() >= interval_seconds
