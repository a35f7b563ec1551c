"""Write dates the way each kind of partner writes them.

Feeds use RFC 822 (RSS 2.0) or RFC 3339 (Atom, dc:date), in the partner's own UTC
offset, because real feeds do and parsers must cope. Pages show a human date in the
site's language; Persian sites show the Solar Hijri (Jalali) calendar in Persian
digits, while ``<time datetime>`` keeps the machine-readable date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def floor_to_hour(moment: datetime) -> datetime:
    """Round down to the hour, so a live demo's pages stay byte-identical for an hour.

    Without this every request would shift every date by a few seconds, and conditional
    GET (ETag, Last-Modified) could never answer 304.
    """
    return moment.replace(minute=0, second=0, microsecond=0)


def local(moment: datetime, utc_offset: timedelta) -> datetime:
    """Return ``moment`` in a partner's fixed UTC offset."""
    return moment.astimezone(timezone(utc_offset))


def rfc822(moment: datetime, utc_offset: timedelta) -> str:
    """Format for RSS 2.0 ``pubDate``, e.g. ``Tue, 04 Jun 2024 09:30:00 +0300``."""
    return format_datetime(local(moment, utc_offset))


def rfc3339(moment: datetime, utc_offset: timedelta) -> str:
    """Format for Atom and dc:date, e.g. ``2024-06-04T09:30:00+03:00``."""
    return local(moment, utc_offset).isoformat(timespec="seconds")


def http_date(moment: datetime) -> str:
    """Format for ``Last-Modified``: always GMT, as HTTP requires."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def spanish_broken(moment: datetime, utc_offset: timedelta) -> str:
    """Write a date no feed parser can read: a hand-made CMS's Spanish, with hour 25."""
    months = ("enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre").split()
    day = local(moment, utc_offset)
    return f"{day.day} de {months[day.month - 1]} de {day.year}, 25:{day.minute:02d} h"


def display(moment: datetime, utc_offset: timedelta, language: str, months: list[str]) -> str:
    """Write a date for readers of a page, in the site's language and calendar."""
    day = local(moment, utc_offset)
    if language == "fa":
        year, month, dom = to_jalali(day.year, day.month, day.day)
        return f"{dom} {months[month - 1]} {year}".translate(PERSIAN_DIGITS)
    if language == "en":
        return f"{months[day.month - 1]} {day.day}, {day.year}"
    if language == "de":
        return f"{day.day}. {months[day.month - 1]} {day.year}"
    return f"{day.day} {months[day.month - 1]} {day.year}"


def to_jalali(year: int, month: int, day: int) -> tuple[int, int, int]:
    """Convert a Gregorian date to the Solar Hijri calendar used in Iran.

    The arithmetic algorithm (valid for 1600–3000 AD) counts days from a common epoch;
    it is exact for the years the demo can ever show.
    """
    days_before = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
    gy2 = year + 1 if month > 2 else year
    days = 355666 + 365 * year + (gy2 + 3) // 4 - (gy2 + 99) // 100 + (gy2 + 399) // 400 + day + days_before[month - 1]
    jy = -1595 + 33 * (days // 12053)
    days %= 12053
    jy += 4 * (days // 1461)
    days %= 1461
    if days > 365:
        jy += (days - 1) // 365
        days = (days - 1) % 365
    if days < 186:
        return jy, 1 + days // 31, 1 + days % 31
    return jy, 7 + (days - 186) // 30, 1 + (days - 186) % 30
