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
import hashlib
import re
import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

import feedparser

from crawlers.feeds.jsonfeed import NotJSONFeed, parse_json_feed
from crawlers.items import FeedItem

_ILLEGAL_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DECLARATION = re.compile(rb"^(\s*<\?xml[^>]*?encoding=[\"'])([A-Za-z0-9._-]+)([\"'])", re.IGNORECASE)
_DOCTYPE_WITH_ENTITIES = re.compile(rb"<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
MAX_PERSON_BYTES = 1024
_PERSON_TAGS = (
    rb"author|name|email|uri|dc:creator|dc:contributor|managingEditor|webMaster|itunes:author|itunes:email|contributor"
)
_LONG_PERSON = re.compile(
    rb"<(" + _PERSON_TAGS + rb")(?:\s[^>]*)?>([^<]{%d,})(</\1\s*>)" % (MAX_PERSON_BYTES + 1), re.IGNORECASE
)

#: An attribute that feedparser's resolver rewrites (`feedparser.urls.RelativeURIResolver`)
#: whose value, quoted as written, as an entity or not at all, does not start with http(s)://
#: The attributes feedparser's resolver rewrites, and what makes a value of one relative: not
#: http(s), quoted plainly or as an entity (escaped markup), after `name=` (read on the body in
#: lower case). A name is an attribute's only when no name character comes before it.
_REFERENCE_ATTRIBUTES = (
    b"href", b"src", b"cite", b"action", b"background", b"codebase", b"classid", b"data", b"longdesc", b"poster",
    b"profile", b"usemap",
)  # fmt: skip
_NOT_ABSOLUTE_VALUE = re.compile(rb"\s*+=\s*+(?:[\"']|&(?:amp;)?(?:quot|apos|#0*3[49]|#x0*2[27]);)?+\s*+(?!https?://)")
_NAME_CHARACTER = re.compile(rb"[\w:.-]")


def has_relative_references(body: bytes) -> bool:
    """Whether feedparser's resolution of relative references could change anything in `body`.

    feedparser re-reads the markup of every entry with its pure-Python SGML parser to resolve
    them: a sixth of a crawl's parsing time on full-content feeds, and most feeds link only
    to absolute addresses. Unsure means yes: an `xml:base`, a relative or scheme-less value,
    or any scheme but http(s) (feedparser's resolver is where it goes through `urljoin`).

    The attribute names are found with `bytes.find` and only what follows each is matched: one
    case-insensitive pattern with a look-behind, searched over the body, tried every position
    and took 3-4 ms a feed of 57 kB (0.7 ms this way; the same answer on every feed and page of
    ../shared/corpus, tests/crawlers/test_feed_parse.py).
    """
    if b"xml:base" in body:
        return True
    lowered = body.lower()
    for name in _REFERENCE_ATTRIBUTES:
        at = lowered.find(name)
        while at != -1:
            end = at + len(name)
            if (at == 0 or _NAME_CHARACTER.match(lowered, at - 1) is None) and _NOT_ABSOLUTE_VALUE.match(lowered, end):
                return True
            at = lowered.find(name, end)
    return False


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


#: Byte-order marks and the first bytes of "<?" in the encodings whose every ASCII character
#: carries NUL bytes (longest first: UTF-32's LE mark starts with UTF-16's).
_WIDE_ENCODINGS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", 4),
    (b"\x00\x00\xfe\xff", "utf-32-be", 4),
    (b"\xff\xfe", "utf-16-le", 2),
    (b"\xfe\xff", "utf-16-be", 2),
    (b"<\x00?\x00", "utf-16-le", 0),
    (b"\x00<\x00?", "utf-16-be", 0),
)


def _as_utf8(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str], str | None]:
    """A UTF-16 or UTF-32 document as UTF-8, its declaration saying so: the other repairs (and
    the illegal-character strip, which would take every NUL byte of it) read bytes as ASCII."""
    for mark, codec, skip in _WIDE_ENCODINGS:
        if body.startswith(mark):
            text = body[skip:].decode(codec, errors="replace")
            utf8 = _DECLARATION.sub(rb"\1utf-8\3", text.encode("utf-8"), count=1)
            return utf8, {k: v for k, v in headers.items() if k != "content-type"}, f"read as UTF-8 from {codec}"
    return body, headers, None


def repair_bytes(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str], list[str]]:
    """Apply the repairs; return the bytes, the headers to pass on, and what was done."""
    notes = []
    body, headers, wide = _as_utf8(body, headers)
    if wide:
        notes.append(wide)
    if _ILLEGAL_XML.search(body):
        body = _ILLEGAL_XML.sub(b"", body)
        notes.append("removed characters that are illegal in XML")
    head = body[:4096]
    if b"<!ENTITY" in head.upper() or b"<!entity" in head:
        body = _DOCTYPE_WITH_ENTITIES.sub(b"", body, count=1)
        notes.append("removed a DOCTYPE with entity declarations")
    declared = _DECLARATION.match(body)
    headers = dict(headers)
    if not body[:200_000].isascii():
        try:
            body.decode("utf-8")
            is_utf8 = True
        except UnicodeDecodeError:
            is_utf8 = False
        if is_utf8 and declared and declared.group(2).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
            body = _DECLARATION.sub(rb"\1utf-8\3", body, count=1)
            headers.pop("content-type", None)
            notes.append(f"read as UTF-8 although it declared {declared.group(2).decode('ascii', 'replace')}")
        elif (
            is_utf8
            and "charset=" in headers.get("content-type", "").lower()
            and "utf-8" not in headers.get("content-type", "").lower()
        ):
            headers.pop("content-type", None)
            notes.append("read as UTF-8 although the server declared another charset")
    return body, headers, notes


def _when(parsed) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
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


def bound_fields(body: bytes) -> tuple[bytes, list[str]]:
    """Cut person fields longer than `MAX_PERSON_BYTES` before feedparser sees them.

    feedparser runs an e-mail regex over every author, creator and editor field, and it
    takes quadratic time: a 40 kB `<author>` costs 7 s, a 1 MB one over an hour. No real
    name or address is longer than a few hundred bytes.
    """
    notes = []

    def cut(match: re.Match) -> bytes:
        content = match.group(2)
        end = MAX_PERSON_BYTES
        while end > 0 and (content[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        notes.append(f"cut a {len(content):,}-byte <{match.group(1).decode('ascii', 'replace')}> field")
        return match.group(0)[: match.start(2) - match.start(0)] + content[:end] + match.group(3)

    body = _LONG_PERSON.sub(cut, body)
    return body, notes


class _Budget:
    """Raise FeedError when reading one feed takes longer than `seconds` (SIGALRM; main thread only).

    feedparser is pure Python and cannot be told to stop; an alarm is the one way to bound a
    parse in the crawl's own process. Outside the main thread (no signals there) the field
    bounds above are the protection.
    """

    def __init__(self, seconds: float | None):
        self.seconds = seconds if seconds and threading.current_thread() is threading.main_thread() else None

    def _expired(self, signum, frame):
        raise FeedError(f"reading the feed took longer than {self.seconds:g} s; it was abandoned")

    def __enter__(self):
        if self.seconds:
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        if self.seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


def newest(entries: list[FeedItem], limit: int) -> list[FeedItem]:
    """The `limit` newest entries, in the feed's order; undated ones count as new (a cap never hides news)."""
    if len(entries) <= limit:
        return entries
    far_future = datetime.max.replace(tzinfo=UTC)
    ranked = sorted(range(len(entries)), key=lambda i: (entries[i].published or far_future, -i), reverse=True)
    keep = set(ranked[:limit])
    return [entry for i, entry in enumerate(entries) if i in keep]


def distinct_guids(entries: list[FeedItem]) -> list[FeedItem]:
    """Give each entry that repeats a GUID of its response a GUID of its own; return the entries.

    Real feeds reuse a GUID for distinct posts (Scripting News reuses a paragraph's anchor for
    a later paragraph), and feedparser reads every one of them; stored under one GUID they
    would overwrite each other on every crawl. The oldest of them keeps the GUID, so a newer
    post that reuses it never takes over the item already stored; each other one gets the GUID
    plus its date (undated, a hash of its content), which stays the same from crawl to crawl.
    A feed whose GUIDs repeat too often to be trusted is left as it is: it is identified by
    links instead (`unreliable_guids`).
    """
    if unreliable_guids(entries):
        return entries
    groups: dict[str, list[FeedItem]] = {}
    for entry in entries:
        if entry.guid:
            groups.setdefault(entry.guid, []).append(entry)
    far_future = datetime.max.replace(tzinfo=UTC)
    taken = set(groups)
    for guid, group in groups.items():
        for entry in sorted(group, key=lambda entry: entry.published or far_future)[1:]:
            digest = hashlib.sha256(f"{entry.title}\n{entry.summary}\n{entry.content_html}".encode()).hexdigest()
            entry.guid = f"{guid} ({entry.published.isoformat()})" if entry.published else ""
            if not entry.guid or entry.guid in taken:  # undated, or two posts of one second
                entry.guid = f"{guid} ({digest[:16]})"
            taken.add(entry.guid)
    return entries


def parse_feed(
    body: bytes, headers: dict[str, str], url: str, source_id: int, limit: int = 5000, budget: float | None = None
) -> ParsedFeed:
    """Parse a feed; raise FeedError when nothing usable comes out of it, or when it takes over `budget` s."""
    with _Budget(budget):
        return _parse_feed(body, headers, url, source_id, limit)


def _parse_feed(body: bytes, headers: dict[str, str], url: str, source_id: int, limit: int) -> ParsedFeed:
    headers = {key.lower(): value for key, value in headers.items()}
    if body.lstrip()[:1] == b"{" or "json" in headers.get("content-type", ""):
        try:
            facts, entries, version = parse_json_feed(body, source_id, None)
        except NotJSONFeed as error:
            raise FeedError(f"not a readable feed: {error}") from None
        notes = (
            [f"read the newest {limit} of {len(entries)} entries (max_items_per_feed)"] if len(entries) > limit else []
        )
        return ParsedFeed(
            title=facts["title"],
            link=facts["link"],
            language=facts["language"],
            format=version,
            entries=newest(distinct_guids(entries), limit),
            notes=notes,
        )
    body, bound_notes = bound_fields(body)
    body, headers, notes = repair_bytes(body, headers)
    notes = bound_notes + notes
    headers.setdefault("content-location", url)
    parsed = feedparser.parse(
        body, response_headers=headers, resolve_relative_uris=has_relative_references(body), sanitize_html=False
    )
    warning = None
    bozo_error = parsed.get("bozo_exception")
    # wrong or missing content types and overridden encodings are the web's normal state, not faults
    if parsed.bozo and not isinstance(bozo_error, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)):
        warning = f"the feed is not well-formed ({type(bozo_error).__name__}: {bozo_error})"
        if not parsed.entries:
            raise FeedError(f"not a readable feed: {bozo_error}")
    if not parsed.version and not parsed.entries:
        raise FeedError("no feed found in the response (is this an HTML page?)")
    feed = parsed.feed
    feed_language = feed.get("language")
    entries = []
    for entry in parsed.entries:
        content = entry.get("content") or []
        content_html = max((c.get("value") or "" for c in content), key=len, default=None) or None
        language = None
        for part in content:
            language = language or part.get("language")
        detail = entry.get("summary_detail") or entry.get("title_detail") or {}
        language = language or detail.get("language") or feed_language
        link = entry.get("link") or entry.get("id") or ""
        entries.append(
            FeedItem(
                source_id=source_id,
                url=link,
                title=entry.get("title") or "",
                guid=entry.get("id") or None,
                author=entry.get("author") or None,
                summary=entry.get("summary") or None,
                content_html=content_html,
                language=language,
                published=_when(entry.get("published_parsed") or entry.get("updated_parsed")),
                updated=_when(entry.get("updated_parsed")),
                image_url=_entry_image(entry),
            )
        )
    if len(entries) > limit:
        notes.append(f"read the newest {limit} of {len(entries)} entries (max_items_per_feed)")
    return ParsedFeed(
        title=feed.get("title") or "",
        link=feed.get("link"),
        language=feed_language,
        format=parsed.version or "unknown",
        entries=newest(distinct_guids(entries), limit),
        warning=warning,
        notes=notes,
    )


def unreliable_guids(entries: list[FeedItem], tolerance: float = 0.05) -> bool:
    """True when more than a few percent of entries lack a GUID or repeat one, and their links tell
    more of them apart: identify by link instead.

    When the links repeat as much (sponsor posts and a day's paragraphs share one page), going
    by link would fold distinct entries into one; the GUIDs are kept, and `distinct_guids`
    tells their repeats apart.
    """
    if not entries:
        return False
    told_apart = len({entry.guid for entry in entries if entry.guid})  # missing and repeated GUIDs don't
    if (len(entries) - told_apart) / len(entries) <= tolerance:
        return False
    return len({entry.url for entry in entries if entry.url}) > told_apart
