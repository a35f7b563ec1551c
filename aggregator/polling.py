"""When to fetch a source next: an interval that follows how often it publishes, backoff on errors.

Pure: the outcome of one fetch in, the changes to store out. The rules are those of the
best feed readers, with their most common complaint fixed: Miniflux and FreshRSS stop
polling a feed that failed too often, so a feed broken for weeks is never picked up again.
Here the backoff is capped (`max_backoff`, 24 h by default) and a source is only marked
failing, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aggregator.db import iso, parse_iso


@dataclass(frozen=True)
class FetchOutcome:
    """What one fetch of a source gave."""

    status: int | None  # HTTP status; None when no response came (DNS, refused, timeout)
    ok: bool
    error: str | None = None  # plain words for the partner and the editor
    hint: str | None = None  # what to do about it
    new_items: int = 0
    not_modified: bool = False
    retry_after: int | None = None  # seconds the server asked us to wait (429, 503)
    etag: str | None = None
    last_modified: str | None = None
    new_url: str | None = None  # after a permanent redirect
    gone: bool = False  # 410: the partner removed the feed for good


def adapt_interval(current: int, new_items: int, min_interval: int, max_interval: int) -> int:
    """Poll more often a source that just published, less often one that did not (halve / +50%)."""
    if new_items > 0:
        return max(min_interval, current // 2)
    return min(max_interval, int(current * 1.5))


def backoff(failures: int, base: int, cap: int) -> int:
    """Exponential backoff on consecutive failures, capped so that a source is never abandoned."""
    return min(cap, base * (2 ** max(0, failures - 1)))


def next_state(source: dict, outcome: FetchOutcome, now: datetime, *, min_interval: int, max_backoff: int) -> dict:
    """The columns of `sources` to update after a fetch."""
    changes: dict = {"last_fetch_at": iso(now), "last_status": outcome.status}
    interval = source.get("interval_seconds") or min_interval * 2
    if outcome.ok:
        interval = adapt_interval(interval, outcome.new_items, min_interval, max_backoff)
        changes.update(
            last_success_at=iso(now),
            consecutive_failures=0,
            failing_since=None,
            last_error=None,
            last_error_hint=None,
            interval_seconds=interval,
        )
        if outcome.etag is not None or outcome.last_modified is not None:
            changes.update(etag=outcome.etag, last_modified=outcome.last_modified)
        if outcome.not_modified:
            changes["not_modified_count"] = (source.get("not_modified_count") or 0) + 1
        wait = interval
    else:
        failures = (source.get("consecutive_failures") or 0) + 1
        first_failure = parse_iso(source.get("failing_since")) or now
        changes.update(
            consecutive_failures=failures,
            last_error=outcome.error,
            last_error_hint=outcome.hint,
            failing_since=iso(first_failure),
        )
        wait = backoff(failures, min_interval, max_backoff)
    if outcome.retry_after:
        wait = max(wait, min(outcome.retry_after, max_backoff))
    if outcome.gone:
        changes["status"] = "paused"
    if outcome.new_url:
        changes["url"] = outcome.new_url
    changes["next_fetch_at"] = iso(now + timedelta(seconds=wait))
    return changes


def health(source: dict, now: datetime, failing_after: int) -> str:
    """'ok', 'failing' (failing for longer than `failing_after`), 'erroring', 'paused', 'gone' or 'new'."""
    if source["status"] != "active":
        return source["status"]
    since = parse_iso(source.get("failing_since"))
    if since is not None:
        return "failing" if (now - since).total_seconds() >= failing_after else "erroring"
    return "ok" if source.get("last_success_at") else "new"
