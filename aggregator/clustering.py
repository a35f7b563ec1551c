"""Fold items into stories after each crawl, and rebuild them on demand. The I/O edge of `dedupe`.

An item joins a story when it is an exact copy (same normalised text), a near-duplicate
(MinHash/LSH over stored signatures, within the story window), or the same story told
in another language (shared names and numbers, `aggregator.entities`). Editors' decisions
are pins (`aggregator.storage.pins`) and always win: a pinned item joins only the story
of its pin, and no item ever joins two pins' stories together. Signatures are stored,
so each item is hashed once; story ids are kept across a rebuild where the story stays.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import sqlite_utils

from aggregator.db import parse_iso, writing
from aggregator.dedupe import NearDuplicateIndex, from_bytes, shingles, signature, to_bytes
from aggregator.entities import COMMON_NAME_SHARE, Fingerprint, fingerprint, same_story_across_languages
from aggregator.storage.items import list_unclustered_items
from aggregator.storage.pins import pins_by_item
from aggregator.storage.stories import attach_item, create_story, refresh_story


@dataclass
class ClusterReport:
    items: int = 0  # items placed
    new_stories: int = 0
    folded: int = 0  # items that joined an existing story
    exact: int = 0  # of those: identical text
    near_duplicates: int = 0  # of those: a repost with edits
    across_languages: int = 0  # of those: the same story told in another language
    item_ids: list[int] = field(default_factory=list)  # the items placed, for tagging and indexing next


def _item_text(item: dict) -> str:
    return f"{item['title']}\n{item.get('text') or ''}"


class _Window:
    """The stories of recent items: what a new item may join, with indexes so a batch stays cheap.

    Near-duplicates come from the LSH index; cross-language candidates from inverted
    indexes of names and of skeletons, so a new item is compared only with the items that
    share a name with it, not with the whole window.
    """

    def __init__(self, db, since: str, threshold: float, containment: float):
        self.index = NearDuplicateIndex(threshold, containment)
        self.story_of: dict[int, int] = {}
        self.facts: dict[int, dict] = {}
        self.by_hash: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.by_latin_skeleton: dict[str, list[int]] = defaultdict(list)
        self.by_rtl_skeleton: dict[str, list[int]] = defaultdict(list)
        self.name_counts: Counter = Counter()
        for row in db.query(
                "SELECT i.id, i.story_id, i.language, i.title, i.text, i.content_hash, "
                "coalesce(i.published_at, i.fetched_at) AS moment, s.minhash, s.shingles FROM items i "
                "LEFT JOIN item_signatures s ON s.item_id = i.id "
                "WHERE i.story_id IS NOT NULL AND coalesce(i.published_at, i.fetched_at) >= ? ORDER BY i.id", [since]):
            minhash = from_bytes(row["minhash"]) if row["minhash"] else signature(_item_text(row))
            size = row["shingles"] if row["shingles"] is not None else len(shingles(_item_text(row)))
            self.add(row, row["story_id"], parse_iso(row["moment"]), minhash, size)

    def add(self, item: dict, story_id: int, when, minhash, size: int, print_: Fingerprint | None = None) -> None:
        self.index.add(str(item["id"]), minhash, size)
        self.story_of[item["id"]] = story_id
        self.by_hash.setdefault(item["content_hash"], item["id"])
        print_ = print_ or fingerprint(_item_text(item), item["language"])
        self.facts[item["id"]] = {"id": item["id"], "language": item["language"], "when": when, "print": print_}
        for name in print_.names:
            self.by_name[name].append(item["id"])
        self.name_counts.update(print_.names)
        target = self.by_rtl_skeleton if print_.rtl else self.by_latin_skeleton
        for key in print_.skeletons:
            target[key].append(item["id"])

    def common(self) -> set[str]:
        """Names too frequent in the window to tell stories apart (see `entities.common_names`)."""
        limit = max(3, COMMON_NAME_SHARE * len(self.facts))
        return {name for name, count in self.name_counts.items() if count > limit}

    def _cross_language_candidates(self, mine: Fingerprint, common: set[str]) -> list[int]:
        found: set[int] = set()
        for name in mine.names - common:
            found.update(self.by_name.get(name, ()))
        if mine.rtl:
            for key in mine.skeletons:
                found.update(self.by_latin_skeleton.get(key, ()))
        else:
            for key in mine.skeletons:
                found.update(self.by_rtl_skeleton.get(key, ()))
        return sorted(found)

    def candidate(self, item: dict, when, minhash, size: int, window: timedelta,
                  mine: Fingerprint) -> tuple[int | None, str]:
        same = self.by_hash.get(item["content_hash"])
        if same is not None:
            return self.story_of[same], "exact"
        for match in self.index.match(minhash, size):
            other = self.facts[int(match.key)]
            if abs(other["when"] - when) <= window:
                return self.story_of[other["id"]], "near"
        common = self.common()
        for other_id in self._cross_language_candidates(mine, common):
            other = self.facts[other_id]
            if other["language"] != item["language"] and abs(other["when"] - when) <= window \
                    and same_story_across_languages(mine, other["print"], common):
                return self.story_of[other_id], "language"
        return None, ""


def cluster_new_items(db: sqlite_utils.Database, threshold: float = 0.5, containment: float = 0.7,
                      window_days: int = 10, reuse: dict[int, int] | None = None) -> ClusterReport:
    """Place every item that has no story yet; `reuse` maps item id -> a story id to keep (rebuilds)."""
    report = ClusterReport()
    pending = list_unclustered_items(db)
    if not pending:
        return report
    reuse = reuse or {}
    window = timedelta(days=window_days)
    moments = {item["id"]: parse_iso(item["published_at"] or item["fetched_at"]) for item in pending}
    since = (min(moments.values()) - window).isoformat()
    pins = pins_by_item(db)
    pin_story = {pins[row["id"]]: row["story_id"] for row in db.query(
        "SELECT id, story_id FROM items WHERE story_id IS NOT NULL AND id IN (SELECT item_id FROM story_pins)")}
    owner = {story: pin for pin, story in pin_story.items()}
    used: set[int] = set(pin_story.values())
    with writing(db):
        recent = _Window(db, since, threshold, containment)
        used |= set(recent.story_of.values())
        for item in sorted(pending, key=lambda i: (moments[i["id"]], i["id"])):
            report.items += 1
            report.item_ids.append(item["id"])
            when = moments[item["id"]]
            text = _item_text(item)
            minhash, size = signature(text), len(shingles(text))
            db["item_signatures"].upsert({"item_id": item["id"], "minhash": to_bytes(minhash), "shingles": size},
                                         pk="item_id")
            mine = fingerprint(text, item["language"])
            pin = pins.get(item["id"])
            if pin is not None:
                story_id, how = pin_story.get(pin), "pinned"
            else:
                story_id, how = recent.candidate(item, when, minhash, size, window, mine)
            if story_id is None:
                old = reuse.get(item["id"])
                if old is not None and old not in used and db["stories"].count_where("id = ?", [old]):
                    story_id = old
                    attach_item(db, item["id"], story_id)
                else:
                    story_id = create_story(db, item)
                used.add(story_id)
                report.new_stories += 1
            else:
                attach_item(db, item["id"], story_id)
                report.folded += 1
                report.exact += how == "exact"
                report.near_duplicates += how == "near"
                report.across_languages += how == "language"
            if pin is not None:
                pin_story.setdefault(pin, story_id)
                owner.setdefault(story_id, pin)
            recent.add(item, story_id, when, minhash, size, mine)
    return report


def rebuild_stories(db: sqlite_utils.Database, threshold: float = 0.5, containment: float = 0.7,
                    window_days: int = 10) -> ClusterReport:
    """Cluster every item again from scratch, obeying editors' pins; unchanged stories keep their ids."""
    with writing(db):
        reuse = {row["id"]: row["story_id"] for row in db.query("SELECT id, story_id FROM items WHERE story_id IS NOT NULL")}
        db.execute("UPDATE items SET story_id = NULL")
        report = cluster_new_items(db, threshold, containment, window_days, reuse=reuse)
        for row in db.query("SELECT id FROM stories WHERE id NOT IN (SELECT story_id FROM items WHERE story_id IS NOT NULL)"):
            refresh_story(db, row["id"])  # deletes the emptied ones
        for story_id in {row["story_id"] for row in db.query("SELECT DISTINCT story_id FROM items")}:
            refresh_story(db, story_id)
    return report


def apply_pins(db: sqlite_utils.Database) -> None:
    """Make the stored stories agree with the pins: one story per pin, never two pins in one story."""
    groups: dict[str, list[int]] = defaultdict(list)
    for item_id, pin in sorted(pins_by_item(db).items()):
        groups[pin].append(item_id)
    owner: dict[int, str] = {}
    with writing(db):
        for pin, item_ids in sorted(groups.items(), key=lambda pair: min(pair[1])):
            current = [db.execute("SELECT story_id FROM items WHERE id = ?", [i]).fetchone()[0] for i in item_ids]
            target = next((s for s in current if s is not None and s not in owner), None)
            if target is None:
                item = next(db.query("SELECT * FROM items WHERE id = ?", [item_ids[0]]))
                target = create_story(db, item)
            owner[target] = pin
            for item_id, story_id in zip(item_ids, current):
                if story_id != target:
                    attach_item(db, item_id, target)
