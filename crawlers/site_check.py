"""Check a site a partner offers us, as `wire sources add` would read it, and say in plain words what we see.

The registration form feeds strangers' URLs to this module, so every fetch goes through the
collection engine's network guard (`crawlers.feeds.discover.fetch` rules: each hop resolved
once and checked by `crawlers/netguard.py`, redirects included), and one `Budget` bounds the
whole check: a deadline, a number of requests (redirects and robots.txt count) and a number
of bytes over all answers. A site that streams an endless body or redirects forever costs us
at most that much.

`check_site` does the fetching; everything it learns is turned into a `SiteReport` by pure
functions (`feed_report`, `problems_of`), which the tests can also feed directly:
feeds found and their kind (RSS, Atom, JSON Feed), the latest five items with dates and
detected language, and problems (`Problem.code` for programs, `Problem.message` for people).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import urljoin, urlsplit

from protego import Protego

from aggregator.language import resolve_language
from aggregator.text import clean_at_door, clean_title
from crawlers.feeds.discover import (
    COMMON_PATHS,
    REDIRECTS,
    Deadline,
    DiscoveryTimeout,
    FetchFailed,
    _get,
    feed_links,
)
from crawlers.feeds.parse import FeedError, ParsedFeed, parse_feed
from crawlers.netguard import BlockedAddress, checked_addresses

#: Seconds for the whole check, every request and every byte included.
DEADLINE = 15.0
#: Requests one check may make, robots.txt and every redirect hop counted.
MAX_REQUESTS = 12  # robots.txt, the page, 3 announced feeds, the 7 usual paths
#: Bytes one check may read over all its answers together.
MAX_BYTES = 3 * 1024 * 1024
#: Feeds announced on a page that are read (a page may announce dozens of comment feeds).
MAX_ANNOUNCED = 3
#: Items shown on the preview.
PREVIEW_ITEMS = 5
#: A text shorter than this, with no full content, reads as an excerpt.
EXCERPT_CHARS = 400

_XML_ENCODING = re.compile(rb"\s*<\?xml[^>]*?encoding=[\"']([A-Za-z0-9._-]+)", re.IGNORECASE)
FORMAT_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed", "cdf": "CDF"}


class BudgetSpent(Exception):
    """The check used up its requests or bytes; the message says which."""


@dataclass
class Budget:
    """What one check may still spend: time (a `Deadline`), requests and bytes."""

    requests: int = MAX_REQUESTS
    bytes: int = MAX_BYTES
    deadline: Deadline = field(default_factory=lambda: Deadline(DEADLINE))
    requests_made: int = 0
    bytes_read: int = 0

    def take_request(self, url: str) -> int:
        """Count one request to `url`; return the bytes it may read, or raise BudgetSpent."""
        if self.requests_made >= self.requests:
            raise BudgetSpent(f"the check stopped after {self.requests} requests (before {url})")
        left = self.bytes - self.bytes_read
        if left <= 0:
            raise BudgetSpent(f"the check stopped after reading {self.bytes:,} bytes (before {url})")
        self.deadline.remaining(url)
        self.requests_made += 1
        return left


@dataclass
class Problem:
    code: str  # no_dates, excerpts_only, encoding, robots, not_a_feed, too_big, timeout, blocked, unreachable...
    message: str  # plain words for the partner


@dataclass
class FeedFound:
    url: str
    kind: str  # "RSS", "Atom", "JSON Feed"
    format: str  # feedparser's version (rss20, atom10, json11...)
    title: str
    entries: int


@dataclass
class PreviewItem:
    title: str
    url: str
    published: str | None  # ISO 8601, or None when the feed gives no date
    language: str | None


@dataclass
class SiteReport:
    """What a check found for `url`: feeds, the latest items of the first feed, problems."""

    url: str
    final_url: str = ""
    title: str = ""
    feeds: list[FeedFound] = field(default_factory=list)
    items: list[PreviewItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    requests: int = 0
    bytes_read: int = 0
    seconds: float = 0.0

    @property
    def feed_url(self) -> str | None:
        """The feed to register, when one was found."""
        return self.feeds[0].url if self.feeds else None

    @property
    def kind(self) -> str | None:
        """'feed', 'site' (a readable page with no feed), or None when nothing could be read."""
        if self.feeds:
            return "feed"
        return "site" if self.final_url and not self.blocking else None

    @property
    def blocking(self) -> list[Problem]:
        """Problems that mean we cannot register this at all."""
        return [p for p in self.problems if p.code in BLOCKING]

    def codes(self) -> list[str]:
        return [problem.code for problem in self.problems]

    def to_dict(self) -> dict:
        """Plain data (stored with a registration as JSON, and the API's answer)."""
        data = asdict(self)
        data["feed_url"], data["kind"] = self.feed_url, self.kind
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SiteReport:
        return cls(
            url=data["url"],
            final_url=data.get("final_url", ""),
            title=data.get("title", ""),
            feeds=[FeedFound(**feed) for feed in data.get("feeds", [])],
            items=[PreviewItem(**item) for item in data.get("items", [])],
            problems=[Problem(**problem) for problem in data.get("problems", [])],
            requests=data.get("requests", 0),
            bytes_read=data.get("bytes_read", 0),
            seconds=data.get("seconds", 0.0),
        )


#: Problems after which there is nothing to register.
BLOCKING = frozenset({"blocked", "unreachable", "timeout", "too_big", "robots", "http_error", "limit"})


# -- pure: what a feed's bytes say ---------------------------------------------------------------------------------


def kind_name(feed_format: str) -> str:
    """'rss20' -> 'RSS', 'atom10' -> 'Atom', 'json11' -> 'JSON Feed'."""
    for prefix, name in FORMAT_NAMES.items():
        if feed_format.startswith(prefix):
            return name
    return feed_format or "unknown"


def _declared_charset(body: bytes, headers: dict[str, str]) -> str | None:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if "charset=" in content_type.lower():
        return content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
    declared = _XML_ENCODING.match(body[:200])
    return declared.group(1).decode("ascii", "replace").lower() if declared else None


def encoding_problem(body: bytes, headers: dict[str, str], notes: list[str]) -> Problem | None:
    """A feed whose bytes and declared encoding disagree, or that needs a declaration and has none."""
    if any("read as UTF-8 although" in note for note in notes):
        return Problem(
            "encoding",
            "Your feed says it is in one character encoding but is written in UTF-8; "
            'we read it as UTF-8. Please correct the declaration (encoding="utf-8").',
        )
    if body.lstrip()[:1] == b"{" or not any(byte > 127 for byte in body[:200_000]):
        return None
    try:
        body.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(body, headers)
    if declared is None or declared.replace("_", "-") in ("utf-8", "utf8"):
        return Problem(
            "encoding",
            "Your feed is not in UTF-8 and does not say which encoding it uses; accented and non-Latin "
            'letters may come out wrong. Please declare it (for example encoding="windows-1254") or use UTF-8.',
        )
    return None


def feed_report(
    feed: ParsedFeed, body: bytes, headers: dict[str, str], url: str
) -> tuple[FeedFound, list[PreviewItem], list[Problem]]:
    """The feed, its latest items with dates and languages, and what is wrong with it. Pure."""
    entries = sorted(feed.entries, key=lambda e: e.published.timestamp() if e.published else 0, reverse=True)
    items = []
    for entry in entries[:PREVIEW_ITEMS]:
        text = " ".join(part for part in (entry.title, clean_at_door(entry.summary or "")) if part)
        language, _how = resolve_language(entry.language or feed.language, text)
        items.append(
            PreviewItem(
                title=clean_title(entry.title) or "(no title)",
                url=clean_at_door(entry.url),
                published=entry.published.isoformat() if entry.published else None,
                language=language,
            )
        )
    problems = []
    undated = sum(1 for entry in feed.entries if entry.published is None)
    if undated:
        problems.append(
            Problem(
                "no_dates",
                f"{undated} of {len(feed.entries)} entries have no date; we cannot tell when they were "
                "published and may show them late. Please add a publication date (pubDate or published).",
            )
        )
    if feed.entries and all(_is_excerpt(entry) for entry in feed.entries):
        problems.append(
            Problem(
                "excerpts_only",
                "Your feed carries only excerpts, not the full articles; we will fetch each article's page "
                "to read the rest. If you can, publish full text in the feed.",
            )
        )
    encoding = encoding_problem(body, headers, feed.notes)
    if encoding:
        problems.append(encoding)
    if feed.warning:
        problems.append(Problem("malformed", f"Your feed has errors, but we could read it: {feed.warning}."))
    found = FeedFound(
        url=url,
        kind=kind_name(feed.format),
        format=feed.format,
        title=clean_title(feed.title),
        entries=len(feed.entries),
    )
    return found, items, problems


def _is_excerpt(entry) -> bool:
    if entry.content_html and len(clean_at_door(entry.content_html)) > EXCERPT_CHARS:
        return False
    summary = clean_at_door(entry.summary or "").rstrip()
    return len(summary) < EXCERPT_CHARS or summary.endswith(("…", "[…]", "...", "[...]"))


def robots_allows(robots_txt: str, url: str, user_agent: str) -> bool:
    """Whether robots.txt lets our crawler read `url` (Protego, the parser Scrapy uses)."""
    return Protego.parse(robots_txt).can_fetch(url, user_agent)


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lower()
    return body.lstrip()[:1] == b"<" and (b"<html" in head or b"<!doctype html" in head) and b"<rss" not in head


def _parse(body: bytes, headers: dict[str, str], url: str) -> ParsedFeed | None:
    if not body or _looks_like_html(body):
        return None
    try:
        feed = parse_feed(body, headers, url, source_id=0, limit=500)
    except (FeedError, json.JSONDecodeError, ValueError):
        return None
    return feed if feed.entries or feed.format not in ("", "unknown") else None


# -- the fetching edge ---------------------------------------------------------------------------------------------


class _Fetcher:
    """GETs through the network guard, every hop and byte counted against one Budget."""

    def __init__(self, budget: Budget, user_agent: str, allow_private: bool, allowed_hosts: tuple[str, ...]):
        self.budget, self.user_agent = budget, user_agent
        self.allow_private, self.allowed_hosts = allow_private, allowed_hosts

    def get(self, url: str, limit: int | None = None) -> tuple[int, dict[str, str], bytes, str]:
        for _hop in range(6):
            left = self.budget.take_request(url)
            addresses = checked_addresses(url, self.allow_private, self.allowed_hosts)
            cap = min(left, limit) if limit else left
            try:
                status, headers, body = _get(url, addresses, self.user_agent, cap, self.budget.deadline)
            except BlockedAddress as error:
                if "more than" in str(error):  # the answer was bigger than what is left to read
                    self.budget.bytes_read += cap
                raise
            self.budget.bytes_read += len(body)
            location = next((v for k, v in headers.items() if k.lower() == "location"), None)
            if status not in REDIRECTS or not location:
                return status, headers, body, url
            url = urljoin(url, location)
        raise FetchFailed(f"{url} redirected too many times")


def _problem_of(error: Exception, url: str) -> Problem:
    """A fetch that failed, said for people."""
    if isinstance(error, DiscoveryTimeout):
        return Problem("timeout", f"Your site did not answer in time ({url}); please try again later.")
    if isinstance(error, BudgetSpent):
        return Problem("limit", f"We stopped reading: {error}. Please give us the address of the feed itself.")
    if isinstance(error, BlockedAddress) and "more than" in str(error):
        return Problem("too_big", f"The answer from {url} is too big for us to read; please give the feed itself.")
    if isinstance(error, BlockedAddress):
        return Problem("blocked", f"We do not fetch this address: {error}.")
    return Problem("unreachable", f"We could not read {url}: {error}.")


def check_site(
    url: str,
    *,
    user_agent: str,
    allow_private: bool,
    allowed_hosts: tuple[str, ...] = (),
    budget: Budget | None = None,
) -> SiteReport:
    """Fetch `url` (a feed or a page), find its feeds and report what we would read; never raises for the site's faults.

    Order: robots.txt of the host; the URL itself (a feed, or a page announcing feeds);
    then the usual feed paths. Stops at the first readable feed found at or near the URL
    (announced feeds are all read, up to `MAX_ANNOUNCED`) or when the budget is spent.
    """
    budget = budget or Budget()
    started = time.monotonic()
    report = SiteReport(url=url)
    fetcher = _Fetcher(budget, user_agent, allow_private, tuple(allowed_hosts))
    try:
        _check(report, fetcher, url, user_agent)
    except (BlockedAddress, OSError, BudgetSpent) as error:
        report.problems.append(_problem_of(error, url))
    report.requests, report.bytes_read = budget.requests_made, budget.bytes_read
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _check(report: SiteReport, fetcher: _Fetcher, url: str, user_agent: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress(f"only http and https addresses can be registered, not {url!r}")
    robots = _robots(fetcher, url)
    if robots is not None and not robots_allows(robots, url, user_agent):
        report.problems.append(
            Problem("robots", "Your robots.txt forbids our crawler to read this address; please allow it.")
        )
        return
    status, headers, body, final = fetcher.get(url)
    report.final_url = final
    if status >= 400:
        report.problems.append(Problem("http_error", f"{final} answered with HTTP status {status}."))
        report.final_url = ""
        return
    feed = _parse(body, headers, final)
    if feed is not None:
        _add_feed(report, feed, body, headers, final)
        return
    if _looks_like_html(body):
        report.title = _page_title(body)
    announced = feed_links(body, final) if _looks_like_html(body) else []
    for candidate in announced[:MAX_ANNOUNCED]:
        _try_candidate(report, fetcher, candidate)
    if report.feeds:
        _robots_on_feed(report, robots, url, user_agent)
        return
    for path in COMMON_PATHS:
        candidate = urljoin(final, path)
        if candidate in announced:
            continue
        try:
            if _try_candidate(report, fetcher, candidate):
                _robots_on_feed(report, robots, url, user_agent)
                return
        except BudgetSpent:
            break  # guessing paths is a courtesy: running out of requests there means no feed found
    report.problems.append(
        Problem(
            "not_a_feed",
            "We found no feed (RSS, Atom or JSON Feed) at this address or on this page. We can still read "
            "your site's pages, but a feed is faster and more reliable: give its address if you have one.",
        )
    )


def _robots_on_feed(report: SiteReport, robots: str | None, url: str, user_agent: str) -> None:
    """A feed found on the site may lie where robots.txt forbids us, though the page did not."""
    feed_url = report.feed_url
    if robots is None or feed_url is None or urlsplit(feed_url).netloc != urlsplit(url).netloc:
        return
    if not robots_allows(robots, feed_url, user_agent):
        report.problems.append(
            Problem("robots", f"Your robots.txt forbids our crawler to read your feed ({feed_url}); please allow it.")
        )


def _try_candidate(report: SiteReport, fetcher: _Fetcher, candidate: str) -> bool:
    try:
        status, headers, body, final = fetcher.get(candidate)
    except DiscoveryTimeout:
        raise
    except BudgetSpent:
        raise
    except (BlockedAddress, OSError):
        return False  # a candidate that is refused or broken is simply not the feed
    feed = _parse(body, headers, final) if status == 200 else None
    if feed is None:
        return False
    _add_feed(report, feed, body, headers, final)
    return True


def _add_feed(report: SiteReport, feed: ParsedFeed, body: bytes, headers: dict[str, str], url: str) -> None:
    found, items, problems = feed_report(feed, body, headers, url)
    if any(existing.url == url for existing in report.feeds):
        return
    report.feeds.append(found)
    if len(report.feeds) == 1:  # the preview shows the first feed's items and problems
        report.items = items
        report.problems.extend(problems)
        report.title = report.title or found.title


def _robots(fetcher: _Fetcher, url: str) -> str | None:
    """The host's robots.txt text, or None when it has none (or it cannot be read: then nothing is forbidden)."""
    robots_url = urljoin(url, "/robots.txt")
    try:
        status, _headers, body, _final = fetcher.get(robots_url, limit=128 * 1024)
    except (DiscoveryTimeout, BudgetSpent):
        raise
    except (BlockedAddress, OSError) as error:
        if isinstance(error, BlockedAddress) and "more than" not in str(error):
            raise  # the host itself is refused: say so once, for the URL
        return None
    if status != 200:
        return None
    return body.decode("utf-8", "replace")


def _page_title(body: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    return clean_title(soup.title.get_text(strip=True)) if soup.title else ""


__all__ = [
    "BLOCKING",
    "Budget",
    "FeedFound",
    "PreviewItem",
    "Problem",
    "SiteReport",
    "check_site",
    "encoding_problem",
    "feed_report",
    "kind_name",
    "robots_allows",
]
