"""How long an editor's account waits after failed logins: a growing delay, then a lockout.

Pure: the count of consecutive failures in, the wait out. The count lives in the database
(`editors.failed_logins`), so every web worker sees it, and a success sets it back to zero.
Tries made while the account waits are refused without checking the password and are not
counted, so somebody hammering an address cannot keep its owner out for longer than
`LOCK_FOR` at a time (the per-client rate limit on POST /login slows them further).
"""

from __future__ import annotations

from datetime import timedelta

FREE_TRIES = 2  # typos: no wait after the first two failures
LOCK_AFTER = 5  # failures in a row that lock the account
LOCK_FOR = timedelta(minutes=15)


def wait_after(failures: int) -> timedelta | None:
    """The wait after the `failures`-th failure in a row: none, then 30 s, 60 s, ..., then LOCK_FOR."""
    if failures <= FREE_TRIES:
        return None
    if failures >= LOCK_AFTER:
        return LOCK_FOR
    return timedelta(seconds=30 * 2 ** (failures - FREE_TRIES - 1))
