"""Turn article specs into dated, addressed posts: what feeds and pages render.

A post is an article at one moment on one running server: it has a date (``now`` minus
its age) and a URL (the server's base URL plus its path). Both are only known once the
network runs, so they are computed here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from wire.demo.content import ArticleSpec, PartnerSpec

EXCERPT_WORDS = 55  # WordPress's default excerpt length


@dataclass(frozen=True)
class Post:
    """One article as served: its spec, its date and its address."""

    spec: ArticleSpec
    published: datetime
    path: str  # percent-encoded, as it appears in links
    url: str

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return self.spec.paragraphs


def dated_posts(partner: PartnerSpec, now: datetime, base_url: str) -> list[Post]:
    """Return a partner's posts newest first, dated relative to ``now``."""
    posts = []
    for article in partner.articles:
        path = quote(partner.article_url_path(article), safe="/?=&.-_~")
        posts.append(Post(article, article.published(now), path, base_url.rstrip("/") + path))
    return sorted(posts, key=lambda p: p.published, reverse=True)


def excerpt(text: str, ellipsis: str, words: int = EXCERPT_WORDS) -> str:
    """Cut ``text`` after ``words`` words and mark the cut, as WordPress excerpts do."""
    parts = text.split()
    if len(parts) <= words:
        return text
    return " ".join(parts[:words]) + ellipsis
