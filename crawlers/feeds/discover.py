"""Find a partner's feeds from the address they give us, as feed readers do.

Order: the URL itself when it is a feed; `<link rel="alternate">` feeds on the page;
then the usual paths (/feed/, /rss.xml, /atom.xml, /index.xml, /feed.json). With none,
the source is a site crawled from its pages. Pure parsing apart from `fetch`.

`fetch` keeps the crawler's rules outside Scrapy: every hop's host is resolved once and
checked (`crawlers/netguard.py`), the socket goes to that checked address, answers are
capped in size, and one deadline covers the whole discovery, every byte of every request
counted against it (a server sending one byte a second is cut off, not waited for).
"""

from __future__ import annotations

import http.client
import io
import json
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from aggregator.text import clean_at_door, clean_title
from crawlers.feeds.parse import FeedError, parse_feed
from crawlers.netguard import BlockedAddress, checked_addresses

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "text/xml",
    "application/xml",
)
COMMON_PATHS = ("/feed/", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json", "/index.rdf", "/rss/")
#: Seconds for the whole discovery, every request and every byte of it included.
DEADLINE = 20.0
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


class DiscoveryTimeout(TimeoutError):
    """Discovery ran past its deadline; the message names the URL being read and the deadline."""


class FetchFailed(ConnectionError):
    """A request that got no usable HTTP answer (refused, reset, not HTTP); the message says which."""


class Deadline:
    """One point in time that every connection and read of a discovery must finish by."""

    def __init__(self, seconds: float = DEADLINE):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def remaining(self, url: str) -> float:
        """Seconds left, or DiscoveryTimeout naming `url` when none are."""
        left = self.ends - time.monotonic()
        if left <= 0:
            raise self.exceeded(url)
        return left

    def exceeded(self, url: str) -> DiscoveryTimeout:
        return DiscoveryTimeout(
            f"{url} did not answer within {self.seconds:g} s (the limit for finding a feed); "
            f"the site is too slow or stalls: try again later, or register it with --kind"
        )


@dataclass
class Discovery:
    url: str  # what to register
    kind: str  # 'feed' or 'site'
    title: str = ""
    format: str | None = None
    latest: list[dict] = field(default_factory=list)  # up to three {title, url, published}
    candidates: list[str] = field(default_factory=list)


class _DeadlineReader(io.RawIOBase):
    """The socket's bytes, each read given only the time left before the deadline."""

    def __init__(self, sock: socket.socket, deadline: Deadline, url: str):
        self.sock, self.deadline, self.url = sock, deadline, url

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.sock.settimeout(self.deadline.remaining(self.url))
        try:
            return self.sock.recv_into(buffer)
        except (TimeoutError, ssl.SSLError) as error:
            if self.deadline.ends <= time.monotonic():
                raise self.deadline.exceeded(self.url) from None
            raise FetchFailed(f"the connection to {self.url} broke ({error})") from None


class _DeadlineSocket:
    """What http.client needs of a socket, with the deadline on every send and read."""

    def __init__(self, sock: socket.socket, deadline: Deadline, url: str):
        self.sock, self.deadline, self.url = sock, deadline, url

    def sendall(self, data: bytes) -> None:
        self.sock.settimeout(self.deadline.remaining(self.url))
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise self.deadline.exceeded(self.url) from None

    def makefile(self, mode: str, *args, **kwargs):
        return io.BufferedReader(_DeadlineReader(self.sock, self.deadline, self.url))

    def close(self) -> None:
        """Leave the socket open: http.client closes the connection once the headers say so, before the
        body is read (a real socket stays open while its file is in use); `_get` closes it at the end."""


def _connect(url: str, addresses: list[str], deadline: Deadline) -> tuple[http.client.HTTPConnection, _DeadlineSocket]:
    """An HTTP(S) connection to one of the checked `addresses` of `url`'s host, never to the name,
    and the guarded socket it was given (its `sock` is the real socket, which only `_get` closes)."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host = parts.hostname
    if not host:  # checked_addresses has refused such URLs already
        raise FetchFailed(f"no host in {url!r}")
    try:
        port = parts.port or (443 if https else 80)
    except ValueError as error:  # "Port out of range 0-65535", "Port could not be cast to integer value"
        raise FetchFailed(f"{url}: {error}") from None
    errors = []
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), timeout=deadline.remaining(url))
        except TimeoutError:
            raise deadline.exceeded(url) from None
        except OSError as error:
            errors.append(f"{address}: {error.strerror or error}")
            continue
        try:
            if https:  # certificate and SNI for the name, connection to the checked address
                sock.settimeout(deadline.remaining(url))
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        except TimeoutError:
            sock.close()
            raise deadline.exceeded(url) from None
        except (ssl.SSLError, ssl.CertificateError, OSError) as error:
            sock.close()
            raise FetchFailed(f"the secure connection to {url} failed ({error})") from None
        # built for the name (the Host header), given the socket to the checked address: it never resolves
        connection = (http.client.HTTPSConnection if https else http.client.HTTPConnection)(host, port)
        connection.sock = guarded = _DeadlineSocket(sock, deadline, url)
        return connection, guarded
    raise FetchFailed(f"could not connect to {url} ({'; '.join(errors)})")


def _get(
    url: str, addresses: list[str], user_agent: str, limit: int, deadline: Deadline
) -> tuple[int, dict[str, str], bytes]:
    """One GET over a guarded connection: (status, headers, body), the body cut at `limit`."""
    connection, connection_socket = _connect(url, addresses, deadline)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)  # identity: no decompression bombs
        connection.putheader("User-Agent", user_agent)
        connection.putheader("Connection", "close")
        connection.endheaders()
        response = connection.getresponse()
        headers = dict(response.getheaders())
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > limit:
            raise BlockedAddress(f"{url} answered with more than {limit} bytes; refused")
        body = response.read(limit + 1) if response.status < 400 else b""
        if len(body) > limit:
            raise BlockedAddress(f"{url} answered with more than {limit} bytes; refused")
        return response.status, headers, body
    except http.client.HTTPException as error:
        raise FetchFailed(f"{url} sent no usable HTTP answer ({type(error).__name__}: {error})") from None
    finally:
        connection.close()
        connection_socket.sock.close()


def fetch(
    url: str,
    *,
    user_agent: str,
    allow_private: bool,
    allowed_hosts: tuple[str, ...] = (),
    limit: int = 5 * 1024 * 1024,
    deadline: Deadline | float = DEADLINE,
) -> tuple[int, dict[str, str], bytes, str]:
    """GET `url` through the network guard, following redirects; return (status, headers, body, final URL).

    Raises BlockedAddress (refused by the guard, too big), DiscoveryTimeout (past the
    deadline) or FetchFailed (no usable answer), all with the URL in a one-line message.
    """
    deadline = deadline if isinstance(deadline, Deadline) else Deadline(deadline)
    for _ in range(MAX_REDIRECTS + 1):
        addresses = checked_addresses(url, allow_private, allowed_hosts)  # every hop: resolved once, checked
        status, headers, body = _get(url, addresses, user_agent, limit, deadline)
        location = next((value for key, value in headers.items() if key.lower() == "location"), None)
        if status not in REDIRECTS or not location:
            return status, headers, body, url
        url = urljoin(url, location)
    raise FetchFailed(f"{url} redirected more than {MAX_REDIRECTS} times")


def feed_links(html: bytes | str, base_url: str) -> list[str]:
    """Feed URLs announced by `<link rel="alternate" type="...">` on a page."""
    soup = BeautifulSoup(html, "html.parser")
    links = []
    for link in soup.find_all("link", href=True):
        rel = [value.lower() for value in (link.get("rel") or [])]
        link_type, link_href = link.get("type"), link["href"]
        if not isinstance(link_type, str) or not isinstance(link_href, str):  # neither is a multi-valued attribute
            continue
        if "alternate" in rel and link_type.split(";")[0].strip().lower() in FEED_TYPES:
            href = urljoin(base_url, link_href)
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
    # titles go to an editor's terminal: cleaned at the door like every item's (no escapes, no bidi tricks)
    return Discovery(
        url=url,
        kind="feed",
        title=clean_title(feed.title),
        format=feed.format,
        latest=[
            {
                "title": clean_title(e.title),
                "url": clean_at_door(e.url),
                "published": e.published.isoformat() if e.published else None,
            }
            for e in entries[:3]
        ],
    )


def discover(url: str, *, deadline: float = DEADLINE, **fetch_options) -> Discovery:
    """Decide what to register for `url`: a feed found on or near it, or the site itself.

    `deadline` (seconds) bounds the whole search, every candidate included.
    """
    fetch_options["deadline"] = Deadline(deadline)
    status, headers, body, final = fetch(url, **fetch_options)
    found = _as_feed(status, headers, body, final)
    if found:
        return found
    candidates = feed_links(body, final) if status == 200 else []
    candidates += [urljoin(final, path) for path in COMMON_PATHS if urljoin(final, path) not in candidates]
    for candidate in candidates:
        try:
            found = _as_feed(*fetch(candidate, **fetch_options))
        except DiscoveryTimeout:
            raise
        except (BlockedAddress, OSError):
            continue  # a candidate that is refused or broken is simply not the feed
        if found:
            found.candidates = candidates
            return found
    if status >= 400:
        raise BlockedAddress(f"{url} answered {status}; nothing to register")
    soup = BeautifulSoup(body, "html.parser")
    title = clean_title(soup.title.get_text(strip=True)) if soup.title else final
    return Discovery(url=final, kind="site", title=title, candidates=candidates)
