"""Fold items into stories after each crawl, and rebuild them on demand. The I/O edge of `dedupe`.

An item joins a story when it is an exact copy (same normalised text), or when it matches
the story, not just one of its members: a member proposes the story (a near-duplicate by
MinHash, candidates found through LSH band keys kept in SQLite; or, in another language and
within a week, shared rare names and a number, candidates found through an index of names
and consonant skeletons), and the item must agree with more than half of the story's members.
Names weigh by how many stories around carry them, so a famous name quoted everywhere tells
little. On real articles, matching one member let a story chain 81 unrelated articles
(benchmarks/story_quality.py, RESULTS.md). Everything an item is matched by is
computed once, when it is first placed, and stored: a later crawl looks candidates up in
indexes instead of loading or recomputing the stored items, so its cost follows the
size of the crawl, not of the database.

Editors' decisions are pins (`aggregator.storage.pins`) and always win: a pinned item
joins only the story of its pin, and no item ever joins two pins' stories together.
Story ids are kept across a rebuild where the story stays.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import sqlite_utils

from aggregator.db import iso, parse_iso, utcnow, writing
from aggregator.dedupe import band_keys, from_bytes, is_near_duplicate, shingles, signatures, to_bytes
from aggregator.entities import COMMON_NAME_SHARE, Fingerprint, fingerprint, same_story_across_languages
from aggregator.storage.items import list_unclustered_items
from aggregator.storage.pins import pins_by_item
from aggregator.storage.stories import refresh_story

CHUNK = 500  # SQLite host parameters per IN (...) list


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


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


#: Members of a story an item is checked against (the most recent in the window): enough for a
#: majority to mean something, bounded so that a story of hundreds costs no more than a dozen.
MAX_MEMBERS = 12
#: The cross-language rule looks only this far apart: a translation follows its original within days.
LANGUAGE_WINDOW_DAYS = 7


@dataclass
class _Placed:
    """What matching needs of a placed item, read once per crawl."""

    id: int
    story_id: int
    language: str | None
    content_hash: str | None
    minhash: object
    size: int
    print_: Fingerprint


class _Matcher:
    """Finds the story a new item belongs to, through the stored indexes.

    A candidate story comes from one of its members (an exact copy, a near-duplicate found
    through the LSH bands, or, in another language and within LANGUAGE_WINDOW_DAYS, shared
    rare names and a number); the item then joins it only if it agrees with more than half
    of the story's members (up to MAX_MEMBERS in the window): a near-duplicate of them, or
    telling the same names and numbers. So A -> B -> C chains, where C shares something with
    B only, stay apart: C agrees with one member of two.
    """

    def __init__(self, db, window: timedelta, threshold: float, containment: float):
        self.db, self.window = db, window
        self.language_window = min(window, timedelta(days=LANGUAGE_WINDOW_DAYS))
        self.threshold, self.containment = threshold, containment
        self.name_counts: dict[str, int] = defaultdict(int)  # name -> stories around that carry it
        self.window_size = 0  # stories around
        self.cache: dict[int, _Placed] = {}

    def count_names(self, names: set[str], since: str, until: str) -> None:
        """How many stories around the batch carry each name (for its rarity, and 'too common to tell')."""
        self.window_size = self.db.execute(
            "SELECT count(DISTINCT story_id) FROM items WHERE story_id IS NOT NULL "
            "AND coalesce(published_at, fetched_at) BETWEEN ? AND ?", [since, until]).fetchone()[0]
        for part in _chunks(sorted(names)):
            for name, count in self.db.execute(
                    f"SELECT n.name, count(DISTINCT i.story_id) FROM item_names n JOIN items i ON i.id = n.item_id "
                    f"WHERE n.kind = 'name' AND n.name IN ({','.join('?' * len(part))}) AND i.story_id IS NOT NULL "
                    f"AND coalesce(i.published_at, i.fetched_at) BETWEEN ? AND ? GROUP BY n.name", [*part, since, until]):
                self.name_counts[name] = count

    def count_story(self, names, new_story: bool) -> None:
        """Keep the counts current within the batch: a new story carries its names."""
        if new_story:
            self.window_size += 1
            for name in names:
                self.name_counts[name] += 1

    def common(self) -> set[str]:
        limit = max(3, COMMON_NAME_SHARE * self.window_size)
        return {name for name, count in self.name_counts.items() if count > limit}

    def rarity(self, name: str) -> float:
        """A name's weight as evidence: 1 when one story around carries it, 1/n when n stories do."""
        return 1.0 / max(1, self.name_counts.get(name, 0))

    def _load(self, ids: list[int]) -> None:
        missing = sorted(set(ids) - set(self.cache))
        for part in _chunks(missing):
            marks = ",".join("?" * len(part))
            names: dict[int, list] = defaultdict(list)
            for item_id, kind, name in self.db.execute(
                    f"SELECT item_id, kind, name FROM item_names WHERE item_id IN ({marks})", part):
                names[item_id].append((kind, name))
            for row in self.db.query(
                    f"SELECT i.id, i.story_id, i.language, i.content_hash, s.minhash, s.shingles, s.numbers, s.rtl "
                    f"FROM items i JOIN item_signatures s ON s.item_id = i.id WHERE i.id IN ({marks})", part):
                mine = names[row["id"]]
                print_ = Fingerprint(names=frozenset(n for k, n in mine if k == "name"),
                                     numbers=frozenset(json.loads(row["numbers"])), rtl=bool(row["rtl"]),
                                     skeletons=frozenset(n for k, n in mine if k in ("latin", "rtl")))
                self.cache[row["id"]] = _Placed(row["id"], row["story_id"], row["language"], row["content_hash"],
                                                from_bytes(row["minhash"]), row["shingles"], print_)

    def _placed(self, ids: set[int], when, span: timedelta, not_language: str | None = None) -> list[_Placed]:
        """Candidates that already have a story and lie within `span` of `when` (in another language)."""
        found = []
        low, high = iso(when - span), iso(when + span)
        other = " AND coalesce(language, '') != ?" if not_language is not None else ""
        for part in _chunks(sorted(ids)):
            found += [row[0] for row in self.db.execute(
                f"SELECT id FROM items WHERE id IN ({','.join('?' * len(part))}) AND story_id IS NOT NULL "
                f"AND coalesce(published_at, fetched_at) BETWEEN ? AND ?{other} ORDER BY id",
                [*part, low, high, *([not_language] if other else [])])]
        self._load(found)
        return [self.cache[i] for i in found if i in self.cache]

    def _members(self, story_id: int, when) -> list[_Placed]:
        ids = [row[0] for row in self.db.execute(
            "SELECT id FROM items WHERE story_id = ? AND coalesce(published_at, fetched_at) BETWEEN ? AND ? "
            "ORDER BY id DESC LIMIT ?", [story_id, iso(when - self.window), iso(when + self.window), MAX_MEMBERS])]
        self._load(ids)
        return [self.cache[i] for i in ids if i in self.cache]

    def _near(self, minhash, size: int, other: _Placed) -> tuple[bool, float]:
        return is_near_duplicate(minhash, size, other.minhash, other.size, self.threshold, self.containment)

    def find(self, item: dict, when, minhash, size: int, bands: list[int], mine: Fingerprint) -> tuple[int | None, str]:
        exact = self.db.execute(
            "SELECT story_id FROM items WHERE content_hash = ? AND id != ? AND story_id IS NOT NULL "
            "AND coalesce(published_at, fetched_at) BETWEEN ? AND ? ORDER BY id LIMIT 1",
            [item["content_hash"], item["id"], iso(when - self.window), iso(when + self.window)]).fetchone()
        if exact:
            return exact[0], "exact"  # the same text: whatever story it is in, this one is in it too
        candidates: dict[int, tuple[str, float]] = {}  # story -> (how, best Jaccard with a member)
        ids = {row[0] for part in _chunks(bands) for row in self.db.execute(
            f"SELECT item_id FROM item_bands WHERE key IN ({','.join('?' * len(part))})", part)}
        ids.discard(item["id"])
        for other in self._placed(ids, when, self.window):
            same, jaccard = self._near(minhash, size, other)
            if same and jaccard > candidates.get(other.story_id, ("", -1.0))[1]:
                candidates[other.story_id] = ("near", jaccard)
        common = self.common()
        ids = set()
        for kind, values in (("name", sorted(mine.names - common)),
                             ("latin" if mine.rtl else "rtl", sorted(mine.skeletons))):
            for part in _chunks(values):  # kind = ? AND name IN (...): one index range per value
                ids |= {row[0] for row in self.db.execute(
                    f"SELECT item_id FROM item_names WHERE kind = ? AND name IN ({','.join('?' * len(part))})",
                    [kind, *part])}
        ids.discard(item["id"])
        for other in self._placed(ids, when, self.language_window, not_language=item["language"] or ""):
            if other.story_id not in candidates and other.language != item["language"] \
                    and same_story_across_languages(mine, other.print_, common, self.rarity):
                candidates[other.story_id] = ("language", 0.0)
        best, best_key = None, None
        for story_id, (how, jaccard) in candidates.items():
            members = self._members(story_id, when)
            agree = sum(self._near(minhash, size, m)[0] or same_story_across_languages(mine, m.print_, common, self.rarity)
                        for m in members)
            if 2 * agree <= len(members):
                continue  # it matches a member, not the story: joining would start a chain
            key = (agree / len(members), how == "near", jaccard, -story_id)
            if best_key is None or key > best_key:
                best, best_key = (story_id, how), key
        return best if best else (None, "")


def _store_match_data(db, item_id: int, minhash, size: int, bands: list[int], print_: Fingerprint) -> None:
    db.execute("INSERT OR REPLACE INTO item_signatures (item_id, minhash, shingles, numbers, rtl) VALUES (?, ?, ?, ?, ?)",
               [item_id, to_bytes(minhash), size, json.dumps(sorted(print_.numbers)), int(print_.rtl)])
    db.execute("DELETE FROM item_bands WHERE item_id = ?", [item_id])
    db.execute("DELETE FROM item_names WHERE item_id = ?", [item_id])
    db.conn.executemany("INSERT INTO item_bands (key, item_id) VALUES (?, ?)", [(key, item_id) for key in bands])
    rows = [(name, "name", item_id) for name in print_.names]
    rows += [(key, "rtl" if print_.rtl else "latin", item_id) for key in print_.skeletons]
    db.conn.executemany("INSERT INTO item_names (name, kind, item_id) VALUES (?, ?, ?)", rows)


def cluster_new_items(db: sqlite_utils.Database, threshold: float = 0.5, containment: float = 0.7,
                      window_days: int = 10, reuse: dict[int, int] | None = None) -> ClusterReport:
    """Place every item that has no story yet; `reuse` maps item id -> a story id to keep (rebuilds)."""
    report = ClusterReport()
    pending = list_unclustered_items(db)
    if not pending:
        return report
    reuse = dict(reuse or {})
    # a changed item (`reprocess`) is placed again from its new text: it leaves its story first,
    # and keeps that story's id only when it was the story's only item
    moved = {item["id"]: item["story_id"] for item in pending if item["story_id"] is not None}
    if moved:
        with writing(db):
            for item_id, old in moved.items():
                alone = not db.execute("SELECT 1 FROM items WHERE story_id = ? AND id != ? LIMIT 1",
                                       [old, item_id]).fetchone()
                if alone:
                    reuse.setdefault(item_id, old)
                db.execute("UPDATE items SET story_id = NULL WHERE id = ?", [item_id])
        for item in pending:
            item["story_id"] = None
    window = timedelta(days=window_days)
    moments = {item["id"]: parse_iso(item["published_at"] or item["fetched_at"]) for item in pending}
    pending.sort(key=lambda i: (moments[i["id"]], i["id"]))
    stored = {row["item_id"]: row for part in _chunks([i["id"] for i in pending]) for row in db.query(
        f"SELECT item_id, minhash, shingles FROM item_signatures WHERE item_id IN ({','.join('?' * len(part))})", part)}
    fresh = [item for item in pending if item["id"] not in stored]
    shingle_sets = {item["id"]: shingles(_item_text(item)) for item in fresh}
    computed = dict(zip(shingle_sets, signatures(list(shingle_sets.values())))) if fresh else {}
    pins = pins_by_item(db)
    pin_story = {pins[row["id"]]: row["story_id"] for row in db.query(
        "SELECT id, story_id FROM items WHERE story_id IS NOT NULL AND id IN (SELECT item_id FROM story_pins)")}
    used = set(pin_story.values())
    matcher = _Matcher(db, window, threshold, containment)
    prints = {item["id"]: fingerprint(_item_text(item), item["language"]) for item in pending}
    matcher.count_names({n for p in prints.values() for n in p.names},
                        iso(min(moments.values()) - window), iso(max(moments.values()) + window))
    touched: set[int] = set(moved.values())
    now = iso(utcnow())
    with writing(db):
        for item in pending:
            report.items += 1
            report.item_ids.append(item["id"])
            when, mine = moments[item["id"]], prints[item["id"]]
            if item["id"] in stored:
                minhash, size = from_bytes(stored[item["id"]]["minhash"]), stored[item["id"]]["shingles"]
            else:
                minhash, size = computed[item["id"]], len(shingle_sets[item["id"]])
            bands = band_keys(minhash)
            _store_match_data(db, item["id"], minhash, size, bands, mine)
            pin = pins.get(item["id"])
            if pin is not None:
                story_id, how = pin_story.get(pin), "pinned"
            else:
                story_id, how = matcher.find(item, when, minhash, size, bands, mine)
            opened = story_id is None
            if opened:
                old = reuse.get(item["id"])
                if old is not None and old not in used and db.table("stories").count_where("id = ?", [old]):
                    story_id = old
                else:
                    story_id = db.table("stories").insert({"title": item["title"], "language": item["language"],
                                                     "representative_item_id": item["id"], "item_count": 0,
                                                     "created_at": now}).last_pk
                used.add(story_id)
                report.new_stories += 1
            else:
                report.folded += 1
                report.exact += how == "exact"
                report.near_duplicates += how == "near"
                report.across_languages += how == "language"
            db.execute("UPDATE items SET story_id = ?, reprocess = 0 WHERE id = ?", [story_id, item["id"]])
            touched.add(story_id)
            matcher.count_story(mine.names, new_story=opened)
            if pin is not None:
                pin_story.setdefault(pin, story_id)
        for story_id in sorted(touched):  # once per story, not once per item
            refresh_story(db, story_id)
    return report


def rebuild_stories(db: sqlite_utils.Database, threshold: float = 0.5, containment: float = 0.7,
                    window_days: int = 10) -> ClusterReport:
    """Cluster every item again from scratch, obeying editors' pins; unchanged stories keep their ids.

    Stored signatures are reused, not recomputed.
    """
    with writing(db):
        reuse = {row["id"]: row["story_id"] for row in db.query("SELECT id, story_id FROM items WHERE story_id IS NOT NULL")}
        db.execute("UPDATE items SET story_id = NULL")
        report = cluster_new_items(db, threshold, containment, window_days, reuse=reuse)
        for row in db.query("SELECT id FROM stories WHERE id NOT IN (SELECT story_id FROM items WHERE story_id IS NOT NULL)"):
            refresh_story(db, row["id"])  # deletes the emptied ones
    return report


def apply_pins(db: sqlite_utils.Database) -> None:
    """Make the stored stories agree with the pins: one story per pin, never two pins in one story."""
    from aggregator.storage.stories import attach_item, create_story

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
