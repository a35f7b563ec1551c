"""Fold items into stories after each crawl. The I/O edge of `dedupe`: reads items, writes stories.

Exact copies (same normalised text) join at once; near-duplicates are found with the
MinHash/LSH index over the signatures of items published within the story window.
Signatures are stored, so each item is hashed once in its life.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlite_utils

from aggregator.db import parse_iso, utcnow, writing
from aggregator.dedupe import NearDuplicateIndex, from_bytes, shingles, signature, to_bytes
from aggregator.entities import names, numbers, same_story_across_languages
from aggregator.storage.items import list_unclustered_items
from aggregator.storage.stories import attach_item, create_story, find_story_by_hash


@dataclass
class ClusterReport:
    items: int = 0  # items placed
    new_stories: int = 0
    folded: int = 0  # items that joined an existing story (exact or near duplicates)
    near_duplicates: int = 0  # of those, joined by similarity rather than identical text
    across_languages: int = 0  # of those, joined as the same story told in another language


def _item_text(item: dict) -> str:
    return f"{item['title']}\n{item.get('text') or ''}"


def _load_index(db: sqlite_utils.Database, since: str, threshold: float, containment: float) -> NearDuplicateIndex:
    index = NearDuplicateIndex(threshold, containment)
    for row in db.query(
            "SELECT s.item_id, s.minhash, s.shingles FROM item_signatures s JOIN items i ON i.id = s.item_id "
            "WHERE coalesce(i.published_at, i.fetched_at) >= ? AND i.story_id IS NOT NULL", [since]):
        index.add(str(row["item_id"]), from_bytes(row["minhash"]), row["shingles"])
    return index


def cluster_new_items(db: sqlite_utils.Database, threshold: float = 0.5, containment: float = 0.7,
                      window_days: int = 10) -> ClusterReport:
    """Place every item that has no story yet: duplicates join their story, others open one."""
    report = ClusterReport()
    pending = list_unclustered_items(db)
    if not pending:
        return report
    dates = [parse_iso(i["published_at"] or i["fetched_at"]) for i in pending]
    since = (min(dates) - timedelta(days=window_days)).isoformat()
    index = _load_index(db, since, threshold, containment)
    window = timedelta(days=window_days)
    recent = [{"story_id": row["story_id"], "language": row["language"], "when": parse_iso(row["moment"]),
               "names": names(_item_text(row)), "numbers": numbers(_item_text(row))}
              for row in db.query("SELECT story_id, language, title, text, coalesce(published_at, fetched_at) AS moment "
                                  "FROM items WHERE story_id IS NOT NULL AND coalesce(published_at, fetched_at) >= ?",
                                  [since])]
    with writing(db):
        for item, when in sorted(zip(pending, dates), key=lambda pair: (pair[1], pair[0]["id"])):
            report.items += 1
            text = _item_text(item)
            minhash, size = signature(text), len(shingles(text))
            db["item_signatures"].upsert({"item_id": item["id"], "minhash": to_bytes(minhash), "shingles": size},
                                         pk="item_id")
            story_id = find_story_by_hash(db, item["content_hash"], item["id"])
            if story_id is None:
                for match in index.match(minhash, size):
                    other = db.execute("SELECT story_id, coalesce(published_at, fetched_at) FROM items WHERE id = ?",
                                       [int(match.key)]).fetchone()
                    if other and other[0] and abs(parse_iso(other[1]) - when) <= window:
                        story_id = other[0]
                        report.near_duplicates += 1
                        break
            item_names, item_numbers = names(text), numbers(text)
            if story_id is None:
                for other in recent:
                    if other["language"] != item["language"] and abs(other["when"] - when) <= window and \
                            same_story_across_languages(item_names, item_numbers, other["names"], other["numbers"]):
                        story_id = other["story_id"]
                        report.across_languages += 1
                        break
            if story_id:
                attach_item(db, item["id"], story_id)
                report.folded += 1
            else:
                create_story(db, item)
                report.new_stories += 1
            index.add(str(item["id"]), minhash, size)
            recent.append({"story_id": story_id or db.execute("SELECT story_id FROM items WHERE id = ?",
                                                              [item["id"]]).fetchone()[0],
                           "language": item["language"], "when": when, "names": item_names, "numbers": item_numbers})
    return report
