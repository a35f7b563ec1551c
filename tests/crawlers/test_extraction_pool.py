"""Article pages read in forked workers (`crawlers.extraction_pool`): the same result as in-process,
and a process that started the pool still exits (its idle workers once kept a crawl's process
waiting for them forever)."""

from __future__ import annotations

import asyncio
import multiprocessing
from datetime import UTC, datetime

from crawlers import extraction_pool
from crawlers.extract import extract_article
from crawlers.extraction_pool import read_page, read_page_async

PAGE = """<!doctype html><html lang="en"><head><title>Hunger strike enters day 40 | Free Them Now</title>
<meta property="og:site_name" content="Free Them Now">
<meta name="author" content="Selin Ekinci">
<meta property="article:published_time" content="2026-11-20T09:30:00+00:00">
</head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Hunger strike enters day 40</h1>
<p>· Selin Ekinci</p>
<p>The hunger strike of the imprisoned journalists entered its fortieth day on Friday, their lawyers said,
as families gathered outside the prison to demand that doctors be allowed to see them.</p>
<p>Supporters in twelve cities held vigils in the evening. The ministry has not answered the lawyers'
requests for a visit, and the prison administration refused to comment on the prisoners' health.</p>
<p>Solidarity messages can be sent through the campaign's postal address, which the families publish
every week together with the list of the prisoners who can receive letters.</p>
</article><footer>© Free Them Now</footer></body></html>"""
URL = "https://freethem.example/news/day-40"


def _start_and_return() -> None:
    extraction_pool.start(2)
    asyncio.run(read_page_async(PAGE, URL))


def test_a_page_read_by_a_worker_is_the_page_read_here():
    here = read_page(PAGE, URL, "Hunger strike enters day 40", want_date=False)
    extraction_pool.start(2)
    try:
        assert extraction_pool.running()
        there = asyncio.run(read_page_async(PAGE, URL, "Hunger strike enters day 40", want_date=False))
    finally:
        extraction_pool.stop()
    assert not extraction_pool.running()
    assert there == here
    assert there.article.title == "Hunger strike enters day 40"
    assert there.text.startswith("The hunger strike of the imprisoned journalists")  # the byline is off
    assert "Selin Ekinci" not in there.text


def test_a_process_that_started_the_pool_exits():
    process = multiprocessing.get_context("spawn").Process(target=_start_and_return)
    process.start()
    process.join(timeout=60)
    alive = process.is_alive()
    if alive:
        process.kill()
    assert not alive, "the process waited for its idle extraction workers"
    assert process.exitcode == 0


def test_the_declared_date_is_read_when_the_feed_date_stands():
    article = extract_article(PAGE, URL, want_date=False)
    assert article.published == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
