"""The web app's database connections: one per serving thread, kept between requests, never left mid-transaction.

Opening a connection for every request cost its pragmas and, above all, an empty page cache: every desk
page read its indexes from the start again. A kept connection must still see what other connections
commit (the crawler, the CLI, another thread), and a request that fails must not leave the write lock or
an open transaction to the next request on its thread.
"""

from __future__ import annotations

import sqlite3
import threading

from flask import Flask

from aggregator.storage.subscribers import add_subscriber
from wire.web import create_app, get_db


def _connection(app: Flask) -> sqlite3.Connection:
    """The connection a request on this thread is given."""
    with app.test_request_context("/"):
        return get_db().conn


def test_a_thread_keeps_its_connection_and_other_threads_have_their_own(config, tmp_path):
    from tests.conftest import make_config

    app = create_app(config)
    first, again = _connection(app), _connection(app)
    assert first is again  # kept between requests
    found: list[sqlite3.Connection] = []
    worker = threading.Thread(target=lambda: found.append(_connection(app)))
    worker.start()
    worker.join()
    assert found and found[0] is not first  # never shared between threads
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    other = create_app(make_config(other_folder))
    assert _connection(other) is not first  # another app (another database) has its own


def test_a_kept_connection_sees_what_other_connections_commit(config, db):
    app = create_app(config)

    def count() -> int:
        with app.test_request_context("/"):
            return get_db().execute("SELECT count(*) FROM subscribers").fetchone()[0]

    assert count() == 0
    add_subscriber(db, "reader@example.org", "fa")  # as the CLI or the crawler would, through its own connection
    assert count() == 1


def test_a_request_that_fails_inside_a_transaction_leaves_neither_the_lock_nor_the_transaction(config, db):
    app = create_app(config)

    @app.get("/fails-while-writing")
    def fails_while_writing():
        get_db().conn.execute("BEGIN IMMEDIATE")
        get_db().conn.execute("UPDATE subscribers SET language = 'de'")
        raise RuntimeError("a view that breaks half-way")

    @app.get("/leaves-a-transaction-open")
    def leaves_a_transaction_open():
        get_db().conn.execute("BEGIN IMMEDIATE")
        return "forgot to commit"

    add_subscriber(db, "reader@example.org", "fa")
    client = app.test_client()
    for path in ("/fails-while-writing", "/leaves-a-transaction-open"):
        client.get(path)
        db.conn.execute("PRAGMA busy_timeout=200")
        db.conn.execute("BEGIN IMMEDIATE")  # "database is locked" if the request's transaction were still open
        db.conn.execute("ROLLBACK")
        assert not _connection(app).in_transaction
    assert db.execute("SELECT language FROM subscribers").fetchone()[0] == "fa"  # the broken write was undone
