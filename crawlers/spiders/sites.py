"""The `sites` spider: partners with no feed, crawled from their news list pages.

A source may carry a recipe (JSON in `sources.recipe`):
    {"list_urls": ["https://partner.example/news/"], "link_selector": "article h2 a",
     "title_selector": "h1", "date_selector": "time::attr(datetime)", "body_selector": "article",
     "next_selector": "a[rel=next]::attr(href)", "max_pages": 3}
With no recipe, article links are found on the list page (and in sitemap.xml) by shape.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import scrapy

from aggregator.polling import FetchOutcome
from aggregator.urls import canonical_url, same_site
from crawlers.byline import strip_byline
from crawlers.errors import describe_failure, describe_status
from crawlers.extract import extract_article
from crawlers.items import FeedItem
from crawlers.spiders.base import HANDLED_STATUSES, SourceSpider

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 3
#: Failed pages named in a source's health line; the rest are counted.
NAMED_FAILURES = 3
_NOT_ARTICLES = re.compile(
    r"/(tag|tags|category|categories|author|page|search|feed|login|wp-admin|about|contact|"
    r"impressum|privacy|donate|subscribe|join|support-us)(\.html?)?(/|$)|\.(jpg|jpeg|png|gif|pdf|zip|xml|rss)$",
    re.IGNORECASE,
)
_NEXT_TEXT = re.compile(r"^\s*(next|older|weiter|suivant|siguiente|sonraki|بعدی|»|›|→)", re.IGNORECASE)


def find_article_links(response, list_url: str) -> list[str]:
    """Links on a list page that look like articles: same site, deeper than the list, not navigation."""
    list_path = urlsplit(list_url).path.rstrip("/")
    links = []
    for anchor in response.css("main a[href], article a[href], section a[href], ul a[href], div a[href]"):
        if anchor.xpath("ancestor::nav|ancestor::header|ancestor::footer|ancestor::aside"):
            continue
        href = urljoin(response.url, anchor.attrib["href"])
        parts = urlsplit(href)
        if not same_site(href, list_url) or parts.query or _NOT_ARTICLES.search(parts.path):
            continue
        path = parts.path.rstrip("/")
        if path == list_path or not path or path.count("/") < 1:
            continue
        if list_path and not path.startswith(list_path + "/") and not path.endswith((".html", ".htm")):
            continue
        if href not in links:
            links.append(href)
    return drop_section_indexes(links)


def drop_section_indexes(links: list[str]) -> list[str]:
    """A link whose path is a folder of other links is a section index ("/news/"), not an article."""
    paths = [urlsplit(link).path.rstrip("/") for link in links]
    return [
        link
        for link, path in zip(links, paths, strict=True)
        if path and not any(other != path and other.startswith(path + "/") for other in paths)
    ]


def find_next_page(response) -> str | None:
    href = response.css("a[rel~=next]::attr(href), link[rel~=next]::attr(href)").get()
    if not href:
        for anchor in response.css("a[href]"):
            if _NEXT_TEXT.match(" ".join(anchor.css("::text").getall())):
                href = anchor.attrib["href"]
                break
    return urljoin(response.url, href) if href else None


class SitesSpider(SourceSpider):
    name = "sites"
    source_kind = "site"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.page_failures: dict[int, list[str]] = {}  # source id -> "url (why)" of pages not fetched

    async def start(self):
        for request in self.start_requests():
            yield request

    def start_requests(self):
        for source in self.due_sources():
            recipe = json.loads(source["recipe"]) if source.get("recipe") else {}
            for url in recipe.get("list_urls") or [source["url"]]:
                yield self.source_request(source, url, self.parse_list, recipe=recipe, page=1)
            if not recipe:
                sitemap = urljoin(source["url"], "/sitemap.xml")
                yield scrapy.Request(
                    sitemap,
                    callback=self.parse_sitemap,
                    dont_filter=True,
                    errback=self.on_sitemap_error,
                    meta={"source": source, "source_id": source["id"], "handle_httpstatus_list": HANDLED_STATUSES},
                )

    def parse_list(self, response):
        source, recipe, page = response.meta["source"], response.meta["recipe"], response.meta["page"]
        if response.status >= 400:
            if page == 1:
                self.record(source, self.http_failure_outcome(response))
            else:
                self.page_failed(source, response.url, *describe_status(response.status), list_page=True)
            return
        if recipe.get("link_selector"):
            links = [
                urljoin(response.url, href) for href in response.css(recipe["link_selector"] + "::attr(href)").getall()
            ]
        else:
            links = find_article_links(response, source["url"])
        fresh = [link for link in links if not self.is_known(source["id"], link, None)]
        if page == 1:
            self.record(
                source,
                FetchOutcome(
                    status=response.status,
                    ok=True,
                    new_items=len(fresh),
                    new_url=self.permanent_redirect_target(response),
                ),
            )
        for link in fresh:
            yield self.article_request(link, source, recipe)
        max_pages = int(recipe.get("max_pages") or DEFAULT_MAX_PAGES)
        if fresh and page < max_pages:
            next_url = (
                urljoin(response.url, response.css(recipe["next_selector"]).get() or "")
                if recipe.get("next_selector")
                else find_next_page(response)
            )
            if next_url and next_url != response.url:
                yield response.follow(
                    next_url,
                    callback=self.parse_list,
                    errback=self.on_page_error,
                    dont_filter=True,
                    meta={**response.meta, "page": page + 1, "is_source_request": False},
                )

    def parse_sitemap(self, response):
        if response.status >= 400:
            return
        source = response.meta["source"]
        response.selector.remove_namespaces()
        links = drop_section_indexes([link.strip() for link in response.xpath("//url/loc/text()").getall()])
        for link in links[: self.config.max_items_per_feed]:
            if (
                same_site(link, source["url"])
                and not _NOT_ARTICLES.search(urlsplit(link).path)
                and canonical_url(link) != canonical_url(source["url"])
                and not self.is_known(source["id"], link, None)
            ):
                yield self.article_request(link, source, {})

    def article_request(self, url, source, recipe):
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.on_page_error,
            meta={
                "source": source,
                "source_id": source["id"],
                "recipe": recipe,
                "handle_httpstatus_list": HANDLED_STATUSES,
            },
        )

    def on_page_error(self, failure):
        """Errback of article pages and later list pages: a failed page is a line in its source's health."""
        request = failure.request
        error, hint = describe_failure(failure)
        if "robots.txt" in str(failure.value).lower():
            error, hint = "robots.txt forbids fetching it", "ask the partner to allow our User-Agent"
        self.page_failed(request.meta["source"], request.url, error, hint, list_page="page" in request.meta)

    def on_sitemap_error(self, failure):
        """Errback of /sitemap.xml, which most sites lack: the list page is what counts."""
        logger.info(
            "source %s: no sitemap at %s (%s)",
            failure.request.meta["source_id"],
            failure.request.url,
            describe_failure(failure)[0],
        )

    def page_failed(self, source, url, error, hint, list_page=False) -> None:
        """Note a page that could not be fetched on the source, as one line naming the first few.

        The source itself was read (its list page answered), so this is not a failed fetch:
        the source keeps its schedule and its success; the line tells the editor which pages
        are missing and why.
        """
        failures = self.page_failures.setdefault(source["id"], [])
        failures.append(f"{url} ({'list page: ' if list_page else ''}{' '.join(error.split())})")
        named = "; ".join(failures[:NAMED_FAILURES])
        more = f"; and {len(failures) - NAMED_FAILURES} more" if len(failures) > NAMED_FAILURES else ""
        pages = "article page could not" if len(failures) == 1 else "article pages could not"
        self.update_source(
            source["id"], last_error=f"{len(failures)} {pages} be fetched: {named}{more}", last_error_hint=hint
        )
        self.crawler.stats.inc_value("wire/pages_failed")
        logger.warning("source %s: %s could not be fetched: %s", source["id"], url, error)

    def parse_article(self, response):
        source, recipe = response.meta["source"], response.meta["recipe"]
        if response.status >= 400:
            self.page_failed(source, response.url, *describe_status(response.status))
            return
        if not hasattr(response, "text"):
            return  # not a text page (an image, a PDF): nothing to read
        article = extract_article(response.text, response.url)
        title = response.css(recipe["title_selector"] + " ::text").get() if recipe.get("title_selector") else None
        body = response.css(recipe["body_selector"]).get() if recipe.get("body_selector") else None
        published = article.published
        if recipe.get("date_selector"):
            raw = response.css(recipe["date_selector"]).get()
            try:
                published = datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else published
                if published and published.tzinfo is None:
                    published = published.replace(tzinfo=UTC)
            except ValueError:
                pass
        if not (body or article.content_html):
            return  # a page with no article text (an index, a form) is not news
        title = title or article.title or ""
        content_html = strip_byline(body or article.content_html, article.author, title)
        yield FeedItem(
            source_id=source["id"],
            url=response.url,
            title=title,
            author=article.author,
            content_html=content_html,
            language=article.language or source.get("language"),
            published=published,
            image_url=article.image_url,
            canonical_url=article.canonical_url,
            full_text_fetched=True,
        )
