"""The update policy: what a new sighting of a stored entry may change, field by field. Pure.

Partners' feeds are re-read every few hours and most answer 200 with the same bytes, or
the same entries in a new order, or the excerpt of an article whose full text we fetched
from its page. A sighting must never lose what we hold: the policy below is the one
place that says, for each column, which value wins.

| field                               | rule                                                      |
|-------------------------------------|-----------------------------------------------------------|
| source_id, guid, entry_key          | identity: never changed                                   |
| title                               | the partner's latest non-empty title                      |
| content_html, text, summary,        | the new body, unless it is an excerpt and we hold a fuller |
| language, language_source,          | text (a page or the feed's full content) or a longer one:  |
| text_origin                         | an excerpt never replaces a longer or full text            |
| published_at, published_note        | first seen wins; filled in when we had none               |
| url, canonical_url, author,         | latest value when the sighting has one                    |
| image_url, feed_hash                |                                                           |

A change of title or body keeps the old version as a revision and marks the item to be
clustered, tagged and indexed again. Anything else is a quiet refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aggregator.text import content_hash

#: How full a text is, by where it came from; a sighting never moves an item down this scale.
TEXT_ORIGIN_RANK = {"excerpt": 0, "feed": 1, "page": 2}

IDENTITY = ("source_id", "guid", "entry_key")
BODY = ("content_html", "text", "summary", "language", "language_source", "text_origin")
FIRST_SEEN = ("published_at", "published_note")
LATEST_WHEN_GIVEN = ("url", "canonical_url", "author", "image_url", "feed_hash")


@dataclass
class Update:
    changes: dict = field(default_factory=dict)  # columns to write (empty: nothing to write)
    changed: bool = False  # title or body changed: keep a revision, process the item again


def _rank(origin: str | None) -> int:
    return TEXT_ORIGIN_RANK.get(origin or "feed", 1)


def keeps_stored_body(stored: dict, fresh: dict) -> bool:
    """True when the fresh body would lose text: an excerpt, or a lesser origin, shorter than what we hold."""
    stored_text, fresh_text = stored.get("text") or "", fresh.get("text") or ""
    if not fresh_text:
        return True
    if len(fresh_text) >= len(stored_text):
        return False
    return _rank(fresh.get("text_origin")) < _rank(stored.get("text_origin")) or fresh.get("text_origin") == "excerpt"


def plan_update(stored: dict, fresh: dict) -> Update:
    """Decide what the sighting `fresh` changes on the stored item `stored` (both item records)."""
    changes: dict = {}
    title = fresh.get("title") or stored["title"]
    if title != stored["title"]:
        changes["title"] = title
    if not keeps_stored_body(stored, fresh):
        for key in BODY:
            if fresh.get(key) != stored.get(key):
                changes[key] = fresh.get(key)
    if not stored.get("published_at") and fresh.get("published_at"):
        changes.update({key: fresh.get(key) for key in FIRST_SEEN})
    for key in LATEST_WHEN_GIVEN:
        if fresh.get(key) is not None and fresh.get(key) != stored.get(key):
            changes[key] = fresh[key]
    changed = "title" in changes or "text" in changes
    if changed:
        changes["content_hash"] = content_hash(title, changes.get("text", stored.get("text") or ""))
    return Update(changes=changes, changed=changed)
