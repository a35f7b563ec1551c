"""Try a source's new feed URL or site recipe before storing it, the way the crawler will read it.

For the desk's sources page. Every fetch goes through the crawler's network guard
(`crawlers.feeds.discover.fetch`: each hop resolved once and checked by `crawlers/netguard.py`)
under one deadline, so an editor's URL cannot reach the server's own network or hold a
worker for long. A recipe's articles are read by the `sites` spider's own `parse_article`
(on a response built from the guarded fetch), so what the trial shows is what a crawl stores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urljoin

from aggregator.config import Config
from aggregator.exceptions import InvalidInput
from aggregator.urls import is_http_url
from crawlers.feeds.discover import Deadline, DiscoveryTimeout, FetchFailed, discover, fetch
from crawlers.netguard import BlockedAddress

DEADLINE = 20.0  # seconds for a whole trial, every page included
ARTICLES = 3  # articles a trial reads
LINKS_SHOWN = 20
PAGE_LIMIT = 2 * 1024 * 1024
EXCERPT = 300


def _user_agent(config: Config) -> str:
    return f"SolidarityWire/0.1 (+{config.contact_url})"


def _fetch(url: str, config: Config, deadline: Deadline):
    return fetch(
        url,
        user_agent=_user_agent(config),
        allow_private=config.allow_private_networks,
        allowed_hosts=config.allowed_hosts,
        limit=PAGE_LIMIT,
        deadline=deadline,
    )


def check_feed_url(url: str, config: Config, deadline: float = DEADLINE) -> str:
    """The feed URL to store for `url` (after redirects, or the feed the page links to), as `wire sources add` finds it.

    Raises InvalidInput with a one-line reason: not http(s), refused by the guard, no answer, no feed.
    """
    url = (url or "").strip()
    if not is_http_url(url):
        raise InvalidInput(f"not an http(s) URL: {url!r}")
    try:
        found = discover(
            url,
            deadline=deadline,
            user_agent=_user_agent(config),
            allow_private=config.allow_private_networks,
            allowed_hosts=config.allowed_hosts,
        )
    except (BlockedAddress, OSError) as error:  # DiscoveryTimeout and FetchFailed are OSErrors
        raise InvalidInput(f"cannot use {url}: {error}") from None
    if found.kind != "feed":
        raise InvalidInput(f"no feed found at {url} (nor linked from it)")
    return found.url


@dataclass
class TrialArticle:
    url: str
    title: str = ""
    published: str | None = None
    language: str | None = None
    excerpt: str = ""
    problem: str | None = None


@dataclass
class RecipeTrial:
    """What a recipe finds right now: the list page read, the article links, the first articles read."""

    list_url: str
    links: list[str] = field(default_factory=list)
    articles: list[TrialArticle] = field(default_factory=list)
    problem: str | None = None

    @property
    def link_count(self) -> int:
        return len(self.links)


def _as_response(url: str, final: str, headers: dict, body: bytes, meta: dict | None = None):
    """A Scrapy response for bytes fetched through the guard, so the spider's own code can read them."""
    from scrapy import Request
    from scrapy.http import HtmlResponse

    return HtmlResponse(url=final, body=body, headers=headers, request=Request(url, meta=meta or {}))


def _text(html: str | None) -> str:
    """Plain text of an HTML fragment (shown as text on the page, never as HTML)."""
    if not html:
        return ""
    import lxml.html

    try:
        return " ".join(lxml.html.fromstring(html).text_content().split())
    except Exception:  # noqa: BLE001 - an unparseable fragment shows nothing rather than failing the trial
        return ""


def try_recipe(source: dict, recipe: dict, config: Config, deadline: float = DEADLINE) -> RecipeTrial:
    """Read the first list page of `recipe` and its first articles now; problems are reported, never raised."""
    from crawlers.spiders.sites import SitesSpider, find_article_links

    budget = Deadline(deadline)
    list_url = (recipe.get("list_urls") or [source["url"]])[0]
    trial = RecipeTrial(list_url=list_url)
    try:
        status, headers, body, final = _fetch(list_url, config, budget)
    except (BlockedAddress, DiscoveryTimeout, FetchFailed, OSError) as error:
        trial.problem = str(error)
        return trial
    if status >= 400:
        trial.problem = f"{list_url} answered HTTP {status}"
        return trial
    page = _as_response(list_url, final, headers, body)
    if recipe.get("link_selector"):
        hrefs = page.css(recipe["link_selector"] + "::attr(href)").getall()
        links = list(dict.fromkeys(urljoin(page.url, href) for href in hrefs))
    else:
        links = find_article_links(page, source["url"])
    trial.links = links[:LINKS_SHOWN]
    spider = SitesSpider()
    meta = {"source": {**source, "recipe": json.dumps(recipe)}, "recipe": recipe}
    for link in links[:ARTICLES]:
        article = TrialArticle(url=link)
        trial.articles.append(article)
        try:
            status, headers, body, final = _fetch(link, config, budget)
        except (BlockedAddress, DiscoveryTimeout, FetchFailed, OSError) as error:
            article.problem = str(error)
            if isinstance(error, DiscoveryTimeout):
                break
            continue
        if status >= 400:
            article.problem = f"HTTP {status}"
            continue
        items = list(spider.parse_article(_as_response(link, final, headers, body, meta)))
        if not items:
            article.problem = "no article text found on this page"
            continue
        item = items[0]
        article.title = item.title or ""
        article.published = item.published.isoformat() if item.published else None
        article.language = item.language
        article.excerpt = _text(item.content_html)[:EXCERPT]
    return trial
