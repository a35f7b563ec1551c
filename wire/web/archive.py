"""The public archive: every sent edition as a page per language, an index, and Atom feeds.

Pages and feeds serve the copy stored when the edition was sent (`edition_copies`), never
a new rendering of live data: later merges and edits do not change what readers received.
A stored copy never changes, so it is kept in memory once read. The links that hold a
reader's token lead to the general pages instead: archive pages carry no subscriber data.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import OrderedDict

from flask import Blueprint, Response, abort, current_app, render_template, request

from aggregator.storage.editions import find_copy, find_edition, list_editions, list_sent_copies, sent_copies_version
from newsletter.atom import editions_feed
from newsletter.editions import freeze_edition
from newsletter.i18n import translations
from newsletter.render import personalise
from wire.web import get_db

blueprint = Blueprint("archive", __name__, template_folder="templates")

#: The MJML output styles itself inline; it runs no script and is never framed.
ARCHIVE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
#: Feeds list this many editions, newest first: ten weeks, each carrying the whole edition.
FEED_EDITIONS = 10
#: Seconds a feed is served from memory before the database is asked whether an edition was sent since.
FEED_RECHECK = 5.0


class _Cache:
    """A small thread-safe LRU of finished responses' bodies."""

    def __init__(self, size: int):
        self.size, self.lock = size, threading.Lock()
        self.data: OrderedDict[object, object] = OrderedDict()

    def get(self, key):
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


def _caches() -> tuple[_Cache, _Cache]:
    extensions = current_app.extensions
    if "wire_archive" not in extensions:
        extensions["wire_archive"] = (_Cache(256), _Cache(64))
    return extensions["wire_archive"]


class Body:
    """A finished body and its gzip form, made once (an edition page compresses about tenfold)."""

    def __init__(self, raw: bytes):
        self.raw, self.gzipped = raw, gzip.compress(raw, 6)


def _send(body: Body, mimetype: str, cache_control: str) -> Response:
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = Response(body.gzipped, mimetype=mimetype)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(body.raw, mimetype=mimetype)
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = cache_control
    return response


def public_copy(content: str) -> str:
    """The stored copy without a reader: token links lead to the general unsubscribe and preference pages."""
    return personalise(content, "")


@blueprint.get("/editions/")
def index():
    editions = [row for row in list_editions(get_db()) if row["status"] == "sent"]
    return render_template("archive/index.html", editions=editions)


@blueprint.get("/editions/<week>/<language>")
def edition_page(week, language):
    """The edition as it was sent in `language`; also while it is still being sent ("Read in your browser")."""
    config = current_app.config["WIRE"]
    pages, _ = _caches()
    body = pages.get((week, language))
    if body is None:
        if language not in config.languages:
            abort(404)
        db = get_db()
        copy = find_copy(db, week, language)
        if copy is None:
            edition = find_edition(db, week)
            if edition is None or edition["status"] != "sent":
                abort(404)
            freeze_edition(db, config, edition["id"])  # sent before copies were kept: freeze it now, once
            copy = find_copy(db, week, language)
            if copy is None:
                abort(404)
        body = Body(public_copy(copy["html"]).encode("utf-8"))
        pages.put((week, language), body)
    response = _send(body, "text/html", "public, max-age=3600")
    response.headers["Content-Security-Policy"] = ARCHIVE_CSP
    return response


@blueprint.get("/editions/<language>.atom")
def atom(language):
    """The last sent editions in `language`, each entry carrying the edition as it was sent."""
    config = current_app.config["WIRE"]
    if language not in config.languages:
        abort(404)
    _, feeds = _caches()
    cached = feeds.get(language)
    now = time.monotonic()
    if cached is None or now - cached[2] > FEED_RECHECK:
        version = sent_copies_version(get_db(), language)
        if cached is None or cached[0] != version:
            entries = [
                {
                    "week": row["week"],
                    "sent_at": row["sent_at"] or row["frozen_at"],
                    "subject": row["subject"],
                    "summary": row["preheader"],
                    "content": public_copy(row["html"]),
                }
                for row in list_sent_copies(get_db(), language, FEED_EDITIONS)
            ]
            title = translations(language).gettext("Past editions")
            body = editions_feed(entries, language, config.base_url, config.site_name, f"{config.site_name}: {title}")
            cached = (version, Body(body), now)
        else:
            cached = (version, cached[1], now)
        feeds.put(language, cached)
    return _send(cached[1], "application/atom+xml", "public, max-age=300")
