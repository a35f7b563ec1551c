"""Render a partner's HTML pages, robots.txt and sitemap.

Pages imitate small volunteer sites, clutter included (cookie banner, share buttons,
comments, related posts, sign-up box), because that clutter is what our extractor
has to see through. Templates live in ``templates/``; the labels of the clutter come
from ``content/_chrome.toml`` in the site's language.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

import jinja2

from wire.demo import dates
from wire.demo.content import PartnerSpec
from wire.demo.posts import Post, excerpt

TEMPLATES_DIR = Path(__file__).parent / "templates"
FEED_TYPES = {
    "rss2": "application/rss+xml",
    "atom": "application/atom+xml",
    "rdf": "application/rdf+xml",
}
RELATED_COUNT = 3
HOME_COUNT = {"handmade": 3}  # hand-made sites show a few teasers and link to the list


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


class PageRenderer:
    """Render every HTML page of one partner's site."""

    def __init__(self, partner: PartnerSpec, labels: dict[str, Any], origin: str) -> None:
        self.partner = partner
        self.t = labels
        self.origin = origin
        self.env = _environment()

    def home(self, posts: list[Post]) -> str:
        """Render the front page: the group's intro and its latest posts."""
        shown = posts[: HOME_COUNT.get(self.partner.theme, 10)]
        return self._render("home.html", posts=[self._teaser(p) for p in shown], canonical=self.origin + "/")

    def article(self, post: Post, posts: list[Post], source_url: str | None) -> str:
        """Render one article page with all the clutter around it."""
        related = [self._teaser(p) for p in posts if p is not post][:RELATED_COUNT]
        return self._render(
            "article.html",
            post=self._teaser(post),
            iso=dates.rfc3339(post.published, self.partner.utc_offset),
            paragraphs=post.paragraphs,
            related=related,
            source_url=source_url,
            share_url=quote(post.url, safe=""),
            canonical=post.url,
        )

    def news_list(self, posts: list[Post], page: int, pages: int) -> str:
        """Render one page of a hand-made news list, with older/newer links."""
        canonical = f"{self.origin}{self.partner.news_path}"
        if page > 1:
            canonical += f"?page={page}"
        return self._render(
            "news_list.html", posts=[self._teaser(p) for p in posts], page=page, pages=pages, canonical=canonical
        )

    def about(self) -> str:
        """Render the about page: who the group is and how to reach it."""
        return self._render("about.html", canonical=self.origin + self.about_path)

    def not_found(self) -> str:
        """Render the site's 404 page."""
        return self._render("not_found.html", canonical=None)

    @property
    def about_path(self) -> str:
        return "/about.html" if self.partner.theme == "handmade" else "/about/"

    def _teaser(self, post: Post) -> dict[str, Any]:
        return {
            "title": post.title,
            "href": post.path,
            "url": post.url,
            "author": post.spec.author,
            "post_id": post.spec.post_id,
            "tags": post.spec.tags,
            "credit": post.spec.credit,
            "comments": post.spec.comments,
            "date": dates.display(post.published, self.partner.utc_offset, self.partner.language, self.t["months"]),
            "iso": dates.rfc3339(post.published, self.partner.utc_offset),
            "excerpt": excerpt(post.paragraphs[0], "…", words=40),
        }

    def _render(self, template: str, **context: Any) -> str:
        partner = self.partner
        feed = partner.feed
        feed_link = None
        if feed is not None and feed.advertise != "none":
            feed_link = {
                "href": self.origin + feed.path,
                "type": FEED_TYPES[feed.format],
                "in_head": feed.advertise == "link",
            }
        return self.env.get_template(template).render(
            partner=partner,
            t=self.t,
            feed_link=feed_link,
            news_href=partner.news_path or "/",
            about_href=self.about_path,
            signup_heading=partner.signup_heading or self.t["newsletter_heading"],
            **context,
        )


def robots_txt(partner: PartnerSpec, origin: str) -> str:
    """Allow every robot; point to the sitemap where the site has one."""
    lines = ["User-agent: *", "Disallow:", ""]
    if partner.sitemap:
        lines.append(f"Sitemap: {origin}/sitemap.xml")
    return "\n".join(lines) + "\n"


def sitemap_xml(partner: PartnerSpec, posts: list[Post], origin: str, now: datetime) -> str:
    """List the home page, the news list and every article, each with its lastmod."""
    offset = partner.utc_offset
    newest = posts[0].published if posts else now
    entries = [(origin + "/", newest)]
    if partner.news_path:
        entries.append((origin + partner.news_path, newest))
    entries += [(post.url, post.published) for post in posts]
    urls = "".join(
        f"  <url>\n    <loc>{escape(loc)}</loc>\n    <lastmod>{dates.rfc3339(moment, offset)}</lastmod>\n  </url>\n"
        for loc, moment in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}</urlset>\n"
    )
