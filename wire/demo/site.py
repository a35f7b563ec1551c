"""Route requests to one partner's pages and feed: a website without the sockets.

A site knows its origin (the address its server got) and asks a clock for "now" on
every request, so dates stay relative to the moment a page is rendered.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qs, quote, unquote, urlsplit

from wire.demo.content import ArticleSpec, PartnerSpec
from wire.demo.feeds import render_feed
from wire.demo.pages import PageRenderer, robots_txt, sitemap_xml
from wire.demo.posts import Post, dated_posts
from wire.demo.responses import Response

HTML = "text/html; charset=UTF-8"


class PartnerSite:
    """Answer GET requests for one partner: home, articles, feed, news list, robots."""

    def __init__(
        self,
        partner: PartnerSpec,
        labels: dict,
        origin: str,
        clock: Callable[[], datetime],
        resolve_url: Callable[[str], str | None],
    ) -> None:
        self.partner = partner
        self.origin = origin
        self.clock = clock
        # Reposts link to their source on another partner's server, whose port only
        # the network knows.
        self.resolve_url = resolve_url
        self.pages = PageRenderer(partner, labels, origin)

    def respond(self, target: str) -> Response:
        """Answer a request target (path and query, as sent on the request line)."""
        parts = urlsplit(target)
        path = unquote(parts.path) or "/"
        query = parse_qs(parts.query)
        now = self.clock()
        posts = dated_posts(self.partner, now, self.origin)
        newest = posts[0].published if posts else now
        partner, feed = self.partner, self.partner.feed

        if path == "/":
            return _html(self.pages.home(posts), newest)
        if path == "/robots.txt":
            return Response(200, "text/plain; charset=utf-8", robots_txt(partner, self.origin).encode(), newest)
        if path == "/sitemap.xml" and partner.sitemap:
            body = sitemap_xml(partner, posts, self.origin, now).encode()
            return Response(200, "application/xml; charset=UTF-8", body, newest)
        if feed is not None and path == feed.path:
            body = render_feed(partner, posts, self.origin, now)
            return Response(200, feed.content_type, body, newest)
        if partner.news_path and path == partner.news_path:
            return self._news_list(posts, query)
        if path == self.pages.about_path:
            return _html(self.pages.about(), newest)
        for post in posts:
            if path == partner.article_url_path(post.spec):
                source = self._source_url(post.spec)
                return _html(self.pages.article(post, posts, source), post.published)
        return self._redirect_or_404(path, posts)

    def _news_list(self, posts: list[Post], query: dict[str, list[str]]) -> Response:
        per_page = self.partner.per_page
        pages = max(1, math.ceil(len(posts) / per_page))
        try:
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            page = 0
        if not 1 <= page <= pages:
            return self._not_found()
        shown = posts[(page - 1) * per_page : page * per_page]
        return _html(self.pages.news_list(shown, page, pages), shown[0].published)

    def _source_url(self, article: ArticleSpec) -> str | None:
        return self.resolve_url(article.copy_of) if article.copy_of else None

    def _redirect_or_404(self, path: str, posts: list[Post]) -> Response:
        """Add a missing trailing slash, as WordPress does, before giving up."""
        if not path.endswith("/"):
            slashed = path + "/"
            known = {"/", self.pages.about_path}
            if self.partner.feed:
                known.add(self.partner.feed.path)
            known.update(self.partner.article_url_path(p.spec) for p in posts)
            if slashed in known:
                location = self.origin + quote(slashed)
                return Response(301, HTML, b"", headers={"Location": location})
        return self._not_found()

    def _not_found(self) -> Response:
        return Response(404, HTML, self.pages.not_found().encode())


def _html(text: str, last_modified: datetime) -> Response:
    return Response(200, HTML, text.encode(), last_modified)
