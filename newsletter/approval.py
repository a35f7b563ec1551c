"""Approving an edition for a sending time, and taking the approval back: one rule for the CLI and the desk.

An approved edition is sent by the schedule (`wire serve`, or `wire run-once` from cron) once its
time has come; "send now" is an approval for now. A time typed without an offset is read in the
configured time zone, because that is the clock editors plan their evening by.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlite_utils

from aggregator.db import iso, utcnow
from aggregator.exceptions import ConflictError, InvalidInput
from aggregator.storage.editions import FROZEN_STATES, check_editable, get_edition, set_edition_status


def send_time(text: str | None, zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """The moment `text` names (ISO 8601; without an offset, in `zone`); now when it is empty."""
    if not (text or "").strip():
        return now or utcnow()
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise InvalidInput(f"not an ISO 8601 time: {text!r} (for example 2026-11-23T07:00)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def approve_edition(db: sqlite_utils.Database, edition_id: int, moment: datetime) -> str:
    """Approve the edition to be sent at `moment`; return the stored time (ISO, UTC).

    Refused once the edition is being sent or sent: its audience and copy are fixed.
    """
    if get_edition(db, edition_id)["status"] in FROZEN_STATES:
        raise InvalidInput(f"edition {edition_id} is already being sent or sent")
    at = iso(moment)
    set_edition_status(db, edition_id, "approved", scheduled_at=at)
    return at


def withdraw_approval(db: sqlite_utils.Database, edition_id: int) -> None:
    """Back to a draft that the schedule leaves alone; refused once anything was frozen or sent."""
    edition = check_editable(db, edition_id)
    if edition["status"] != "approved":
        raise ConflictError(f"edition {edition_id} is {edition['status']}, not approved: nothing to withdraw")
    set_edition_status(db, edition_id, "draft", scheduled_at=None)
