"""`crawl_in_subprocess` when the crawl's process is killed: the caller learns it at once, in one
line, and the unfinished source is marked, instead of waiting out the whole crawl deadline."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

import pytest

from aggregator.db import open_db
from aggregator.storage.sources import add_source, get_source
from crawlers.run import crawl_in_subprocess
from tests.conftest import StaticSite, make_config


def test_a_crawl_process_killed_is_reported_at_once_and_its_source_marked(tmp_path):
    asked = threading.Event()

    def hang(handler):
        asked.set()
        time.sleep(30)
        return 200, {"Content-Type": "application/rss+xml"}, b"<rss version='2.0'><channel/></rss>"

    site = StaticSite(tmp_path)
    site.routes["/feed.xml"] = (200, {}, hang)
    config = make_config(tmp_path, crawl_deadline=20, crawl_timeout=60)
    db = open_db(config.db)
    stuck = add_source(db, site.url + "/feed.xml", "Stuck", "feed")

    def kill_the_crawl():
        assert asked.wait(60), "the crawl never asked for the feed"
        for child in multiprocessing.active_children():
            os.kill(child.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_the_crawl)
    killer.start()
    started = time.monotonic()
    try:
        with pytest.raises(RuntimeError) as raised:
            crawl_in_subprocess(config, source_ids=[stuck], kinds=("feed",))
    finally:
        killer.join()
        site.server.server_close()
    assert time.monotonic() - started < 15  # not the 20 s deadline
    message = str(raised.value)
    assert "\n" not in message
    assert "the crawl process ended (exit code -9, no report)" in message and "1 source(s)" in message
    row = get_source(db, stuck)
    assert "the crawl process ended" in row["last_error"] and row["consecutive_failures"] == 1
