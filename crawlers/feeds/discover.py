"""Find a partner's feeds from the address they give us, as feed readers do.

Order: the URL itself when it is a feed; `<link rel="alternate">` feeds on the page;
then the usual paths (/feed/, /rss.xml, /atom.xml, /index.xml, /feed.json). With none,
the source is a site crawled from its pages. Pure parsing apart from `fetch`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urljoin

from bs4 import BeautifulSoup

from crawlers.feeds.parse import FeedError, parse_feed
from crawlers.netguard import BlockedAddress, check_url

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
              "application/rdf+xml", "text/xml", "application/xml")
COMMON_PATHS = ("/feed/", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json", "/index.rdf", "/rss/")


@dataclass
class Discovery:
    url: str  # what to register
    kind: str  # 'feed' or 'site'
    title: str = ""
    format: str | None = None
    latest: list[dict] = field(default_factory=list)  # up to three {title, url, published}
    candidates: list[str] = field(default_factory=list)


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, allow_private: bool, allowed_hosts: tuple[str, ...]):
        self.allow_private, self.allowed_hosts = allow_private, allowed_hosts

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(newurl, self.allow_private, self.allowed_hosts)  # every hop is checked
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, user_agent: str, allow_private: bool, allowed_hosts: tuple[str, ...] = (),
          limit: int = 5 * 1024 * 1024, timeout: float = 20) -> tuple[int, dict[str, str], bytes, str]:
    """GET `url` through the network guard; return (status, headers, body, final URL)."""
    check_url(url, allow_private, allowed_hosts)
    opener = urllib.request.build_opener(_GuardedRedirects(allow_private, allowed_hosts))
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(limit + 1)
            if len(body) > limit:
                raise BlockedAddress(f"{url} answered with more than {limit} bytes; refused")
            return response.status, dict(response.headers.items()), body, response.url
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), b"", url


def feed_links(html: bytes | str, base_url: str) -> list[str]:
    """Feed URLs announced by `<link rel="alternate" type="...">` on a page."""
    soup = BeautifulSoup(html, "html.parser")
    links = []
    for link in soup.find_all("link", href=True):
        rel = [value.lower() for value in (link.get("rel") or [])]
        if "alternate" in rel and (link.get("type") or "").split(";")[0].strip().lower() in FEED_TYPES:
            href = urljoin(base_url, link["href"])
            if href not in links:
                links.append(href)
    return links


def _as_feed(status, headers, body, url) -> Discovery | None:
    if status != 200 or not body:
        return None
    if body.lstrip()[:1] == b"<" and b"<html" in body[:2048].lower() and b"<rss" not in body[:2048].lower():
        return None
    try:
        feed = parse_feed(body, headers, url, source_id=0, limit=50)
    except (FeedError, json.JSONDecodeError, ValueError):
        return None
    if not feed.entries:
        return None
    entries = sorted(feed.entries, key=lambda e: e.published.timestamp() if e.published else 0, reverse=True)
    return Discovery(url=url, kind="feed", title=feed.title, format=feed.format, latest=[
        {"title": e.title, "url": e.url, "published": e.published.isoformat() if e.published else None}
        for e in entries[:3]])


def discover(url: str, **fetch_options) -> Discovery:
    """Decide what to register for `url`: a feed found on or near it, or the site itself."""
    status, headers, body, final = fetch(url, **fetch_options)
    found = _as_feed(status, headers, body, final)
    if found:
        return found
    candidates = feed_links(body, final) if status == 200 else []
    candidates += [urljoin(final, path) for path in COMMON_PATHS if urljoin(final, path) not in candidates]
    for candidate in candidates:
        try:
            found = _as_feed(*fetch(candidate, **fetch_options))
        except (BlockedAddress, urllib.error.URLError, OSError):
            continue
        if found:
            found.candidates = candidates
            return found
    if status >= 400:
        raise BlockedAddress(f"{url} answered {status}; nothing to register")
    soup = BeautifulSoup(body, "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else final
    return Discovery(url=final, kind="site", title=title, candidates=candidates)
