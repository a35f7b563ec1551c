"""JSON Feed 1.0 and 1.1 (jsonfeed.org) to entries. Pure.

Written here because feedparser 6.0, the current release, does not read JSON Feed
(support exists only on its unreleased development branch); the format is plain JSON
with a handful of fields, so the mapping is short and needs no parser of its own.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from crawlers.items import FeedItem


class NotJSONFeed(ValueError):
    """The JSON is not a JSON Feed."""


def _when(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _author(entry: dict, feed: dict) -> str | None:
    authors = (
        entry.get("authors")
        or ([entry["author"]] if isinstance(entry.get("author"), dict) else [])
        or feed.get("authors")
        or ([feed["author"]] if isinstance(feed.get("author"), dict) else [])
    )
    names = [name for a in authors if isinstance(a, dict) and (name := a.get("name"))]
    return ", ".join(names) or None


def parse_json_feed(body: bytes, source_id: int, limit: int | None = None) -> tuple[dict, list[FeedItem], str]:
    """Return (feed facts, entries, version 'json10'|'json11'); raise NotJSONFeed otherwise."""
    try:
        feed = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotJSONFeed(f"not valid JSON ({error})") from None
    version_url = feed.get("version", "") if isinstance(feed, dict) else ""
    if "jsonfeed.org/version/" not in version_url:
        raise NotJSONFeed("JSON without a jsonfeed.org version")
    version = "json11" if version_url.rstrip("/").endswith("1.1") else "json10"
    entries = []
    for entry in (feed.get("items") or [])[:limit]:
        if not isinstance(entry, dict):
            continue
        entries.append(
            FeedItem(
                source_id=source_id,
                url=entry.get("url") or entry.get("external_url") or str(entry.get("id") or ""),
                title=entry.get("title") or "",
                guid=str(entry["id"]) if entry.get("id") is not None else None,
                author=_author(entry, feed),
                summary=entry.get("summary"),
                content_html=entry.get("content_html")
                or (entry.get("content_text") and "".join(f"<p>{p}</p>" for p in _paragraphs(entry["content_text"]))),
                language=entry.get("language") or feed.get("language"),
                published=_when(entry.get("date_published")) or _when(entry.get("date_modified")),
                updated=_when(entry.get("date_modified")),
                image_url=entry.get("image") or entry.get("banner_image"),
            )
        )
    facts = {
        "title": feed.get("title") or "",
        "link": feed.get("home_page_url"),
        "language": feed.get("language"),
        "count": len(feed.get("items") or []),
    }
    return facts, entries, version


def _paragraphs(text: str) -> list[str]:
    import html

    return [html.escape(part.strip()) for part in text.split("\n\n") if part.strip()]
