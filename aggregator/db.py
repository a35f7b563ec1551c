"""Open the database and write to it through one helper.

SQLite in WAL mode lets the web app read while the crawler writes. All writes go
through `writing(db)`: a short `BEGIN IMMEDIATE` transaction takes the write lock at
the start instead of failing half-way with "database is locked" (the pattern of
datasette's `execute_write_fn`). sqlite-utils calls made inside it nest as savepoints.
"""

from __future__ import annotations

import sqlite3
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import overload

import sqlite_utils

BUSY_TIMEOUT_MS = 15_000


def open_db(path: str | Path, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path`, with WAL and foreign keys, migrated."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: Python's sqlite3 must not open transactions behind our back;
    # `writing()` and sqlite-utils' `atomic()` open them explicitly.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous=NORMAL")
    # 64 MB of page cache (the default is 2 MB): the LSH band and name indexes are read at random
    conn.execute("PRAGMA cache_size=-65536")
    # Copy the WAL into the database every 64 MB of it, not every 4 MB (SQLite's default): a
    # crawl's three writers change the same item pages (stored, placed, tagged), and each
    # checkpoint copies them and syncs the file. 100,000 items on the crawl's path
    # (benchmarks/clustering.py): 88.0 s with the default, 76.8 s with this.
    conn.execute("PRAGMA wal_autocheckpoint=16384")
    # No memory map (`mmap_size`), though 40,000 items on the crawl's path were about a tenth
    # faster with one: the mapped pages of the file count in a process's resident memory, and
    # the crawl's peak went from 373 to 458 MB of its 500 MB target (benchmarks/crawl.py), more
    # with every MB the database grows.
    db = sqlite_utils.Database(conn)
    if migrate:
        from aggregator.migrations import migrate as run_migrations

        run_migrations(db)
    return db


#: Connections that take turns with another process's writer (see `share_write_turns`).
_TURNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: How long a writer waits for its turn before going on without it (SQLite's lock still holds).
TURN_WAIT_SECONDS = 5.0


class WriteWaiters:
    """How many writers of other processes wait for the write turn; `is_set()` while any does.

    The crawl commits its open batch and yields the turn while this is set. It was one Event,
    set by each waiter and cleared when it got the turn: with both children waiting, the first
    to get the turn cleared it for the second, the crawl took the turn back at its next write,
    and the second could wait out TURN_WAIT_SECONDS and give up turns for the rest of the crawl
    (tests/crawlers/test_write_turns.py). A count in shared memory keeps every waiter known.
    """

    def __init__(self, context):
        self._count = context.Value("i", 0)

    def arrive(self) -> None:
        with self._count.get_lock():
            self._count.value += 1

    def leave(self) -> None:
        with self._count.get_lock():
            self._count.value -= 1

    def count(self) -> int:
        return self._count.value

    def is_set(self) -> bool:
        return self._count.value > 0

    def wait(self, timeout: float) -> bool:
        """Until someone waits (polling: this is for tests and rare waits), at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not self.is_set() and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.is_set()


def share_write_turns(db: sqlite_utils.Database, turn, wanted: WriteWaiters | None = None) -> None:
    """Make `db`'s write transactions take `turn` (a multiprocessing Lock shared with the other writer).

    SQLite's busy handler is not fair: a waiting writer sleeps and polls (every 100 ms after a
    few tries), and a process that commits and begins again at once keeps the lock. A crawl
    committing every half second and its folding child starved each other for seconds per
    pass (15 s in one pass of a 10,000-item crawl). Both take this lock around each write
    transaction, so a waiter is woken when the other commits. It only orders the two writers:
    correctness stays SQLite's, and a turn not given within TURN_WAIT_SECONDS (its holder
    killed) is no longer waited for. `wanted` (`WriteWaiters`): counts this side while it
    waits for its turn, so that the other, holding a long batch open, commits at its next write
    (`crawlers.batch.WriteBatch`).
    """
    _TURNS[db] = (turn, wanted)


def take_turn(db: sqlite_utils.Database, while_waiting: Callable[[], bool] | None = None) -> bool:
    """Wait for `db`'s write turn, if it shares one; False when it has none or gave up waiting.

    `while_waiting`: other work to do meanwhile, a step of a millisecond or two per call,
    called until the turn is free or it returns False (nothing left to do); then the wait
    goes on without it. While a crawl stored 100,000 items (23 s, benchmarks/clustering.py),
    its two folding children waited 15 s in all for their turns (5.5 s placing, 9.7 s
    tagging): now they sign the items they will need next meanwhile. A step is short because
    the writer handing the turn over waits until a waiter has taken it
    (`crawlers.batch.WriteBatch`).
    """
    shared = _TURNS.get(db)
    if shared is None:
        return False
    turn, wanted = shared
    if wanted is not None:
        wanted.arrive()
    try:
        if while_waiting is not None:
            while True:
                if turn.acquire(block=False):
                    return True
                if not while_waiting():
                    break
        if turn.acquire(timeout=TURN_WAIT_SECONDS):
            return True
    finally:
        if wanted is not None:
            wanted.leave()
    del _TURNS[db]  # its holder is gone: from now on SQLite's busy handler alone decides
    return False


def try_take_turn(db: sqlite_utils.Database) -> bool | None:
    """`take_turn` without waiting: True when taken, None while another holds it, False when
    `db` shares no turn (never did, or gave up on a dead holder)."""
    shared = _TURNS.get(db)
    if shared is None:
        return False
    return True if shared[0].acquire(block=False) else None


def end_turn(db: sqlite_utils.Database, took: bool) -> None:
    """Give the turn `take_turn` took back (after COMMIT or ROLLBACK)."""
    if took:
        _TURNS[db][0].release()


@contextmanager
def writing(
    db: sqlite_utils.Database, while_waiting: Callable[[], bool] | None = None
) -> Iterator[sqlite_utils.Database]:
    """Run the block as one write transaction, taken with BEGIN IMMEDIATE; nested calls join it.

    `while_waiting`: work done in steps while another process holds the write turn (`take_turn`).
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    took = take_turn(db, while_waiting)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
    finally:
        end_turn(db, took)


def query_rows(db: sqlite_utils.Database, sql: str, params: list | tuple = ()) -> list[dict]:
    """Rows as dicts, read without sqlite-utils' `query`: inside a transaction `query` wraps each
    statement in a savepoint, and every savepoint makes SQLite's full-text index flush its pending
    terms as a new segment, so a crawl storing items in one transaction paid that per item."""
    cursor = db.conn.execute(sql, params)
    keys = [column[0] for column in cursor.description]
    return [dict(zip(keys, row, strict=True)) for row in cursor]


def row_id(value: object) -> int:
    """The id SQLite gave a new row (`lastrowid`, sqlite-utils' `last_pk`), which their types call optional."""
    if not isinstance(value, int):
        raise RuntimeError(f"SQLite gave the new row no integer id ({value!r})")
    return value


def utcnow() -> datetime:
    """Now, aware, in UTC, to the second: every stored time is in this form."""
    return datetime.now(UTC).replace(microsecond=0)


_NO_OFFSET = timedelta(0)


@overload
def iso(moment: datetime) -> str: ...
@overload
def iso(moment: None) -> None: ...
def iso(moment: datetime | None) -> str | None:
    """Store times as ISO 8601 UTC text ('2026-11-22T02:00:00+00:00'), which sorts correctly."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: every stored time must be aware")
    if moment.microsecond == 0 and moment.utcoffset() == _NO_OFFSET:
        # already what is stored (a moment read back from the store): `isoformat` alone, a fraction
        # of the cost of converting; placing computed four of these per item (benchmarks/clustering.py)
        return moment.isoformat()
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def moment_of(item: dict) -> datetime:
    """The time an item counts from: its publication, else when it was fetched (always stored)."""
    moment = parse_iso(item.get("published_at") or item["fetched_at"])
    if moment is None:
        raise ValueError(f"item {item.get('id')} has no fetch time")
    return moment


def parse_iso(text: str | None) -> datetime | None:
    """Read back a time stored by `iso`."""
    if not text:
        return None
    return datetime.fromisoformat(text)


def backup(db: sqlite_utils.Database, target: str | Path) -> Path:
    """Copy the live database to `target` with SQLite's online backup (safe while others write)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(str(target)) as out:
        db.conn.backup(out)
    out.close()
    return target
