"""Serve every demo partner from its own HTTP server on 127.0.0.1.

Each partner gets its own ``ThreadingHTTPServer`` on a free port, so each looks like a
separate website to the crawler: its own origin, its own ``/robots.txt``, its own
politeness budget. Servers run in daemon threads and never reach beyond loopback.

    with DemoNetwork() as net:
        net.partner("across-walls").feed_url
        net.articles          # the ground truth: dates, stories, copies, translations
        net.requests          # what the crawler asked for, for tests
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple

from wire.demo.content import CONTENT_DIR, PartnerSpec, load_chrome, load_partners
from wire.demo.dates import floor_to_hour
from wire.demo.posts import dated_posts
from wire.demo.responses import Response, finish
from wire.demo.site import PartnerSite


class _Server(ThreadingHTTPServer):
    """The standard server with a longer listen queue: its default of 5 refuses connections
    when a crawl opens several at once on a loaded machine, and a refused robots.txt
    would make the crawler treat the site as having none."""

    request_queue_size = 128


logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
LOGGED_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "If-None-Match", "If-Modified-Since")
SERVER_SOFTWARE = {"wordpress": "nginx", "handmade": "Apache/2.4.57 (Debian)", "plain": "nginx"}


@dataclass(frozen=True)
class DemoPartner:
    """A running partner site, as a partner would describe it when registering."""

    slug: str
    name: str
    languages: list[str]
    home_url: str
    feed_url: str | None
    kind: str  # 'feed' or 'site'
    feed_format: str | None  # 'rss2', 'atom', 'rdf' or None
    encoding: str
    description: str
    sitemap_url: str | None = None
    news_url: str | None = None


@dataclass(frozen=True)
class DemoArticle:
    """One article as served, with the ground truth tests compare against."""

    partner: str
    slug: str
    url: str
    title: str
    language: str
    published: datetime
    story: str | None
    relation: str | None  # 'original', 'verbatim', 'edited', 'translation' or None
    body_text: str
    author: str = ""
    tags: tuple[str, ...] = ()


class DemoRequest(NamedTuple):
    """One request a demo server answered."""

    partner: str
    method: str
    path: str
    headers: dict[str, str]
    status: int


class RequestLog:
    """A list of DemoRequest that server threads append to and tests read safely."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[DemoRequest] = []

    def append(self, request: DemoRequest) -> None:
        with self._lock:
            self._items.append(request)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[DemoRequest]:
        """Return a copy, so a test can iterate while servers keep appending."""
        with self._lock:
            return list(self._items)

    def for_partner(self, slug: str) -> list[DemoRequest]:
        return [r for r in self.snapshot() if r.partner == slug]

    def __iter__(self) -> Iterator[DemoRequest]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index: int) -> DemoRequest:
        with self._lock:
            return self._items[index]


class _Handler(BaseHTTPRequestHandler):
    """Hand each request to the partner's site; subclassed once per partner."""

    site: PartnerSite
    slug: str
    request_log: RequestLog
    software: str
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def do_POST(self) -> None:  # noqa: N802
        """Refuse form posts (newsletter boxes, comment forms): the demo stores nothing."""
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._send(405, {"Allow": "GET, HEAD", "Content-Length": "0"}, b"")

    def _answer(self, head: bool) -> None:
        request_headers = {name.title(): value for name, value in self.headers.items()}
        try:
            response = self.site.respond(self.path)
        except Exception:  # a bug in the demo must not look like a dead partner
            logger.exception("demo partner %s failed on %s", self.slug, self.path)
            response = Response(500, "text/plain; charset=utf-8", b"Internal Server Error\n")
        status, headers, body = finish(response, request_headers, head)
        self._send(status, headers, body)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        # Log before answering: once the client has its answer, a test may read the log.
        logged = {n: self.headers[n] for n in LOGGED_HEADERS if self.headers.get(n) is not None}
        self.request_log.append(DemoRequest(self.slug, self.command, self.path, logged, status))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def version_string(self) -> str:
        return self.software

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay silent: tests and the CLI read ``DemoNetwork.requests`` instead."""


class _PartnerServer:
    """One partner's HTTP server and the thread that runs it."""

    def __init__(self, spec: PartnerSpec, request_log: RequestLog) -> None:
        self.spec = spec
        # a subclass of _Handler per partner, carrying the partner's slug, request log and server name
        self.handler: type[_Handler] = type(
            f"Handler_{spec.slug.replace('-', '_')}",
            (_Handler,),
            {"slug": spec.slug, "request_log": request_log, "software": SERVER_SOFTWARE[spec.theme]},
        )
        self.httpd = _Server((HOST, 0), self.handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"demo-{spec.slug}", daemon=True)

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.httpd.server_port}"  # the server is bound to HOST

    def start(self, site: PartnerSite) -> None:
        self.handler.site = site
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.thread.join(timeout=5)
        self.httpd.server_close()


class DemoNetwork:
    """Start, describe and stop the demo partner sites.

    ``now`` fixes the clock (tests); without it the clock is the current time rounded
    down to the hour, so a long-running demo always has a current week while its
    pages stay stable enough for conditional GET.
    """

    def __init__(self, now: datetime | None = None, content_dir: Path = CONTENT_DIR) -> None:
        if now is not None and now.tzinfo is None:
            raise ValueError(f"DemoNetwork(now={now!r}) needs an aware datetime, e.g. with tzinfo=UTC")
        self._fixed_now = now.astimezone(UTC) if now is not None else None
        self._specs = load_partners(content_dir)
        self._labels = load_chrome(content_dir)
        self._servers: dict[str, _PartnerServer] = {}
        self.requests = RequestLog()

    def now(self) -> datetime:
        """Return the moment every date in the network is relative to."""
        if self._fixed_now is not None:
            return self._fixed_now
        return floor_to_hour(datetime.now(UTC))

    def start(self) -> DemoNetwork:
        """Bind every partner to a free port, then start serving."""
        if self._servers:
            return self
        try:
            for spec in self._specs:
                self._servers[spec.slug] = _PartnerServer(spec, self.requests)
            for slug, server in self._servers.items():
                labels = self._labels.get(server.spec.language, self._labels["en"])
                site = PartnerSite(server.spec, labels, server.origin, self.now, self._url_of)
                server.start(site)
                logger.info("demo partner %s serving at %s/", slug, server.origin)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Shut every server down and free its port."""
        for server in self._servers.values():
            server.stop()
        self._servers.clear()

    def __enter__(self) -> DemoNetwork:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def partners(self) -> list[DemoPartner]:
        """Describe every running partner, in content-file order."""
        return [self._describe(spec) for spec in self._specs]

    def partner(self, slug: str) -> DemoPartner:
        """Describe one partner; a KeyError lists the slugs there are."""
        for spec in self._specs:
            if spec.slug == slug:
                return self._describe(spec)
        raise KeyError(f"no demo partner {slug!r}; known: {[s.slug for s in self._specs]}")

    @property
    def articles(self) -> list[DemoArticle]:
        """List every article of every partner, dated as the servers render them now."""
        now = self.now()
        articles = []
        for spec in self._specs:
            origin = self._origin(spec.slug)
            for post in dated_posts(spec, now, origin):
                a = post.spec
                articles.append(
                    DemoArticle(
                        partner=spec.slug,
                        slug=a.slug,
                        url=post.url,
                        title=a.title,
                        language=a.language,
                        published=post.published,
                        story=a.story,
                        relation=a.relation,
                        body_text=a.body_text,
                        author=a.author,
                        tags=a.tags,
                    )
                )
        return articles

    def stories(self) -> dict[str, list[DemoArticle]]:
        """Group the articles that tell one story, keyed by story."""
        grouped: dict[str, list[DemoArticle]] = {}
        for article in self.articles:
            if article.story:
                grouped.setdefault(article.story, []).append(article)
        return grouped

    def _origin(self, slug: str) -> str:
        server = self._servers.get(slug)
        if server is None:
            raise RuntimeError("the demo network is not running: call start() or use 'with DemoNetwork()'")
        return server.origin

    def _url_of(self, key: str) -> str | None:
        """Return the URL of an article named 'partner/slug', for repost source links."""
        partner_slug, _, article_slug = key.partition("/")
        for spec in self._specs:
            if spec.slug == partner_slug:
                for post in dated_posts(spec, self.now(), self._origin(partner_slug)):
                    if post.spec.slug == article_slug:
                        return post.url
        return None

    def _describe(self, spec: PartnerSpec) -> DemoPartner:
        origin = self._origin(spec.slug)
        feed = spec.feed
        return DemoPartner(
            slug=spec.slug,
            name=spec.name,
            languages=list(spec.languages),
            home_url=origin + "/",
            feed_url=origin + feed.path if feed else None,
            kind=spec.kind,
            feed_format=feed.format if feed else None,
            encoding=feed.encoding if feed else "utf-8",
            description=spec.description,
            sitemap_url=origin + "/sitemap.xml" if spec.sitemap else None,
            news_url=origin + spec.news_path if spec.news_path else None,
        )
