"""One open write transaction for a whole crawl's writes, committed every half second.

A crawl writes for every item (the item, its FTS rows) and for every source (its health,
its validators). Committed one by one, each write put the same index pages into the WAL
again: the largest cost of storing after the text itself, and most of an unchanged
re-crawl of a thousand feeds answering 304. `WriteBatch` keeps one transaction open on the
crawl's connection, which every write joins (`aggregator.db.writing` nests as a savepoint),
and commits it when `BATCH_WRITES` writes have joined, when it has been open `FLUSH_SECONDS`,
and when the crawl closes.

It keeps the crawl's promise about validators: a source's ETag is written when its last item
settles (`SourceSpider.finish_source`), in the same transaction as its items or a later one,
never an earlier one; a crawl killed before a commit loses both and fetches the feed again
instead of getting a 304. Other writers (the web app's unsubscribe) wait at most one batch,
well within SQLite's busy timeout.

The crawl never waits for the folding children's turn while it has other work: a write
(`write`) that finds the turn held by a child is queued, in order, and the crawl goes on
parsing; the queue is written at the next write or tick that finds the turn free, and
`flush` waits for it. Measured on the crawl benchmark's 1,000 feeds, the crawl waited 11.9 s
for the children's 13.5 s of write transactions when each write waited for its turn.

New items' full-text rows are written in bulk (`save_item`), FULL_TEXT_ITEMS at a time and at
`flush`: FTS5 writes each commit's additions as a segment, and the crawl commits whenever a
child waits (about every 120 items), so an item's own row made small segments to write and
merge. 40,000 generated items of `benchmarks/clustering.py` stored alone, three alternating
pairs of runs: 14.0-15.2 s CPU with a row per item, 9.8-12.0 s in bulk. Committed items wait at
most until the next bulk or the end of the crawl to be found by search; a crawl killed in
between leaves them to the next tagging pass, which writes the rows items lack
(`aggregator.indexing.index_items`).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

import sqlite_utils
from twisted.internet import task

from aggregator.db import end_turn, take_turn, try_take_turn
from aggregator.storage.items import index_full_text, save_item

logger = logging.getLogger(__name__)

#: Writes per transaction, and the longest a transaction stays open (seconds).
BATCH_WRITES = 200
FLUSH_SECONDS = 0.5
#: The longest the crawl waits for the folding child to take the write turn it let go.
YIELD_SECONDS = 1.0
#: Writes queued while a child holds the turn, beyond which the crawl waits for it (memory).
MAX_PENDING = 2000
#: New items, or characters of their text, whose full-text rows are written in one statement:
#: 2 MB of text is about a tenth of a second of tokenising, under the write lock.
FULL_TEXT_ITEMS = 1000
FULL_TEXT_CHARS = 2_000_000


class WriteBatch:
    """The crawl's open transaction on `db`: `join()` before each write, `flush()` at the end."""

    def __init__(self, db: sqlite_utils.Database, wanted=None):
        self.db = db
        #: set while the folding child waits for the write lock: commit at the next write, not in
        #: up to FLUSH_SECONDS (the crawl held the lock 80 % of the time, parsing between writes)
        self.wanted = wanted
        self.writes = 0
        self.opened_at = 0.0
        self.flusher: task.LoopingCall | None = None
        self.users = 0
        self.took = False  # the write turn shared with the folding child (`aggregator.db.share_write_turns`)
        self.pending: deque[Callable[[], None]] = deque()  # writes waiting for the turn, in order
        self.unindexed: list[int] = []  # new items stored without their full-text row yet
        self.unindexed_chars = 0

    def start(self) -> None:
        """Commit on a timer from the reactor, for as long as one of its users (spiders) runs."""
        self.users += 1
        if self.flusher is None:
            self.flusher = task.LoopingCall(self.flush_if_due)
            self.flusher.start(FLUSH_SECONDS / 2, now=False)

    def stop(self) -> None:
        """A user is done: commit; the timer stops with the last user (the other spider may still write)."""
        self.users = max(0, self.users - 1)
        if not self.users and self.flusher is not None:
            if self.flusher.running:
                self.flusher.stop()
            self.flusher = None
        self.flush()

    def write(self, writes: Callable[[], None]) -> None:
        """Run `writes` (one item's, one source's) in the open transaction: now, or, while a child
        holds the write turn, later and in order (at the next write or tick, at the latest `flush`)."""
        self.pending.append(writes)
        self._write_pending(wait=len(self.pending) >= MAX_PENDING)

    def join(self) -> None:
        """Make sure a transaction is open for the write that follows (waiting for the turn if
        need be), after what is queued; commit a full one first."""
        self._write_pending(wait=True)
        self._open(wait=True)
        self.writes += 1

    def save_item(self, record: dict, fresh: bool = False) -> tuple[str, int]:
        """`aggregator.storage.items.save_item` in the open transaction (call `join` or `write`
        first), a new item's full-text row left for the next bulk."""
        outcome, item_id = save_item(self.db, record, fresh=fresh, full_text=False)
        if outcome == "new":
            self.unindexed.append(item_id)
            self.unindexed_chars += sum(len(record.get(key) or "") for key in ("title", "summary", "text"))
            if len(self.unindexed) >= FULL_TEXT_ITEMS or self.unindexed_chars >= FULL_TEXT_CHARS:
                self._index_full_text()
        return outcome, item_id

    def _index_full_text(self) -> None:
        """The waiting items' full-text rows, in the open transaction."""
        ids, self.unindexed, self.unindexed_chars = self.unindexed, [], 0
        for item_id in index_full_text(self.db, ids):
            logger.error("item %s is stored, but SQLite's full-text index refused it: search will not find it", item_id)

    def _write_pending(self, wait: bool) -> None:
        while self.pending:
            if not self._open(wait):
                return  # a child holds the turn: the queue waits for the next chance
            self.writes += 1
            self.pending.popleft()()

    def _open(self, wait: bool) -> bool:
        """A transaction open for the next write; False when the turn is a child's and `wait` is not set."""
        if self.db.conn.in_transaction:
            if self.wanted is not None and self.wanted.is_set():  # a child waits for the turn we hold
                self._commit()
                self._let_the_child_take_its_turn()
            elif self.writes >= BATCH_WRITES:
                self._commit()
        # (not holding it, the crawl does not wait for `wanted` to clear: one child may wait for the other)
        if not self.db.conn.in_transaction:
            if wait:
                self.took = take_turn(self.db)
            else:
                took = try_take_turn(self.db)
                if took is None:
                    return False
                self.took = took
            try:
                self.db.conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                end_turn(self.db, self.took)
                self.took = False
                raise
            self.opened_at = time.monotonic()
        return True

    def _let_the_child_take_its_turn(self) -> None:
        """Released, a lock goes to whoever asks first: the crawl, asking again at once, kept it.
        Wait (a millisecond at a time, at most YIELD_SECONDS) until a waiting child has taken it:
        one fewer waits. Not until none waits: with both children waiting, that would be waiting
        for the first one's whole transaction (the second's turn comes after it anyway)."""
        if self.wanted is None:
            return
        deadline = time.monotonic() + YIELD_SECONDS
        waiting = self.wanted.count()
        while waiting and self.wanted.count() >= waiting and time.monotonic() < deadline:
            time.sleep(0.001)

    def flush_if_due(self) -> None:
        """On the timer: commit a batch open long enough or wanted by a child; write what is queued
        if the turn is free."""
        if self.db.conn.in_transaction and (
            time.monotonic() - self.opened_at >= FLUSH_SECONDS or (self.wanted is not None and self.wanted.is_set())
        ):
            self._commit()
            self._let_the_child_take_its_turn()
        self._write_pending(wait=False)

    def flush(self) -> None:
        """Write what is queued (waiting for the turn), then commit (items, and the sources whose
        fetch or last item it holds)."""
        self._write_pending(wait=True)
        if self.unindexed:
            self._open(wait=True)
            self._index_full_text()
        self._commit()

    def _commit(self) -> None:
        try:
            if self.db.conn.in_transaction:
                self.db.conn.execute("COMMIT")
        finally:
            end_turn(self.db, self.took)
            self.took = False
        self.writes = 0
