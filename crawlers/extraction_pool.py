"""Article pages read in worker processes, so the crawl's reactor never waits on extraction.

Reading a real page (trafilatura, htmldate, the title chooser, the byline) takes 40-80 ms of
CPU, and on the reactor's thread nothing else happens meanwhile: no response is received,
no item is normalised or stored. A pool of forked workers does the reading while the reactor
fetches and stores, so the crawl uses both cores of a small machine for pages (the clustering
child, `crawlers.folding`, takes its share too). The result (`Page`) is plain data, pickled
back in one message.

Measured on the 247 real pages of `benchmarks/real_articles.py` (2 shared cores): see
benchmarks/RESULTS.md. With no pool started (tests, benchmarks of quality, `wire sources
test`), `read_page` reads the page in the calling thread, with the same result.

The workers are forked (no re-import: they start in milliseconds with trafilatura already
loaded), ignore Ctrl-C (the crawl decides what an interruption means and stops them), and
die with the crawl (PR_SET_PDEATHSIG): an orphaned worker would keep the crawl lock it
inherited.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.util import Finalize

from aggregator.text import html_to_text
from crawlers.byline import strip_byline
from crawlers.extract import Article, extract_article
from crawlers.folding import die_with_parent

_pool: ProcessPoolExecutor | None = None


@dataclass
class Page:
    """What a page gives a feed item: the extracted article, its body with the byline off, as text."""

    article: Article
    text: str  # the body as plain text (`html_to_text`), to compare with the feed's excerpt


def read_page(html: str, url: str, feed_title: str | None = None, want_date: bool = True) -> Page:
    """Extract `html`, take the byline off its body and read that body as text. Pure; runs in a worker."""
    article = extract_article(html, url, feed_title=feed_title, want_date=want_date)
    # bylines and datelines before the text ("· Campaign team") would become the teaser
    article.content_html = strip_byline(article.content_html, article.author, feed_title or article.title)
    return Page(article=article, text=html_to_text(article.content_html or ""))


def _worker_started() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawl's to handle
    die_with_parent()


def _ready() -> bool:
    return True


def start(workers: int | None = None) -> None:
    """Start the pool's workers now (once per process), best before the reactor starts its threads.

    A fork-context pool forks its workers at its first task, so one is given here and waited
    for: the workers are forked from this thread, at this moment, with what is loaded now.
    `WIRE_EXTRACTION_WORKERS` sets how many (default: one per core); -1 starts none, and pages
    are then read in the crawl's own process (to compare, or on a machine short of memory).
    """
    global _pool
    workers = workers or int(os.environ.get("WIRE_EXTRACTION_WORKERS", 0)) or os.cpu_count() or 1
    if _pool is None and workers > 0:
        # Babel's month and day names (calendar_words, 0.5 s) are loaded by each worker at its first
        # page, not here: a re-crawl of feeds answering 304 reads no page, and paid it at every start
        _pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_worker_started,
        )
        _pool.submit(_ready).result()
        # stopped before multiprocessing joins this process's children at its exit (a crawl's
        # process is itself a multiprocessing child, where no atexit handler runs): left
        # running, the idle workers would be waited for forever
        Finalize(None, stop, exitpriority=10)


def stop() -> None:
    """Stop the workers (what they were reading is dropped)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


def running() -> bool:
    return _pool is not None


async def read_page_async(html: str, url: str, feed_title: str | None = None, want_date: bool = True) -> Page:
    """`read_page` in a worker when the pool is started, else here.

    A worker that dies (lxml has crashed on a page in threads elsewhere) breaks the whole
    pool: the pages it held are read here instead, and so is the rest of the crawl.
    """
    global _pool
    if _pool is not None:
        try:
            return await asyncio.wrap_future(_pool.submit(read_page, html, url, feed_title, want_date))
        except BrokenProcessPool:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
                _pool = None
    return read_page(html, url, feed_title, want_date)
