"""A crawl writes its new items' full-text rows in bulk (`crawlers.batch.WriteBatch.save_item`).

SQLite's FTS5 writes what a transaction added as a new segment at each commit, and the crawl
commits whenever a folding child waits for the write lock (about every 120 items on the
clustering benchmark): small segments cost most of storing an item, in writing and merging
them (`benchmarks/clustering.py`). Real processes and files: what is promised is that every
item is found by search once the crawl has flushed, that an item edited before its row was
written is indexed once with its last text, and that items a killed crawl committed without
their rows get them from the next tagging pass; and that an item the index refuses stays
stored while the others are indexed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sqlite3

import pytest

import crawlers.batch as batch_module
from aggregator.db import open_db
from aggregator.indexing import index_items
from aggregator.storage.items import list_items
from aggregator.storage.sources import add_source
from aggregator.text import content_hash
from crawlers.batch import WriteBatch

WORDS = "hunger strike prison lawyer visit court hearing family letter solidarity".split()


def _record(source: int, n: int, text: str | None = None) -> dict:
    text = text or f"Day {n} of the hunger strike: " + " ".join(WORDS[(n + k) % len(WORDS)] for k in range(40))
    title = f"Report number{n}"
    return {
        "source_id": source,
        "guid": f"g{n}",
        "url": f"http://127.0.0.1/{n}",
        "canonical_url": f"http://127.0.0.1/{n}",
        "title": title,
        "text": text,
        "summary": text[:80],
        "language": "en",
        "content_hash": content_hash(title, text),
    }


def _indexed(db) -> int:
    return db.execute("SELECT count(*) FROM items_fts_docsize").fetchone()[0]


def _check(db) -> None:
    """FTS5's own check of the index against the items table: raises when an item lacks its row."""
    db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")


def test_items_are_indexed_in_bulk_and_all_found_after_the_flush(tmp_path, monkeypatch):
    monkeypatch.setattr(batch_module, "FULL_TEXT_ITEMS", 50)
    db = open_db(tmp_path / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "partner", "feed")
    batch = WriteBatch(db)
    for n in range(120):
        batch.join()
        assert batch.save_item(_record(source, n), fresh=True)[0] == "new"
        if n == 48:
            batch._commit()  # as when a child wants the lock: committed, not yet indexed
            assert _indexed(db) == 0
    assert _indexed(db) == 100  # two bulks of 50 so far, the last 20 wait
    batch.flush()
    assert _indexed(db) == 120
    _check(db)
    assert len(list_items(db, search="number7")) == 1
    assert len(list_items(db, search='"hunger strike"')) == 120


def test_an_item_edited_before_its_row_was_written_is_indexed_once_with_its_last_text(tmp_path):
    db = open_db(tmp_path / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "partner", "feed")
    batch = WriteBatch(db)
    batch.join()
    _, first = batch.save_item(_record(source, 1, "Mahir Ekinci refuses food in Edirne prison. " * 5), fresh=True)
    batch.join()  # the feed lists it again, corrected: a revision, whose trigger indexes the new text
    outcome, again = batch.save_item(_record(source, 1, "Mahir Ekinci ended his hunger strike in Edirne. " * 5))
    assert (outcome, again) == ("updated", first)
    batch.flush()
    _check(db)
    assert _indexed(db) == 1
    assert [row["id"] for row in list_items(db, search="ended")] == [first]
    assert list_items(db, search="refuses") == []


def _crawl_killed_after_a_commit(path: str) -> None:
    db = open_db(path)
    source = add_source(db, "http://127.0.0.1/feed", "partner", "feed")
    batch = WriteBatch(db)
    for n in range(30):
        batch.join()
        batch.save_item(_record(source, n), fresh=True)
    batch._commit()  # committed as when a child waits for the lock; then the crawl is killed
    os._exit(0)


def test_items_a_killed_crawl_left_unindexed_get_their_rows_from_tagging(tmp_path):
    path = str(tmp_path / "wire.db")
    open_db(path).conn.close()  # migrated; no connection may be open across the fork (SQLite's rule)
    child = multiprocessing.get_context("fork").Process(target=_crawl_killed_after_a_commit, args=(path,))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    db = open_db(path)
    ids = [row[0] for row in db.execute("SELECT id FROM items ORDER BY id")]
    assert len(ids) == 30 and _indexed(db) == 0
    with pytest.raises(Exception, match="malformed|corrupt"):
        _check(db)  # FTS5 itself sees the missing rows
    index_items(db, ids)  # what the next crawl's tagging child runs for them
    _check(db)
    assert len(list_items(db, search="number12")) == 1


class _RefusingConnection:
    """The real connection, except that writing the full-text row of one item fails as SQLite
    fails a statement. Stands in for a refusal that no input makes FTS5 produce here (it takes
    any text); everything else goes to SQLite."""

    def __init__(self, conn, refused_id: int):
        self.conn, self.refused_id = conn, refused_id

    def execute(self, sql, params=()):
        if sql.startswith("INSERT INTO items_fts") and self.refused_id in params:
            raise sqlite3.DatabaseError("refused by the test")
        return self.conn.execute(sql, params)

    def __getattr__(self, name):
        return getattr(self.conn, name)


def test_an_item_the_index_refuses_stays_stored_and_the_others_are_indexed(tmp_path, caplog):
    db = open_db(tmp_path / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "partner", "feed")
    batch = WriteBatch(db)
    ids = []
    for n in range(5):
        batch.join()
        ids.append(batch.save_item(_record(source, n), fresh=True)[1])
    real = db.conn
    db.conn = _RefusingConnection(real, ids[2])
    try:
        with caplog.at_level(logging.ERROR, logger="crawlers.batch"):
            batch.flush()
    finally:
        db.conn = real
    assert [r.getMessage() for r in caplog.records] == [
        f"item {ids[2]} is stored, but SQLite's full-text index refused it: search will not find it"
    ]
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 5  # nothing lost
    indexed = [row[0] for row in db.execute("SELECT id FROM items_fts_docsize ORDER BY id")]
    assert indexed == [ids[0], ids[1], ids[3], ids[4]]
    assert len(list_items(db, search="number3")) == 1 and list_items(db, search="number2") == []
