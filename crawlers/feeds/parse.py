"""Turn a feed's bytes and response headers into entries, with feedparser. No I/O.

feedparser gets bytes plus headers, never a URL (it would fetch it itself, bypassing our
network guard) and never a decoded string (it must see the declared encoding). Three
repairs happen before it sees the bytes, each for a failure seen on real partner feeds:
characters illegal in XML are stripped (one stray control character otherwise loses the
whole feed to the lenient parser); a document that is valid UTF-8 but declares another
encoding is read as UTF-8; and a DOCTYPE with entity declarations is removed, so no
entity is ever expanded (billion laughs, external entities).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import feedparser

from crawlers.feeds.jsonfeed import NotJSONFeed, parse_json_feed
from crawlers.items import FeedItem

_ILLEGAL_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DECLARATION = re.compile(rb"^(\s*<\?xml[^>]*?encoding=[\"'])([A-Za-z0-9._-]+)([\"'])", re.IGNORECASE)
_DOCTYPE_WITH_ENTITIES = re.compile(rb"<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)


class FeedError(ValueError):
    """The bytes are not a feed we can read; the message says why in plain words."""


@dataclass
class ParsedFeed:
    title: str
    link: str | None
    language: str | None
    format: str  # feedparser's version: rss20, atom10, rss10, json11...
    entries: list[FeedItem]
    warning: str | None = None  # a recoverable problem (bozo) to show on the source
    notes: list[str] = field(default_factory=list)


def repair_bytes(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str], list[str]]:
    """Apply the three repairs; return the bytes, the headers to pass on, and what was done."""
    notes = []
    if _ILLEGAL_XML.search(body):
        body = _ILLEGAL_XML.sub(b"", body)
        notes.append("removed characters that are illegal in XML")
    head = body[:4096]
    if b"<!ENTITY" in head.upper() or b"<!entity" in head:
        body = _DOCTYPE_WITH_ENTITIES.sub(b"", body, count=1)
        notes.append("removed a DOCTYPE with entity declarations")
    declared = _DECLARATION.match(body)
    headers = dict(headers)
    if any(byte > 127 for byte in body[:200_000]):
        try:
            body.decode("utf-8")
            is_utf8 = True
        except UnicodeDecodeError:
            is_utf8 = False
        if is_utf8 and declared and declared.group(2).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
            body = _DECLARATION.sub(rb"\1utf-8\3", body, count=1)
            headers.pop("content-type", None)
            notes.append(f"read as UTF-8 although it declared {declared.group(2).decode('ascii', 'replace')}")
        elif is_utf8 and "charset=" in headers.get("content-type", "").lower() and \
                "utf-8" not in headers.get("content-type", "").lower():
            headers.pop("content-type", None)
            notes.append("read as UTF-8 although the server declared another charset")
    return body, headers, notes


def _when(parsed) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
    except (OverflowError, ValueError, TypeError):
        return None


def _entry_image(entry) -> str | None:
    for thumb in entry.get("media_thumbnail") or []:
        if thumb.get("url"):
            return thumb["url"]
    for media in entry.get("media_content") or []:
        if media.get("url") and (media.get("medium") == "image" or (media.get("type") or "").startswith("image/")):
            return media["url"]
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and (link.get("type") or "").startswith("image/"):
            return link.get("href")
    return None


def parse_feed(body: bytes, headers: dict[str, str], url: str, source_id: int, limit: int = 200) -> ParsedFeed:
    """Parse a feed; raise FeedError when nothing usable comes out of it."""
    headers = {key.lower(): value for key, value in headers.items()}
    if body.lstrip()[:1] == b"{" or "json" in headers.get("content-type", ""):
        try:
            facts, entries, version = parse_json_feed(body, source_id, limit)
        except NotJSONFeed as error:
            raise FeedError(f"not a readable feed: {error}") from None
        notes = [f"took the first {limit} of {facts['count']} items"] if facts["count"] > limit else []
        return ParsedFeed(title=facts["title"], link=facts["link"], language=facts["language"], format=version,
                          entries=entries, notes=notes)
    body, headers, notes = repair_bytes(body, headers)
    headers.setdefault("content-location", url)
    parsed = feedparser.parse(body, response_headers=headers, resolve_relative_uris=True, sanitize_html=False)
    warning = None
    error = parsed.get("bozo_exception")
    # wrong or missing content types and overridden encodings are the web's normal state, not faults
    if parsed.bozo and not isinstance(error, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)):
        warning = f"the feed is not well-formed ({type(error).__name__}: {error})"
        if not parsed.entries:
            raise FeedError(f"not a readable feed: {error}")
    if not parsed.version and not parsed.entries:
        raise FeedError("no feed found in the response (is this an HTML page?)")
    feed = parsed.feed
    feed_language = feed.get("language")
    entries = []
    for entry in parsed.entries[:limit]:
        content = entry.get("content") or []
        content_html = max((c.get("value") or "" for c in content), key=len, default=None) or None
        language = None
        for part in content:
            language = language or part.get("language")
        detail = entry.get("summary_detail") or entry.get("title_detail") or {}
        language = language or detail.get("language") or feed_language
        link = entry.get("link") or entry.get("id") or ""
        entries.append(FeedItem(
            source_id=source_id, url=link, title=entry.get("title") or "", guid=entry.get("id") or None,
            author=entry.get("author") or None, summary=entry.get("summary") or None, content_html=content_html,
            language=language, published=_when(entry.get("published_parsed") or entry.get("updated_parsed")),
            updated=_when(entry.get("updated_parsed")), image_url=_entry_image(entry),
        ))
    if len(parsed.entries) > limit:
        notes.append(f"took the first {limit} of {len(parsed.entries)} items")
    return ParsedFeed(title=feed.get("title") or "", link=feed.get("link"), language=feed_language,
                      format=parsed.version or "unknown", entries=entries, warning=warning, notes=notes)


def unreliable_guids(entries: list[FeedItem], tolerance: float = 0.05) -> bool:
    """True when more than a few percent of entries lack a GUID or repeat one: identify by link instead."""
    if not entries:
        return False
    guids = [entry.guid for entry in entries]
    missing = sum(1 for guid in guids if not guid)
    repeated = len(guids) - missing - len({guid for guid in guids if guid})
    return (missing + repeated) / len(entries) > tolerance
