"""The crawl and its folding child take turns on SQLite's write lock (`aggregator.db.share_write_turns`).

SQLite's busy handler polls: a crawl that commits and begins again at once kept the lock for
most of a crawl while the folding child waited (15 s in one pass). Real processes, a real
database file: the child asks for its turn, and the crawl's open batch commits at its next
write instead of up to half a second later; a turn whose holder died is waited for only once.
"""

from __future__ import annotations

import multiprocessing
import threading
import time

import aggregator.db as database
from aggregator.db import WriteWaiters, open_db, share_write_turns, take_turn, writing
from crawlers.batch import WriteBatch


def _child_writes(path: str, turn, wanted, go, done) -> None:
    go.wait(10)
    db = open_db(path, migrate=False)
    share_write_turns(db, turn, wanted)
    with writing(db):
        db.execute("INSERT INTO notes (text) VALUES ('child')")
    done.set()


def test_an_open_batch_gives_the_waiting_child_its_turn_at_the_next_write(tmp_path):
    path = str(tmp_path / "wire.db")
    open_db(path, migrate=False).execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    context = multiprocessing.get_context("fork")
    turn, wanted, go, done = context.Lock(), WriteWaiters(context), context.Event(), context.Event()
    # forked before the crawl opens its connection, as `crawlers.folding` does (SQLite's locks
    # must not be copied into a child)
    child = context.Process(target=_child_writes, args=(path, turn, wanted, go, done))
    child.start()
    db = open_db(path, migrate=False)
    share_write_turns(db, turn)
    batch = WriteBatch(db, wanted)
    batch.join()
    db.execute("INSERT INTO notes (text) VALUES ('crawl 1')")
    go.set()
    try:
        assert wanted.wait(10)  # the child waits for its turn and says so
        assert not done.is_set()
        batch.join()  # the next write commits the batch, and waits for the child's transaction
        assert done.is_set()
        db.execute("INSERT INTO notes (text) VALUES ('crawl 2')")
        batch.flush()
    finally:
        child.join(10)
    assert child.exitcode == 0
    assert [r[0] for r in db.execute("SELECT text FROM notes ORDER BY id")] == ["crawl 1", "child", "crawl 2"]
    assert not wanted.is_set()


def _child_holds_its_turn(path: str, turn, wanted, holding, release, done) -> None:
    db = open_db(path, migrate=False)
    share_write_turns(db, turn, wanted)
    with writing(db):
        db.execute("INSERT INTO notes (text) VALUES ('child')")
        holding.set()
        release.wait(10)  # a long chunk: the crawl must not stand still meanwhile
    done.set()


def _a_child_that_will_hold_its_turn(tmp_path):
    """A database of notes and a child process (not started) that holds the write turn until released:
    (path, turn, wanted, holding, release, done, child)."""
    path = str(tmp_path / "wire.db")
    open_db(path, migrate=False).execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    context = multiprocessing.get_context("fork")
    turn, wanted, holding, release, done = (context.Lock(), WriteWaiters(context), *(context.Event() for _ in range(3)))
    child = context.Process(target=_child_holds_its_turn, args=(path, turn, wanted, holding, release, done))
    return path, turn, wanted, holding, release, done, child


def test_writes_wait_in_order_while_a_child_holds_the_turn_and_the_crawl_goes_on(tmp_path):
    path, turn, wanted, holding, release, done, child = _a_child_that_will_hold_its_turn(tmp_path)
    db = open_db(path, migrate=False)
    share_write_turns(db, turn)
    batch = WriteBatch(db, wanted)
    batch.write(lambda: db.execute("INSERT INTO notes (text) VALUES ('crawl 1')"))
    batch.flush()
    child.start()
    try:
        assert holding.wait(10)  # the child is inside its transaction, holding the turn
        started = time.monotonic()
        for n in (2, 3):
            batch.write(lambda n=n: db.execute("INSERT INTO notes (text) VALUES (?)", [f"crawl {n}"]))
        assert time.monotonic() - started < 0.5  # queued, not waited for
        assert len(batch.pending) == 2 and not done.is_set()
        batch.flush_if_due()  # the timer finds the turn still taken: nothing is written yet
        assert len(batch.pending) == 2
        release.set()
        batch.flush()  # waits for the child's turn, then writes the queue in order
    finally:
        release.set()
        child.join(10)
    assert child.exitcode == 0 and not batch.pending
    assert [r[0] for r in db.execute("SELECT text FROM notes ORDER BY id")] == [
        "crawl 1",
        "child",
        "crawl 2",
        "crawl 3",
    ]


def test_a_turn_held_by_a_dead_process_is_waited_for_once(tmp_path, monkeypatch):
    monkeypatch.setattr(database, "TURN_WAIT_SECONDS", 0.3)
    db = open_db(tmp_path / "wire.db", migrate=False)
    turn = multiprocessing.get_context("fork").Lock()
    turn.acquire()  # as a child killed in its transaction leaves it
    share_write_turns(db, turn)
    started = time.monotonic()
    assert take_turn(db) is False
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    with writing(db):  # SQLite's own lock alone from now on: no second wait
        db.execute("CREATE TABLE t (x)")
    assert time.monotonic() - started < 0.3


def _child_waits_then_holds(path: str, turn, wanted, got) -> None:
    db = open_db(path, migrate=False)
    share_write_turns(db, turn, wanted)
    with writing(db):
        got.set()
        time.sleep(1.0)


def test_while_the_second_child_still_waits_its_turn_stays_wanted(tmp_path):
    """Both children (folding and tagging) wait for the turn the crawl holds: when the first gets
    it, the crawl must still see the second waiting, or it keeps taking the turn back at once and
    the second waits out `TURN_WAIT_SECONDS` and gives the turn up for the rest of the crawl. One
    Event set and cleared by each waiter said "nobody waits" as soon as the first got it."""
    path = str(tmp_path / "wire.db")
    open_db(path, migrate=False).execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    context = multiprocessing.get_context("fork")
    turn, wanted = context.Lock(), WriteWaiters(context)
    got = [context.Event(), context.Event()]
    turn.acquire()  # the crawl holds the turn
    children = [context.Process(target=_child_waits_then_holds, args=(path, turn, wanted, g)) for g in got]
    for child in children:
        child.start()
    try:
        deadline = time.monotonic() + 10
        while wanted.count() < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert wanted.count() == 2 and wanted.is_set()
        turn.release()
        assert got[0].wait(10) or got[1].wait(10)
        assert wanted.is_set() and wanted.count() == 1  # the other one still waits, and it is known
    finally:
        for child in children:
            child.join(10)
    assert [child.exitcode for child in children] == [0, 0]
    assert not wanted.is_set()


def test_a_writer_waiting_for_its_turn_works_meanwhile_and_then_takes_it(tmp_path):
    path, turn, wanted, holding, release, done, child = _a_child_that_will_hold_its_turn(tmp_path)
    child.start()
    db = open_db(path, migrate=False)
    share_write_turns(db, turn, wanted)
    steps: list[bool] = []

    def step() -> bool:  # a placing child signing its next chunk, a step at a time
        steps.append(wanted.is_set())  # the holder is told that someone waits
        if len(steps) == 3:
            release.set()  # the holder commits
        return True

    try:
        assert holding.wait(10)
        with writing(db, while_waiting=step):
            db.execute("INSERT INTO notes (text) VALUES ('placed')")
    finally:
        release.set()
        child.join(10)
    assert child.exitcode == 0
    assert len(steps) >= 3 and all(steps)  # worked until the turn was free, then took it
    assert [r[0] for r in db.execute("SELECT text FROM notes ORDER BY id")] == ["child", "placed"]
    assert not wanted.is_set() and turn.acquire(block=False)  # given back after the write
    turn.release()


def test_a_writer_with_nothing_left_to_do_waits_for_its_turn(tmp_path):
    db = open_db(tmp_path / "wire.db", migrate=False)
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    turn = multiprocessing.get_context("fork").Lock()
    turn.acquire()  # another writer's transaction
    share_write_turns(db, turn)
    steps: list[int] = []

    def nothing_left() -> bool:
        steps.append(1)
        return False

    freed = threading.Timer(0.3, turn.release)
    freed.start()
    started = time.monotonic()
    with writing(db, while_waiting=nothing_left):
        db.execute("INSERT INTO notes (text) VALUES ('after the other')")
    freed.join()
    assert steps == [1]  # asked once, then it waited: no busy loop
    assert time.monotonic() - started >= 0.25
    assert db.execute("SELECT text FROM notes").fetchall() == [("after the other",)]
