"""Fold what a crawl stores while it is still fetching: clustering and indexing in a second process.

A crawl has two halves of about equal cost: fetching, parsing and storing (Scrapy, on one
core), then placing every new item in a story and tagging it (`cluster_new_items`,
`index_items`). Run one after the other they leave the machine's second core idle, and
the crawl takes their sum. `Folding` runs the second half in two child processes: one places
the items the crawl has committed so far in stories, in passes, and hands each chunk it
commits to the other, which tags and indexes it; one last pass after the crawl's last commit
places the rest. The three take turns on SQLite's write lock (`aggregator.db.share_write_turns`),
and a chunk is matched before its write transaction begins, so nobody waits for matching.

The child is forked before Scrapy starts its reactor or threads, so it starts at once
and shares the modules already imported; it opens its own database connection. Each pass
is the same `cluster_new_items` a crawl ran afterwards before: items are placed in short
chunk transactions, so the crawl's own writes and the child's alternate on SQLite's lock.
An item is written once per crawl (a source is fetched once), and a pass sees it only once
committed, so no pass can place an item whose text the crawl is still changing.

If the crawl process dies, the child dies with it (`die_with_parent`); what is placed
stays placed, the rest waits for the next crawl.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import queue
import signal
import sqlite3
import time
from contextlib import suppress
from dataclasses import dataclass

from aggregator.config import Config
from aggregator.db import WriteWaiters

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

#: Passes in a row that may find the database locked before the child gives up (the crawl then folds).
BUSY_RETRIES = 10

#: How much lower the children's CPU priority is than the crawl's (`os.nice`). Three processes
#: share two cores: the crawl holds connections to partners' servers and is the path everything
#: waits for, so it goes first, and the children use what it leaves, then catch up. Measured with
#: the crawl benchmark's 1,000 feeds (in-process, same machine, minutes apart): 126.2 s at equal
#: priority (4.9x the feedparser floor of that run), 108.5 s with the children at +10 (3.8x).
FOLDING_NICENESS = 10

#: Seconds between passes while the crawl has committed nothing new. (Passes spaced 8 s apart
#: were tried, to fold more items per pass: the crawl benchmark got slower, 227 s against 188 s.)
IDLE_SECONDS = 0.5


#: Items the tagging child signs at a time while it waits for placed chunks: a page signs in
#: about 30 ms, so a chunk handed over waits no longer than that; each page is one write.
SIGN_AHEAD_ITEMS = 100


@dataclass
class FoldReport:
    items: int = 0
    folded: int = 0
    new_stories: int = 0
    error: str | None = None  # a broken taxonomy file: the crawl keeps its items and says so


def new_clustering(db, config: Config):
    """An `aggregator.clustering.Clustering` on `db` with the configuration's thresholds and window."""
    from aggregator.clustering import Clustering

    return Clustering(db, config.near_duplicate_threshold, config.containment_threshold, config.story_window_days)


def fold_pass(db, config: Config, placed=None, clustering=None) -> FoldReport:
    """Place and index what is waiting now: one run of clustering, then tagging of what it placed.

    `placed(item_ids)`: called after each chunk is committed, instead of tagging here (the
    folding child hands its chunks to the tagging child). `clustering`: an
    `aggregator.clustering.Clustering` on `db` kept from pass to pass (what it read stays read).
    """
    from aggregator.exceptions import WireError
    from aggregator.indexing import index_items

    clusters = (clustering or new_clustering(db, config)).run(placed=placed)
    report = FoldReport(items=clusters.items, folded=clusters.folded, new_stories=clusters.new_stories)
    if clusters.item_ids and placed is None:
        try:
            index_items(db, clusters.item_ids)
        except WireError as error:
            report.error = str(error)
    return report


def die_with_parent() -> None:
    """Ask Linux to kill this child the moment the crawl dies (a SIGKILL, a deadline).

    Otherwise it would go on folding, holding the crawl lock it inherited, while the next crawl
    starts its own; killed mid-pass it loses nothing (each chunk is one transaction). Where
    prctl is missing, the loop below still stops once it sees its parent gone.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def lower_priority() -> None:
    """Run this child FOLDING_NICENESS below the crawl (raising one's own niceness needs no privilege)."""
    with suppress(OSError, AttributeError):  # no nice() here: the child runs at the crawl's priority
        os.nice(FOLDING_NICENESS)


def _fold_until_told(config: Config, finish, parent: int, results, turn, wanted, to_index) -> None:
    from aggregator.db import open_db, share_write_turns

    die_with_parent()
    lower_priority()
    if os.getppid() != parent:  # died before the request above
        to_index.put(None)
        return
    db = open_db(config.db, migrate=False)
    share_write_turns(db, turn, wanted)
    total = FoldReport()
    busy = 0
    try:
        from aggregator.storage.items import list_untagged_placed_items

        clustering = new_clustering(db, config)
        if left := list_untagged_placed_items(db):  # placed by an earlier crawl stopped before tagging them
            to_index.put(left)
        while os.getppid() == parent:
            last = finish.is_set()  # read before the pass: everything committed by now is seen by it
            try:
                done = fold_pass(db, config, placed=to_index.put, clustering=clustering)
            except sqlite3.OperationalError as error:
                # the crawl's writes and ours take turns on one lock; a pass that could not get it
                # placed what it committed and is run again (what is left waits, never half placed)
                busy += 1
                if busy > BUSY_RETRIES:
                    raise
                logger.info("folding alongside the crawl: %s; trying again", error)
                if db.conn.in_transaction:
                    db.conn.execute("ROLLBACK")
                clustering = new_clustering(db, config)  # what it held may include the unwritten chunk
                finish.wait(IDLE_SECONDS)
                continue
            busy = 0
            total.items += done.items
            total.folded += done.folded
            total.new_stories += done.new_stories
            if last:
                break
            if not done.items:
                finish.wait(IDLE_SECONDS)
    except BaseException as error:  # reported to the crawl, which folds again itself
        total.error = f"folding alongside the crawl failed: {type(error).__name__}: {error}"
    finally:
        to_index.put(None)  # nothing more to tag
        db.conn.close()
        results.put(total)


def _index_until_told(config: Config, parent: int, results, turn, wanted, to_index) -> None:
    """Tag and index each chunk the folding child placed, as it comes (the second half of folding).

    Run in its own process, tagging overlaps the clustering of the next chunks, and the crawl's
    last pass takes about the longer of the two instead of their sum. What it leaves (an
    unexpected error, a kill) is marked untagged in the database: the crawl tags it at the end,
    or, when the crawl was stopped, the next crawl does.
    """
    from aggregator.db import open_db, share_write_turns
    from aggregator.exceptions import WireError
    from aggregator.indexing import index_items

    die_with_parent()
    lower_priority()
    error: str | None = None
    broken = False
    db = None
    try:
        if os.getppid() != parent:
            return
        db = open_db(config.db, migrate=False)
        share_write_turns(db, turn, wanted)
        from aggregator.clustering import SigningAhead

        signer = SigningAhead(db)
        while (ids := _next_chunk(to_index, signer)) is not None:
            if broken:  # after a failure: the crawl tags the rest
                continue
            try:
                index_items(db, ids, while_waiting=signer.sign_some, with_writes=signer.save)
            except WireError as taxonomy:  # a broken taxonomy file: the items stay, untagged, and it is said
                error = str(taxonomy)
            except BaseException as failure:
                error = f"tagging alongside the crawl failed: {type(failure).__name__}: {failure}"
                broken = True
    finally:
        if db is not None:
            db.conn.close()
        results.put((error, broken))


def _next_chunk(to_index, signer):
    """The next chunk of placed item ids to tag (None: no more). While none is waiting, new items
    are signed ahead for the folding child (`signer`, an `aggregator.clustering.SigningAhead`),
    a page at a time, so that a chunk handed over is tagged as soon as the page is done."""
    while not signer.stopped:
        with suppress(queue.Empty):
            return to_index.get_nowait()
        if not _sign_a_page(signer):  # nothing to sign: wait for the next chunk, or for new items
            with suppress(queue.Empty):
                return to_index.get(timeout=IDLE_SECONDS)
    return to_index.get()


def _sign_a_page(signer) -> bool:
    """Whether `signer` signed a page. Should signing fail, its transaction is rolled back and
    it stops (`signer.stopped`): the folding child signs what is left, nothing is lost."""
    try:
        return bool(signer.page(SIGN_AHEAD_ITEMS))
    except Exception as error:
        logger.info("signing ahead stopped: %s: %s", type(error).__name__, error)
        if signer.db.conn.in_transaction:
            signer.db.conn.execute("ROLLBACK")
        signer.stopped = True
        return False


def receive(results, process, timeout: float | None = None):
    """What a child process puts on `results`. ChildProcessError as soon as the process is gone
    without putting it (killed, a crash in a C library): nothing is waited for that cannot come;
    TimeoutError after `timeout` seconds, when given."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = 1.0 if deadline is None else max(0.01, min(1.0, deadline - time.monotonic()))
        try:
            return results.get(timeout=wait)
        except queue.Empty:
            if not process.is_alive():
                try:
                    return results.get(timeout=1)  # put just before it ended
                except queue.Empty:
                    raise ChildProcessError(f"exit code {process.exitcode}, no report") from None
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError from None


def _receive(results, process, otherwise):
    """The child's report, or `otherwise` if it is gone without one (killed)."""
    try:
        return receive(results, process)
    except ChildProcessError:
        return otherwise


class Folding:
    """The children that fold alongside a crawl: `start()`, then `finish()`, or `stop()` on Ctrl-C.

    One places items in stories (`fold_pass`), chunk by chunk, and hands each chunk to the
    other, which tags and indexes it; both take turns with the crawl on the write lock.
    """

    def __init__(self, config: Config):
        context = multiprocessing.get_context("fork")
        self.finish_event = context.Event()
        self.results = context.Queue()
        self.index_results = context.Queue()
        to_index = context.Queue()  # chunks of placed item ids, then None
        self.turn = context.Lock()  # the write turn, taken by the crawl's and the children's transactions
        self.wanted = WriteWaiters(context)  # counts the children waiting for their turn
        self.process = context.Process(
            target=_fold_until_told,
            args=(config, self.finish_event, os.getpid(), self.results, self.turn, self.wanted, to_index),
            name="wire-folding",
        )
        self.indexer = context.Process(
            target=_index_until_told,
            args=(config, os.getpid(), self.index_results, self.turn, self.wanted, to_index),
            name="wire-tagging",
        )

    def start(self) -> None:
        self.process.start()
        self.indexer.start()

    def finish(self, db=None) -> FoldReport:
        """One last pass over everything committed, then the totals of every pass. Items placed
        and not tagged by the tagging child (it failed, or was killed) are tagged here, on `db`."""
        self.finish_event.set()
        report = _receive(self.results, self.process, FoldReport(error="folding alongside the crawl died"))
        error, broken = _receive(self.index_results, self.indexer, ("tagging alongside the crawl died", True))
        self.process.join()
        self.indexer.join()
        if broken and db is not None:
            from aggregator.exceptions import WireError
            from aggregator.indexing import index_items
            from aggregator.storage.items import list_untagged_placed_items

            try:
                index_items(db, list_untagged_placed_items(db))
            except WireError as broken:
                error = str(broken)
        report.error = report.error or error
        return report

    def close(self) -> None:
        """Make sure the children are gone (a crawl that failed before `finish`)."""
        if self.process.is_alive() or self.indexer.is_alive():
            self.stop()

    def stop(self) -> None:  # idempotent: `close` calls it again
        """Stop now (Ctrl-C): each chunk is one transaction, so what is placed stays and the rest,
        never half placed, waits for the next crawl."""
        for process in (self.process, self.indexer):
            if process.is_alive():
                process.terminate()
            process.join()
