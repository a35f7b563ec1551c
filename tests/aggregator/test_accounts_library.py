"""aggregator.accounts: sessions that end, hashes that upgrade, refusals that take the same time."""

from __future__ import annotations

import dataclasses
import gc
import time
from datetime import timedelta

from argon2 import PasswordHasher, profiles

from aggregator.accounts import (
    SESSION_IDLE,
    SESSION_MAX,
    add_account,
    authenticate,
    close_session,
    list_accounts,
    open_session,
    session_editor,
)
from aggregator.db import utcnow
from aggregator.lockout import LOCK_AFTER, LOCK_FOR, wait_after
from aggregator.passwords import use_parameters

PASSWORD = "a long enough test passphrase"


def test_a_session_ends_after_idling_or_growing_old(db):
    add_account(db, "a@example.org", PASSWORD, actor="test", now=utcnow())
    now = utcnow()
    editor = authenticate(db, "a@example.org", PASSWORD, now)
    assert editor is not None
    idle = open_session(db, editor, now)
    assert session_editor(db, idle, now + SESSION_IDLE - timedelta(minutes=1)) == editor
    assert session_editor(db, idle, now + SESSION_IDLE * 2 - timedelta(minutes=2)) == editor  # use keeps it open
    assert session_editor(db, idle, now + SESSION_IDLE * 3) is None
    assert session_editor(db, idle, now + SESSION_IDLE * 2) is None  # revoked: it does not come back

    busy = open_session(db, editor, now)
    moment, step = now, SESSION_IDLE - timedelta(hours=1)
    while moment + step < now + SESSION_MAX:
        moment += step
        assert session_editor(db, busy, moment) == editor
    assert session_editor(db, busy, now + SESSION_MAX + timedelta(minutes=1)) is None


def test_an_old_hash_is_upgraded_at_the_next_login(db):
    add_account(db, "a@example.org", PASSWORD, actor="test", now=utcnow())
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    db.execute("UPDATE editors SET password_hash = ? WHERE email = 'a@example.org'", [weak])
    assert authenticate(db, "a@example.org", PASSWORD, utcnow()) is not None
    stored = next(db.query("SELECT password_hash FROM editors WHERE email = 'a@example.org'"))["password_hash"]
    assert stored != weak and stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")  # the current (test) parameters
    assert authenticate(db, "a@example.org", PASSWORD, utcnow()) is not None


def test_the_wait_grows_then_locks():
    waits = [wait_after(n) for n in range(1, LOCK_AFTER + 2)]
    assert waits[:2] == [None, None]
    assert waits[2] < waits[3] < waits[4] == waits[5] == LOCK_FOR


def test_refusals_take_about_as_long_as_a_wrong_password(db):
    """Unknown address, wrong password and a locked account each cost one argon2 check.

    With parameters large enough that argon2 outweighs the SQL (16 MiB, 2 passes: tens of
    milliseconds) yet small enough for the suite; timed in CPU time of this process, which other
    processes on a busy machine do not change. The fastest of 5 with the garbage collector off: a
    check's own cost is its fastest run, and what comes on top (a collection, another thread of the
    process, a busy core's caches) only adds; a median of 3 once read 0.062 s against 0.020 s.
    """
    use_parameters(dataclasses.replace(profiles.RFC_9106_LOW_MEMORY, memory_cost=16384, time_cost=2, parallelism=1))
    add_account(db, "known@example.org", PASSWORD, actor="test", now=utcnow())
    add_account(db, "locked@example.org", PASSWORD, actor="test", now=utcnow())
    db.execute("UPDATE editors SET locked_until = '2999-01-01T00:00:00+00:00' WHERE email = 'locked@example.org'")

    def fastest(email):
        times = []
        for _ in range(5):
            start = time.process_time()
            assert authenticate(db, email, "not the password at all", utcnow()) is None
            times.append(time.process_time() - start)
            db.execute("UPDATE editors SET failed_logins = 0, locked_until = NULL WHERE email = 'known@example.org'")
        return min(times)

    gc.disable()
    try:
        wrong = fastest("known@example.org")
        for email in ("nobody@example.org", "locked@example.org", "not an address"):
            assert 0.4 < fastest(email) / wrong < 2.5, email
    finally:
        gc.enable()


def test_open_sessions_are_counted_and_dead_ones_forgotten_at_the_next_login(db):
    add_account(db, "a@example.org", PASSWORD, actor="test", now=utcnow())
    now = utcnow()
    editor = authenticate(db, "a@example.org", PASSWORD, now)
    assert editor is not None
    closed = open_session(db, editor, now)
    open_session(db, editor, now)
    close_session(db, closed, now)
    assert [row["sessions"] for row in list_accounts(db, now)] == [1]
    later = now + SESSION_IDLE + timedelta(minutes=1)
    assert [row["sessions"] for row in list_accounts(db, later)] == [0]  # idle too long: not counted as open
    open_session(db, editor, now + SESSION_MAX + timedelta(minutes=1))
    assert db["editor_sessions"].count == 1  # the closed one and the one too old to use are gone
