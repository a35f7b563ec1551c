"""Load the demo partners and their articles from the TOML files in ``content/``.

Content lives in data files, one per partner, so that a writer can change a story
without touching the servers, and so that tests read the same facts the servers serve.
Articles store their age (``hours_ago``), never a date: the demo must always have a
current week, whenever it runs.

``_chrome.toml`` holds the page labels (share buttons, cookie banner, comment form) in
each language; files whose name starts with ``_`` are not partners.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aggregator.config import Config
from aggregator.scripts import RTL_LANGUAGES  # the one list of right-to-left languages
from newsletter.weeks import week_bounds, week_of

#: The demo's weeks are those of the default configuration's time zone (tests and `wire demo` use it).
DEMO_ZONE = ZoneInfo(str(Config.__dataclass_fields__["timezone"].default))
WEEK = timedelta(days=7)
#: Articles meant to be this week's are at most this old (the content's largest in-week age is 140 h).
OLDEST_IN_WEEK = timedelta(hours=150)


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of `now`'s week in the demo's time zone."""
    return week_bounds(week_of(now, DEMO_ZONE), DEMO_ZONE)[0]


CONTENT_DIR = Path(__file__).parent / "content"

KINDS = ("feed", "site")
FEED_FORMATS = ("rss2", "atom", "rdf")
THEMES = ("wordpress", "handmade", "plain")
RELATIONS = ("original", "verbatim", "edited", "translation")
FEED_CONTENT = ("full", "excerpt")
ADVERTISE = ("link", "anchor", "none")
FEED_FAULTS = ("raw-ampersand", "bad-date", "unclosed-item")


class DemoContentError(ValueError):
    """A content file lacks a key or holds a bad value; the message names file and key."""


@dataclass(frozen=True)
class Comment:
    """A reader's comment under an article: clutter that extractors must drop."""

    author: str
    text: str


@dataclass(frozen=True)
class ArticleSpec:
    """One article as written in a partner's content file, before any date is known."""

    partner: str
    slug: str
    title: str
    language: str
    author: str
    hours_ago: float
    paragraphs: tuple[str, ...]
    post_id: int
    tags: tuple[str, ...] = ()
    story: str | None = None
    relation: str | None = None
    copy_of: str | None = None
    credit: str | None = None
    feed_faults: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = ()

    @property
    def key(self) -> str:
        """Name the article across partners, as ``copy_of`` refers to it."""
        return f"{self.partner}/{self.slug}"

    @property
    def body_text(self) -> str:
        """Return the body as plain paragraphs joined by blank lines."""
        return "\n\n".join(self.paragraphs)

    def published(self, now: datetime) -> datetime:
        """Date the article relative to ``now``, so every run has a current week.

        Early in a week (a run on Monday at 00:30) less of the week has passed than the
        articles' ages span: then every age meant to fall in this week is shrunk in proportion
        to what has passed of it, keeping their order, so the week still holds them all.
        An article older than a week (``hours_ago`` of 168 or more) stays old.
        """
        age = timedelta(hours=self.hours_ago)
        if age < WEEK:
            passed = now - week_start(now)
            if passed < OLDEST_IN_WEEK:
                age = age * (passed / OLDEST_IN_WEEK)
        return now - age


@dataclass(frozen=True)
class FeedSpec:
    """How a partner's feed looks and misbehaves."""

    format: str
    path: str
    content: str
    ellipsis: str
    encoding: str
    content_type: str
    advertise: str
    tracking: str
    faults: tuple[str, ...]


@dataclass(frozen=True)
class PartnerSpec:
    """One fictional partner organisation and its website."""

    slug: str
    name: str
    tagline: str
    description: str
    languages: tuple[str, ...]
    kind: str
    theme: str
    article_path: str
    utc_offset: timedelta
    sitemap: bool
    intro: tuple[str, ...]
    contact: str
    signup_heading: str | None
    feed: FeedSpec | None
    news_path: str | None
    per_page: int
    articles: tuple[ArticleSpec, ...]

    @property
    def language(self) -> str:
        """Return the language the site's chrome is written in."""
        return self.languages[0]

    @property
    def direction(self) -> str:
        """Return the writing direction, for ``<html dir>``."""
        return "rtl" if self.language in RTL_LANGUAGES else "ltr"

    def article_url_path(self, article: ArticleSpec) -> str:
        """Return the unquoted path of an article's page on this site."""
        return self.article_path.format(slug=article.slug, id=article.post_id)


def load_partners(content_dir: Path = CONTENT_DIR) -> list[PartnerSpec]:
    """Read every partner file, resolve verbatim copies, and check the whole set."""
    files = sorted(p for p in content_dir.glob("*.toml") if not p.name.startswith("_"))
    if not files:
        raise DemoContentError(f"no partner files (*.toml) in {content_dir}")
    partners = [_read_partner(path) for path in files]
    partners = _resolve_copies(partners)
    slugs = [p.slug for p in partners]
    duplicates = {s for s in slugs if slugs.count(s) > 1}
    if duplicates:
        raise DemoContentError(f"partner slugs used twice: {sorted(duplicates)}")
    return partners


def load_chrome(content_dir: Path = CONTENT_DIR) -> dict[str, dict[str, Any]]:
    """Read the page labels per language; English fills any label a language lacks."""
    path = content_dir / "_chrome.toml"
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    english = data.get("en")
    if not english:
        raise DemoContentError(f"{path}: needs an [en] table, the fallback labels")
    return {lang: {**english, **labels} for lang, labels in data.items()}


def _read_partner(path: Path) -> PartnerSpec:
    with path.open("rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise DemoContentError(f"{path}: not valid TOML: {exc}") from exc
    get = _Getter(path, data)
    slug = get.text("slug")
    if path.stem != slug:
        raise DemoContentError(f"{path}: slug {slug!r} must match the file name")
    languages = tuple(get.items("languages"))
    kind = get.one_of("kind", KINDS)
    feed = _read_feed(path, data.get("feed")) if kind == "feed" else None
    if kind == "feed" and feed is None:
        raise DemoContentError(f"{path}: kind 'feed' needs a [feed] table")
    site = data.get("site", {})
    news_path = site.get("news_path") if kind == "site" else None
    if kind == "site" and not news_path:
        raise DemoContentError(f"{path}: kind 'site' needs [site] news_path")
    articles = tuple(
        _read_article(path, slug, languages[0], index, raw) for index, raw in enumerate(get.items("articles"))
    )
    return PartnerSpec(
        slug=slug,
        name=get.text("name"),
        tagline=get.text("tagline"),
        description=get.text("description"),
        languages=languages,
        kind=kind,
        theme=get.one_of("theme", THEMES),
        article_path=get.text("article_path"),
        utc_offset=_parse_offset(path, get.text("utc_offset")),
        sitemap=bool(data.get("sitemap", False)),
        intro=_paragraphs(get.text("intro")),
        contact=get.text("contact"),
        signup_heading=data.get("signup_heading"),
        feed=feed,
        news_path=news_path,
        per_page=int(site.get("per_page", 10)),
        articles=articles,
    )


def _read_feed(path: Path, raw: dict[str, Any] | None) -> FeedSpec | None:
    if raw is None:
        return None
    get = _Getter(path, raw, prefix="feed.")
    faults = tuple(raw.get("faults", ()))
    for fault in faults:
        if fault not in FEED_FAULTS:
            raise DemoContentError(f"{path}: feed.faults has {fault!r}; known: {FEED_FAULTS}")
    return FeedSpec(
        format=get.one_of("format", FEED_FORMATS),
        path=get.text("path"),
        content=get.one_of("content", FEED_CONTENT),
        ellipsis=raw.get("ellipsis", ""),
        encoding=raw.get("encoding", "utf-8"),
        content_type=get.text("content_type"),
        advertise=get.one_of("advertise", ADVERTISE),
        tracking=raw.get("tracking", ""),
        faults=faults,
    )


def _read_article(path: Path, partner: str, language: str, index: int, raw: dict[str, Any]) -> ArticleSpec:
    get = _Getter(path, raw, prefix=f"articles[{index}].")
    story, relation = raw.get("story"), raw.get("relation")
    if (story is None) != (relation is None):
        raise DemoContentError(f"{path}: articles[{index}] needs both story and relation")
    if relation is not None and relation not in RELATIONS:
        raise DemoContentError(f"{path}: articles[{index}].relation is {relation!r}; choose from {RELATIONS}")
    copy_of = raw.get("copy_of")
    body = raw.get("body", "")
    if not body and not copy_of:
        raise DemoContentError(f"{path}: articles[{index}] needs a body or copy_of")
    return ArticleSpec(
        partner=partner,
        slug=get.text("slug"),
        title=get.text("title"),
        language=raw.get("language", language),
        author=get.text("author"),
        hours_ago=float(get.value("hours_ago")),
        paragraphs=_paragraphs(body) if body else (),
        post_id=int(raw.get("post_id", 100 + 7 * index)),
        tags=tuple(raw.get("tags", ())),
        story=story,
        relation=relation,
        copy_of=copy_of,
        credit=raw.get("credit"),
        feed_faults=tuple(raw.get("feed_faults", ())),
        comments=tuple(Comment(c["author"], c["text"]) for c in raw.get("comments", ())),
    )


def _resolve_copies(partners: list[PartnerSpec]) -> list[PartnerSpec]:
    """Give verbatim copies the body of their source, so they cannot drift apart."""
    by_key = {a.key: a for p in partners for a in p.articles}
    resolved = []
    for partner in partners:
        articles = []
        for article in partner.articles:
            if article.copy_of and not article.paragraphs:
                source = by_key.get(article.copy_of)
                if source is None or not source.paragraphs:
                    raise DemoContentError(f"{article.key}: copy_of {article.copy_of!r} names no article with a body")
                article = replace(article, paragraphs=source.paragraphs)
            articles.append(article)
        resolved.append(replace(partner, articles=tuple(articles)))
    return resolved


def _paragraphs(text: str) -> tuple[str, ...]:
    """Split on blank lines and unwrap lines, so TOML bodies can be wrapped freely."""
    blocks = [" ".join(line.strip() for line in block.splitlines()) for block in text.split("\n\n")]
    return tuple(b.strip() for b in blocks if b.strip())


def _parse_offset(path: Path, text: str) -> timedelta:
    try:
        sign = -1 if text[0] == "-" else 1
        hours, minutes = text.lstrip("+-").split(":")
        return sign * timedelta(hours=int(hours), minutes=int(minutes))
    except (ValueError, IndexError) as exc:
        raise DemoContentError(f"{path}: utc_offset {text!r} is not like '+03:30'") from exc


class _Getter:
    """Read required keys and name the file and key in every error."""

    def __init__(self, path: Path, data: dict[str, Any], prefix: str = "") -> None:
        self.path, self.data, self.prefix = path, data, prefix

    def value(self, key: str) -> Any:
        if key not in self.data:
            raise DemoContentError(f"{self.path}: missing key {self.prefix}{key}")
        return self.data[key]

    def text(self, key: str) -> str:
        value = self.value(key)
        if not isinstance(value, str) or not value.strip():
            raise DemoContentError(f"{self.path}: {self.prefix}{key} must be a non-empty string")
        return value

    def items(self, key: str) -> list[Any]:
        value = self.value(key)
        if not isinstance(value, list) or not value:
            raise DemoContentError(f"{self.path}: {self.prefix}{key} must be a non-empty list")
        return value

    def one_of(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.value(key)
        if value not in choices:
            raise DemoContentError(f"{self.path}: {self.prefix}{key} is {value!r}; choose from {choices}")
        return value
