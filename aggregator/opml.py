"""OPML: read the feed list a network keeps in another reader, and write ours for the next one.

Pure: bytes in, plain records out (and records in, bytes out); the CLI opens the files and
the database. Reading is forgiving, because a list moving in is often hand-edited or
exported by an old reader: lxml parses with `recover=True`, every problem it meets and
every outline we cannot use is reported with its line number, and every feed it could
still read is kept. An OPML file is a stranger's XML, so the parser never fetches
anything (`no_network`), never loads a DTD or expands external entities
(`resolve_entities=False`: an `<!ENTITY x SYSTEM "file:///...">` stays unread), and keeps
libxml2's limits on entity expansion and tree size (`huge_tree=False`: a "billion laughs"
file stops at once with an error instead of filling memory).

What an outline carries and where it goes (the `sources` table has no category column, so
`category` and the folder outlines are read for the report and not stored):

    xmlUrl                   the source's URL (http and https only)
    text, else title         the source's name (else the URL)
    htmlUrl                  the partner's website
    language                 the source's language (a two-letter code; anything else is ignored)
    wire:partner             the partner's name (our own attribute, so that an export
                             comes back with the same partners; other readers ignore it)

Duplicates are recognised by `aggregator.urls.canonical_url`, within the file and against
the sources already registered; the URL is stored as written (canonical spelling drops
trailing slashes, which some servers answer with a redirect or a 404). Line numbers are
libxml2's: an outline written over several lines is numbered by the line its tag ends on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from aggregator.exceptions import InvalidInput
from aggregator.urls import canonical_url, is_http_url

#: Our namespace for the attributes OPML has no name for (OPML 2.0 allows namespaced attributes).
WIRE_NS = "https://solidarity-wire.org/ns/opml"
_PARTNER = f"{{{WIRE_NS}}}partner"
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
#: A name longer than this is cut (a whole article pasted into `text` is not a name).
MAX_NAME = 200
MAX_URL = 2000


class BadOpml(InvalidInput):
    """Nothing in the file can be read as XML (empty, binary, or not markup at all)."""


@dataclass(frozen=True)
class OpmlFeed:
    """One feed read from an outline, with the line it came from."""

    line: int
    url: str
    name: str
    website: str | None = None
    language: str | None = None
    partner: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """Something in the file that was not imported, or not as written, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class OpmlList:
    """What a file holds: the usable feeds and the problems, both in file order."""

    title: str = ""
    feeds: list[OpmlFeed] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        recover=True,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _attribute(element, name: str) -> str:
    """An attribute by name, whatever its case (`xmlurl` and `XMLURL` appear in the wild)."""
    value = element.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in element.attrib.items() if _local(k).lower() == lowered), None)
    return " ".join((value or "").split())


def _short(value: str, limit: int = 80) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


def read_opml(data: bytes) -> OpmlList:
    """Read every feed outline in `data`; report each problem by line and keep whatever could be read.

    Raises BadOpml only when there is no XML element at all to read.
    """
    if not data.strip():
        raise BadOpml("the file is empty")
    parser = _parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:  # recover=True raises only when nothing at all was recovered
        raise BadOpml(f"not XML: {error.msg}") from None
    result = OpmlList()
    result.problems.extend(Problem(entry.line, f"XML: {entry.message}") for entry in parser.error_log)
    if root is None:
        raise BadOpml("not XML: " + (str(result.problems[0]) if result.problems else "no element found"))
    if _local(root.tag) != "opml":
        result.problems.append(Problem(root.sourceline or 1, f"the root element is <{_local(root.tag)}>, not <opml>"))
    title = root.find("head/title")
    result.title = " ".join((title.text or "").split()) if title is not None else ""
    bodies = [element for element in root.iter() if _local(element.tag) == "body"]
    if not bodies and _local(root.tag) == "opml":
        result.problems.append(Problem(root.sourceline or 1, "no <body>: outlines are read wherever they are"))
    seen: dict[str, int] = {}
    for outline in root.iter():
        if _local(outline.tag) != "outline":
            continue
        feed, problem = _feed(outline)
        if problem:
            result.problems.append(problem)
        if feed is None:
            continue
        key = canonical_url(feed.url)
        if key in seen:
            result.problems.append(Problem(feed.line, f"{feed.url} is the same feed as line {seen[key]}: skipped"))
            continue
        seen[key] = feed.line
        result.feeds.append(feed)
    result.problems.sort(key=lambda problem: problem.line)
    return result


def _categories(outline) -> tuple[str, ...]:
    """The folder outlines above this one, outermost first, then its own `category` paths."""
    folders = [
        _attribute(parent, "text") or _attribute(parent, "title")
        for parent in outline.iterancestors()
        if _local(parent.tag) == "outline"
    ]
    own = [path.strip("/ ") for path in _attribute(outline, "category").split(",") if path.strip("/ ")]
    return tuple([name for name in reversed(folders) if name] + own)


def _feed(outline) -> tuple[OpmlFeed | None, Problem | None]:
    """The feed one outline describes, or why it is not one (a folder with children is no problem)."""
    line = outline.sourceline or 0
    url = _attribute(outline, "xmlUrl")
    name = _attribute(outline, "text") or _attribute(outline, "title")
    if not url:
        has_children = any(_local(child.tag) == "outline" for child in outline)
        if has_children:
            return None, None
        label = f" {_short(name)}" if name else ""
        return None, Problem(line, f"outline{label} has no xmlUrl (not a feed): skipped")
    if len(url) > MAX_URL:
        return None, Problem(line, f"feed URL {_short(url)} is longer than {MAX_URL} characters: skipped")
    if not is_http_url(url):
        return None, Problem(line, f"feed URL {_short(url)} is not an http(s) URL: skipped")
    problem = None
    website = _attribute(outline, "htmlUrl") or None
    if website and not is_http_url(website):
        problem = Problem(line, f"website {_short(website)} is not an http(s) URL: imported without it")
        website = None
    language = _attribute(outline, "language").lower() or None
    if language:
        language = language.split("-")[0].split("_")[0]
        if not _LANGUAGE.match(language):
            problem = problem or Problem(line, f"language {_short(language)} is not a language code: ignored")
            language = None
    partner = " ".join((outline.get(_PARTNER) or "").split())[:MAX_NAME] or None
    feed = OpmlFeed(
        line=line,
        url=url,
        name=(name or url)[:MAX_NAME],
        website=website,
        language=language,
        partner=partner,
        categories=_categories(outline),
    )
    return feed, problem


def plan_import(feeds: Iterable[OpmlFeed], registered_urls: Iterable[str]) -> tuple[list[OpmlFeed], list[Problem]]:
    """Split feeds into those to add and those already registered (same canonical URL), reported by line."""
    known = {canonical_url(url): url for url in registered_urls}
    new, skipped = [], []
    for feed in feeds:
        existing = known.get(canonical_url(feed.url))
        if existing is None:
            new.append(feed)
        else:
            skipped.append(Problem(feed.line, f"{feed.url} is already registered (as {existing}): skipped"))
    return new, skipped


def write_opml(sources: Iterable[dict], title: str, now: datetime) -> bytes:
    """OPML 2.0 for `sources` (rows with url, name, language, partner_name, partner_website), UTF-8.

    Every value goes through lxml, which escapes it; nothing a partner typed can break the file.
    """
    root = etree.Element("opml", nsmap={"wire": WIRE_NS}, version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime(now)
    body = etree.SubElement(root, "body")
    for source in sources:
        outline = etree.SubElement(body, "outline", type="rss", text=source["name"], title=source["name"])
        outline.set("xmlUrl", source["url"])
        if source.get("partner_website") and is_http_url(source["partner_website"]):
            outline.set("htmlUrl", source["partner_website"])
        if source.get("language"):
            outline.set("language", source["language"])
        if source.get("partner_name"):
            outline.set(_PARTNER, source["partner_name"])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
