"""The editors' inbox: a week's stories (or a search across all weeks), each with its items and why it is tagged.

A page of stories is read in five queries whatever its size (stories, their items, the items'
tag evidence, the edition's entries and the translations for them), never one per story; the
stories come through an index on their time, a search through the full-text index's newest
matches (tests/aggregator/test_story_desk.py checks both plans). What people type into the search box goes through
`aggregator.search.fts_query`, so `hunger-strike`, `"x` or `AND` search for what they say.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from aggregator.exceptions import InvalidInput
from aggregator.search import fts_query
from aggregator.storage.desk import (
    STATUSES,
    InboxQuery,
    list_entries_of_stories,
    list_evidence_of_items,
    list_inbox_stories,
    list_items_of_stories,
    list_translation_languages,
)

PER_PAGE = 50
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_TAG = re.compile(r"^[a-z0-9-]{1,60}$")


@dataclass
class InboxFilters:
    """What the editor asked for; every field as typed (the web reads them from GET parameters)."""

    language: str | None = None
    partner_id: int | None = None
    country: str | None = None  # a country tag id, such as country-tr
    theme: str | None = None  # a theme tag id, such as hunger-strike
    status: str | None = None  # new, selected, pinned, rejected, all; None: all but rejected
    search: str | None = None
    page: int = 1

    def check(self) -> InboxFilters:
        """Refuse values that cannot be filters, naming the value (a link may have been edited by hand)."""
        if self.language and not _LANGUAGE.match(self.language):
            raise InvalidInput(f"language: expected a code such as tr, got {self.language!r}")
        for name in ("country", "theme"):
            value = getattr(self, name)
            if value and not _TAG.match(value):
                raise InvalidInput(f"{name}: expected a tag id such as hunger-strike, got {value!r}")
        if self.status and self.status not in STATUSES:
            raise InvalidInput(f"status: expected one of {', '.join(STATUSES)}, got {self.status!r}")
        if self.page < 1:
            raise InvalidInput(f"page: expected 1 or more, got {self.page}")
        return self


@dataclass
class InboxItem:
    id: int
    title: str
    url: str
    language: str | None
    partner: str
    published: str | None
    tags: list[str]
    evidence: dict[str, list[str]]  # tag -> the words that made it apply

    @property
    def web_link(self) -> bool:
        """Whether its URL can be a link on a page (http or https, never `javascript:` or the like)."""
        return self.url.startswith(("https://", "http://"))


@dataclass
class InboxStory:
    id: int
    headline: str  # the editor's headline, else the face item's title
    language: str | None
    status: str  # new, selected, pinned or rejected
    face: InboxItem
    items: list[InboxItem]  # the face first, then the other reports, oldest first
    also_reported_by: list[str]  # other partners that reported it
    tags: list[str]
    translations: list[str] = field(default_factory=list)  # languages with a translated headline
    section: str | None = None  # its section in the edition, when selected
    evidence: dict[str, list[str]] = field(default_factory=dict)  # tag -> the words, across its items, that made it


#: Words of evidence shown per tag of a story (its items' words, each once).
EVIDENCE_WORDS = 5


def story_evidence(items: list[InboxItem]) -> dict[str, list[str]]:
    """Each tag of the story with the words that made it apply, gathered across its items, each once."""
    found: dict[str, list[str]] = {}
    seen: dict[str, set[str]] = {}  # tag -> its kept words, casefolded
    for item in items:
        for tag, words in item.evidence.items():
            kept = found.setdefault(tag, [])
            folded = seen.setdefault(tag, set())
            for word in words:
                if len(kept) >= EVIDENCE_WORDS:
                    break
                if word.casefold() not in folded:
                    folded.add(word.casefold())
                    kept.append(word)
    return dict(sorted(found.items()))


@dataclass
class InboxPage:
    stories: list[InboxStory]
    page: int
    has_next: bool
    searched: bool  # a search across all weeks rather than the week


def load_inbox(
    db: sqlite_utils.Database,
    filters: InboxFilters,
    since: datetime | None,
    until: datetime | None,
    edition_id: int | None,
    per_page: int = PER_PAGE,
) -> InboxPage:
    """One page of the inbox: the week [since, until) unless the filters search, newest first."""
    filters.check()
    search = None
    if filters.search and filters.search.strip():
        search = fts_query(filters.search)
        if search is None:  # only punctuation typed: nothing matches, rather than everything
            return InboxPage([], filters.page, False, True)
    query = InboxQuery(
        since=since,
        until=until,
        edition_id=edition_id,
        language=filters.language or None,
        partner_id=filters.partner_id,
        tags=tuple(tag for tag in (filters.country, filters.theme) if tag),
        status=None if filters.status in (None, "") else filters.status,
        search=search,
        limit=per_page,
        offset=(filters.page - 1) * per_page,
    )
    rows = list_inbox_stories(db, query)
    has_next, rows = len(rows) > per_page, rows[:per_page]
    story_ids = [row["id"] for row in rows]
    items = list_items_of_stories(db, story_ids)
    evidence: dict[int, dict[str, list[str]]] = {}
    for row in list_evidence_of_items(db, [item["id"] for item in items]):
        evidence.setdefault(row["item_id"], {})[row["tag"]] = row["words"]
    entries = list_entries_of_stories(db, edition_id, story_ids) if edition_id else {}
    translations = list_translation_languages(db, story_ids)
    by_story: dict[int, list[InboxItem]] = {}
    tag_lists: dict[str, list[str]] = {}  # each distinct JSON text parsed once: reports share their tags
    for item in items:
        tags = item["tags"] or "[]"
        if tags not in tag_lists:
            tag_lists[tags] = json.loads(tags)
        by_story.setdefault(item["story_id"], []).append(
            InboxItem(
                id=item["id"],
                title=item["title"],
                url=item["url"],
                language=item["language"],
                partner=item["partner_name"] or item["source_name"],
                published=item["published_at"] or item["fetched_at"],
                tags=list(tag_lists[tags]),
                evidence=evidence.get(item["id"], {}),
            )
        )
    stories = []
    for row in rows:
        members = by_story.get(row["id"], [])
        if not members:
            continue
        face = next((i for i in members if i.id == row["representative_item_id"]), members[0])
        entry = entries.get(row["id"])
        status = (
            "rejected"
            if row["rejected_at"]
            else "pinned"
            if entry and entry["pinned"]
            else "selected"
            if entry
            else "new"
        )
        stories.append(
            InboxStory(
                id=row["id"],
                headline=row["headline"] or face.title,
                language=row["language"],
                status=status,
                face=face,
                items=[face, *[i for i in members if i is not face]],
                also_reported_by=sorted({i.partner for i in members if i.partner != face.partner}),
                tags=sorted({tag for i in members for tag in i.tags}),
                translations=translations.get(row["id"], []),
                section=entry["section"] if entry else None,
                evidence=story_evidence(members),
            )
        )
    return InboxPage(stories, filters.page, has_next, search is not None)
