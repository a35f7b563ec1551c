"""Folding alongside a crawl in two children: one places items in stories, the other tags them.

Real crawls over loopback, each in a spawned process as `wire crawl` runs them: every stored
item ends placed and tagged, and a tagging child that fails unexpectedly hands its chunks back
to the crawl, which tags them itself, and so does one killed, so that no item is left untagged.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import asdict

from aggregator.db import open_db
from aggregator.storage.sources import add_source
from crawlers.run import crawl
from tests.conftest import StaticSite, make_config

TEXT = (
    "Nasrin Alavi, a political prisoner on hunger strike in Evin prison, was taken to hospital. "
    "Her lawyer said the court refused an independent doctor. "
)


def _feed(base: str, count: int) -> bytes:
    items = "".join(
        f"<item><title>Hunger strike, day {n}</title><link>{base}/a{n}</link><guid>g{n}</guid>"
        f"<pubDate>Mon, 2{n % 8} Nov 2026 10:00:00 +0000</pubDate>"
        f"<description><![CDATA[<p>{TEXT * 6} Day {n} of the strike; statement {n * 7919 % 1000}.</p>]]></description>"
        f"</item>"
        for n in range(count)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Partner</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


def _crawl_here(config, break_the_tagger: str, results) -> None:
    """The crawl's process: with `break_the_tagger`, tagging in its children (forked from it) fails
    ("raise") or the child is gone at once, as if killed ("exit")."""
    if break_the_tagger:
        import aggregator.indexing as indexing

        crawl_process, real = os.getpid(), indexing.index_items

        def failing_in_a_child(db, item_ids=None, taxonomy=None, **signing):
            if os.getpid() != crawl_process:
                if break_the_tagger == "exit":
                    os._exit(9)
                raise RuntimeError("the tagging child broke")
            return real(db, item_ids, taxonomy, **signing)

        indexing.index_items = failing_in_a_child
    results.put(asdict(crawl(config, kinds=("feed",))))


def _run(config, break_the_tagger: str = "") -> dict:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_crawl_here, args=(config, break_the_tagger, results))
    process.start()
    report = results.get(timeout=120)
    process.join(30)
    return report


def _crawl(tmp_path, break_the_tagger: str = "", count: int = 30, again=None):
    (tmp_path / "site").mkdir()
    site = StaticSite(tmp_path / "site")
    try:
        site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, _feed(site.url, count))
        config = make_config(tmp_path, allow_private_networks=True, crawl_delay=0)
        db = open_db(config.db)
        source = add_source(db, f"{site.url}/feed.xml", "Partner", "feed")
        report = _run(config, break_the_tagger)
        if again is not None:
            again(db)
            db.execute("UPDATE sources SET next_fetch_at = NULL WHERE id = ?", [source])
            report = _run(config)
    finally:
        site.close()
    return report, db


def _untagged(db) -> int:
    return db.execute(
        "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM tag_evidence t WHERE t.item_id = i.id)"
    ).fetchone()[0]


def test_every_item_of_a_crawl_is_placed_and_tagged(tmp_path):
    report, db = _crawl(tmp_path)
    assert report["items_new"] == 30 and not report["errors"]
    assert db.execute("SELECT count(*) FROM items WHERE story_id IS NULL OR reprocess = 1").fetchone()[0] == 0
    assert _untagged(db) == 0
    assert db.execute("SELECT count(DISTINCT item_id) FROM people_mentions").fetchone()[0] == 30


def test_a_tagging_child_that_fails_hands_its_chunks_back_to_the_crawl(tmp_path):
    report, db = _crawl(tmp_path, break_the_tagger="raise")
    assert report["items_new"] == 30
    assert [e for e in report["errors"] if "tagging alongside the crawl failed" in e] == [
        "tagging alongside the crawl failed: RuntimeError: the tagging child broke"
    ]
    assert db.execute("SELECT count(*) FROM items WHERE story_id IS NULL").fetchone()[0] == 0
    assert _untagged(db) == 0  # tagged by the crawl itself


def test_a_tagging_child_killed_leaves_no_item_untagged(tmp_path):
    report, db = _crawl(tmp_path, break_the_tagger="exit")
    assert report["items_new"] == 30
    assert "tagging alongside the crawl died" in report["errors"]
    assert db.execute("SELECT count(*) FROM items WHERE story_id IS NULL").fetchone()[0] == 0
    assert _untagged(db) == 0  # tagged by the crawl itself


def test_items_a_stopped_crawl_left_untagged_are_tagged_by_the_next_one(tmp_path):
    def stopped_before_tagging(db):  # as a Ctrl-C leaves them: placed, their tags not yet written
        db.execute("UPDATE items SET tagged = 0 WHERE id <= 10")
        db.execute("DELETE FROM tag_evidence WHERE item_id <= 10")
        db.execute("DELETE FROM people_mentions WHERE item_id <= 10")
        assert _untagged(db) == 10

    report, db = _crawl(tmp_path, again=stopped_before_tagging)
    assert report["items_new"] == 0 and not report["errors"]
    assert _untagged(db) == 0
    assert db.execute("SELECT count(*) FROM items WHERE tagged = 0").fetchone()[0] == 0
    assert db.execute("SELECT count(DISTINCT item_id) FROM people_mentions").fetchone()[0] == 30


def test_the_children_run_at_a_lower_cpu_priority_than_the_crawl(tmp_path):
    """Three processes on two cores: the crawl, which holds partners' connections, goes first."""
    import time

    from crawlers.folding import FOLDING_NICENESS, Folding

    config = make_config(tmp_path)
    open_db(config.db).conn.close()
    folding = Folding(config)
    folding.start()
    try:
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        wanted = min(19, mine + FOLDING_NICENESS)
        deadline = time.monotonic() + 20
        children = [folding.process.pid, folding.indexer.pid]
        while time.monotonic() < deadline:
            niceness = [os.getpriority(os.PRIO_PROCESS, pid) for pid in children]
            if niceness == [wanted, wanted]:
                break
            time.sleep(0.05)
        assert niceness == [wanted, wanted]
        assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the crawl's own priority is unchanged
    finally:
        report = folding.finish()
    assert report.error is None and report.items == 0


def _crawl_counting_scrapy_records(config, results) -> None:
    """The crawl's process, with a handler on the root logger (level WARNING, as `wire crawl`
    without -v) that keeps the records Scrapy's loggers build below that level."""
    import logging

    built = []

    class Count(logging.Handler):
        def emit(self, record):
            if record.name.startswith("scrapy") and record.levelno < logging.WARNING:
                built.append(record.getMessage()[:60])

    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger().addHandler(Count())
    report = crawl(config, kinds=("feed",))
    results.put((report.items_new, built))


def test_scrapy_builds_no_record_below_the_level_asked_for(tmp_path):
    """Scrapy's logging set-up puts its loggers at DEBUG: every item and response built a record
    ("Scraped from ...") that the handlers then dropped, a few per cent of a crawl's CPU. At the
    default level none is built for an item or a response (Scrapy's start-up lines come before
    our settings can act); -v still shows Scrapy's INFO lines (tests/wire/test_cli_crawl.py)."""
    (tmp_path / "site").mkdir()
    site = StaticSite(tmp_path / "site")
    try:
        site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, _feed(site.url, 12))
        config = make_config(tmp_path, allow_private_networks=True, crawl_delay=0)
        add_source(open_db(config.db), f"{site.url}/feed.xml", "Partner", "feed")
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        process = context.Process(target=_crawl_counting_scrapy_records, args=(config, results))
        process.start()
        items, built = results.get(timeout=120)
        process.join(30)
    finally:
        site.close()
    assert items == 12
    per_item = [line for line in built if line.startswith(("Scraped from", "Crawled ("))]
    assert per_item == [] and len(built) < 12, built  # what is left: Scrapy's start-up lines
