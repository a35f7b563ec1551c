"""The edition in one language exactly as a reader's e-mail client gets it, for editors to look at.

Made by the renderer that sending uses (`newsletter.render.render_edition`) from the same live
data, or, once the edition is frozen for sending, read from the stored copy that every reader got.
Personal links carry a token that belongs to nobody, so a preview opened by mistake in a browser
that follows a link unsubscribes no one.

A preview is kept and shown again until the database changes. Editors flip between languages
and reload the composer; reading an edition of 80 stories and rendering it costs 25-30 ms of
CPU, while asking SQLite whether anything at all was committed since costs one statement
(`PRAGMA data_version` on a connection that never writes: it changes with every commit of any
other connection, in this process or another). Any change, to any table, makes the next preview
anew, so a preview is never older than the data it shows.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict

import sqlite_utils

from aggregator.config import Config
from aggregator.exceptions import InvalidInput
from aggregator.storage.editions import get_copies
from newsletter.editions import load_edition
from newsletter.render import personalise, render_html

#: Stands in for a reader's token in the links of a preview; no subscriber has it (tokens are random).
PREVIEW_TOKEN = "preview"

#: Previews kept (editions x languages); each is 50-100 KB.
KEPT_PREVIEWS = 48


class _Previews:
    """Previews made, each with the database's version it was made at; one watching connection per file."""

    WATCHED_FILES = 4  # tests open many databases; the web app one

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watch: OrderedDict[str, sqlite3.Connection] = OrderedDict()
        self._made: OrderedDict[tuple, tuple[int, str]] = OrderedDict()

    def version(self, path: str) -> int:
        """A number that changes whenever any connection but the watching one commits to the file."""
        with self._lock:
            watch = self._watch.get(path)
            if watch is None:
                # a new connection counts from its own start: previews kept under an earlier one are dropped
                for key in [key for key in self._made if key[0] == path]:
                    del self._made[key]
                watch = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
                self._watch[path] = watch
                if len(self._watch) > self.WATCHED_FILES:
                    self._watch.popitem(last=False)[1].close()
            self._watch.move_to_end(path)
            return watch.execute("PRAGMA data_version").fetchone()[0]

    def get(self, key: tuple, version: int) -> str | None:
        with self._lock:
            found = self._made.get(key)
            if found is None or found[0] != version:
                return None
            self._made.move_to_end(key)
            return found[1]

    def put(self, key: tuple, version: int, html: str) -> None:
        with self._lock:
            self._made[key] = (version, html)
            self._made.move_to_end(key)
            while len(self._made) > KEPT_PREVIEWS:
                self._made.popitem(last=False)


_previews = _Previews()


def _database_file(db: sqlite_utils.Database) -> str:
    """The file behind the connection; '' for an in-memory or temporary database (never kept)."""
    return next((row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"), "") or ""


def preview_html(db: sqlite_utils.Database, config: Config, edition_id: int, language: str) -> str:
    """The HTML part of the edition's e-mail in `language` (the stored copy once frozen, else rendered now).

    Only the HTML part is made (`render_html`, the first half of `render_edition`): the plain-text
    part is half the cost of a render and a frame cannot show it. The version is read before the
    data, so a change committed while a preview is made only makes the next one anew.
    """
    if language not in config.languages:
        raise InvalidInput(
            f"the edition is not rendered in {language!r}; configured languages: {', '.join(config.languages)}"
        )
    path = _database_file(db)
    key = (path, edition_id, language, config.site_name, config.base_url, str(config.zone))
    version = _previews.version(path) if path else 0
    if path and (kept := _previews.get(key, version)) is not None:
        return kept
    copy = get_copies(db, edition_id).get(language)
    if copy is not None:
        html = copy["html"]
    else:
        edition = load_edition(db, edition_id)
        html, _ = render_html(edition, language, config.site_name, config.base_url, config.zone)
    shown = personalise(html, PREVIEW_TOKEN)
    if path:
        _previews.put(key, version, shown)
    return shown
