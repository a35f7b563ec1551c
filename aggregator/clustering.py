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

Writes come in chunks of CHUNK_ITEMS items, each one short `BEGIN IMMEDIATE` transaction
(STYLE.md point 4): signatures are computed before it, and the chunk's items leave their old
stories, are placed and their stories refreshed inside it. Only *settled* items (a story and
`reprocess = 0`) are candidates, so a crawl or an unsubscribe never waits for a whole rebuild,
and an interrupted run leaves items waiting for the next one, never a half-refreshed story
(tests/aggregator/test_chunked_clustering.py, test_write_lock.py). All SQL is in
`aggregator.storage` (signatures.py: bands, names and signatures).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import sqlite_utils

from aggregator.db import iso, moment_of, utcnow, writing
from aggregator.dedupe import band_keys, from_bytes, is_near_duplicate, shingles, signatures, to_bytes
from aggregator.entities import COMMON_NAME_SHARE, Fingerprint, fingerprint, same_story_across_languages
from aggregator.storage.items import (
    detach_items,
    get_item,
    list_item_story_ids,
    list_unclustered_items,
    mark_all_items_for_reprocess,
    place_items,
)
from aggregator.storage.pins import list_pin_stories, pins_by_item
from aggregator.storage.signatures import (
    count_name_stories,
    count_settled_stories,
    find_exact_story,
    list_items_by_bands,
    list_items_by_names,
    list_match_data,
    list_settled_items,
    list_signatures,
    list_story_members,
    save_match_data,
)
from aggregator.storage.stories import (
    has_other_settled_items,
    insert_story,
    list_empty_story_ids,
    refresh_story,
    story_exists,
)

#: Items placed per write transaction: the lock is held for one chunk's writes, never a whole
#: crawl or rebuild, so the web app's writes (an unsubscribe) wait a fraction of a second.
CHUNK_ITEMS = 200


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
    moment: str | None = None  # as stored (ISO text); kept for items placed in the current chunk


class _Matcher:
    """Finds the story a new item belongs to, through the stored indexes.

    A candidate story comes from one of its members (an exact copy, a near-duplicate found
    through the LSH bands, or, in another language and within LANGUAGE_WINDOW_DAYS, shared
    rare names and a number); the item then joins it only if it agrees with more than half
    of the story's members (up to MAX_MEMBERS in the window): a near-duplicate of them, or
    telling the same names and numbers. So A -> B -> C chains, where C shares something with
    B only, stay apart: C agrees with one member of two.

    Items placed in the chunk being written are not in the database yet: they are found
    through in-memory twins of the indexes (`recent`), and join the stored ones once the
    chunk is committed (`settle`).
    """

    def __init__(self, db, window: timedelta, threshold: float, containment: float):
        self.db, self.window = db, window
        self.language_window = min(window, timedelta(days=LANGUAGE_WINDOW_DAYS))
        self.threshold, self.containment = threshold, containment
        self.name_counts: dict[str, int] = defaultdict(int)  # name -> stories around that carry it
        self.window_size = 0  # stories around
        self.frequent: set[str] = set()  # names more than 3 stories carry: the only ones that can be common
        self.cache: dict[int, _Placed] = {}
        self.recent: dict[int, _Placed] = {}
        self.recent_bands: dict[int, list[int]] = defaultdict(list)
        self.recent_names: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.recent_hashes: dict[str, list[int]] = defaultdict(list)
        self.recent_stories: dict[int, list[int]] = defaultdict(list)

    def count_names(self, names: set[str], since: str, until: str) -> None:
        """How many stories around the batch carry each name (for its rarity, and 'too common to tell')."""
        self.window_size = count_settled_stories(self.db, since, until)
        self.name_counts.update(count_name_stories(self.db, names, since, until))
        self.frequent = {name for name, count in self.name_counts.items() if count > 3}

    def count_story(self, names, new_story: bool) -> None:
        """Keep the counts current within the batch: a new story carries its names."""
        if new_story:
            self.window_size += 1
            for name in names:
                self.name_counts[name] += 1
                if self.name_counts[name] > 3:
                    self.frequent.add(name)

    def common(self) -> set[str]:
        limit = max(3, COMMON_NAME_SHARE * self.window_size)
        return {name for name in self.frequent if self.name_counts[name] > limit}  # limit >= 3: only frequent ones

    def rarity(self, name: str) -> float:
        """A name's weight as evidence: 1 when one story around carries it, 1/n when n stories do."""
        return 1.0 / max(1, self.name_counts.get(name, 0))

    def add(self, placed: _Placed, bands: list[int]) -> None:
        """An item placed in the current chunk: findable by the next items before it is written."""
        self.recent[placed.id] = placed
        for key in bands:
            self.recent_bands[key].append(placed.id)
        for name in placed.print_.names:
            self.recent_names["name", name].append(placed.id)
        for skeleton in placed.print_.skeletons:
            self.recent_names["rtl" if placed.print_.rtl else "latin", skeleton].append(placed.id)
        if placed.content_hash:
            self.recent_hashes[placed.content_hash].append(placed.id)
        self.recent_stories[placed.story_id].append(placed.id)

    def settle(self) -> None:
        """The chunk is committed: its items are found through the database from now on."""
        self.cache.update(self.recent)
        for mapping in (self.recent, self.recent_bands, self.recent_names, self.recent_hashes, self.recent_stories):
            mapping.clear()

    def _load(self, ids: list[int]) -> None:
        missing = [i for i in ids if i not in self.cache]
        for row in list_match_data(self.db, missing) if missing else []:
            mine = row["names"]
            print_ = Fingerprint(
                names=frozenset(n for k, n in mine if k == "name"),
                numbers=frozenset(row["numbers"]),
                rtl=bool(row["rtl"]),
                skeletons=frozenset(n for k, n in mine if k in ("latin", "rtl")),
            )
            self.cache[row["id"]] = _Placed(
                row["id"],
                row["story_id"],
                row["language"],
                row["content_hash"],
                from_bytes(row["minhash"]),
                row["shingles"],
                print_,
            )

    def _recent_in(self, ids, low: str, high: str, not_language: str | None = None) -> list[int]:
        return [
            i
            for i in ids
            if (p := self.recent.get(i)) is not None
            and p.moment is not None
            and low <= p.moment <= high
            and (not_language is None or (p.language or "") != not_language)
        ]

    def _placed(self, ids: set[int], when, span: timedelta, not_language: str | None = None) -> list[_Placed]:
        """Candidates that already have a story and lie within `span` of `when` (in another language)."""
        low, high = iso(when - span), iso(when + span)
        stored = [i for i in ids if i not in self.recent]
        found = list_settled_items(self.db, stored, low, high, not_language) if stored else []
        self._load(found)
        placed = [self.cache[i] for i in found if i in self.cache]
        placed += [self.recent[i] for i in self._recent_in(ids, low, high, not_language)]
        return sorted(placed, key=lambda p: p.id)

    def _members(self, story_id: int, when) -> list[_Placed]:
        low, high = iso(when - self.window), iso(when + self.window)
        ids = list_story_members(self.db, story_id, low, high, MAX_MEMBERS)
        self._load(ids)
        members = [self.cache[i] for i in ids if i in self.cache]
        members += [self.recent[i] for i in self._recent_in(self.recent_stories.get(story_id, ()), low, high)]
        return sorted(members, key=lambda p: -p.id)[:MAX_MEMBERS]

    def _near(self, minhash, size: int, other: _Placed) -> tuple[bool, float]:
        return is_near_duplicate(minhash, size, other.minhash, other.size, self.threshold, self.containment)

    def find(self, item: dict, when, minhash, size: int, bands: list[int], mine: Fingerprint) -> tuple[int | None, str]:
        low, high = iso(when - self.window), iso(when + self.window)
        exact = find_exact_story(self.db, item["content_hash"], item["id"], low, high)
        twins = [
            (i, self.recent[i].story_id)
            for i in self._recent_in(self.recent_hashes.get(item["content_hash"], ()), low, high)
            if i != item["id"]
        ]
        if exact or twins:  # the same text: whatever story it is in, this one is in it too
            return min([*([exact] if exact else []), *twins])[1], "exact"
        candidates: dict[int, tuple[str, float]] = {}  # story -> (how, best Jaccard with a member)
        ids = list_items_by_bands(self.db, bands) | {i for key in bands for i in self.recent_bands.get(key, ())}
        ids.discard(item["id"])
        for other in self._placed(ids, when, self.window):
            same, jaccard = self._near(minhash, size, other)
            if same and jaccard > candidates.get(other.story_id, ("", -1.0))[1]:
                candidates[other.story_id] = ("near", jaccard)
        common = self.common()
        ids = set()
        for kind, values in (
            ("name", sorted(mine.names - common)),
            ("latin" if mine.rtl else "rtl", sorted(mine.skeletons)),
        ):
            if values:
                ids |= list_items_by_names(self.db, kind, values)
                ids |= {i for value in values for i in self.recent_names.get((kind, value), ())}
        ids.discard(item["id"])
        for other in self._placed(ids, when, self.language_window, not_language=item["language"] or ""):
            if (
                other.story_id not in candidates
                and other.language != item["language"]
                and same_story_across_languages(mine, other.print_, common, self.rarity)
            ):
                candidates[other.story_id] = ("language", 0.0)
        best, best_key = None, None
        for story_id, (how, jaccard) in candidates.items():
            members = self._members(story_id, when)
            agree = sum(
                self._near(minhash, size, m)[0] or same_story_across_languages(mine, m.print_, common, self.rarity)
                for m in members
            )
            if 2 * agree <= len(members):
                continue  # it matches a member, not the story: joining would start a chain
            key = (agree / len(members), how == "near", jaccard, -story_id)
            if best_key is None or key > best_key:
                best, best_key = (story_id, how), key
        return best if best else (None, "")


def cluster_new_items(
    db: sqlite_utils.Database,
    threshold: float = 0.5,
    containment: float = 0.7,
    window_days: int = 10,
    reuse: dict[int, int] | None = None,
) -> ClusterReport:
    """Place every item that has no story yet, or is marked to be placed again (`reprocess`).

    Items are placed in publication order, CHUNK_ITEMS per write transaction. A chunk's items
    leave their old story, are placed, and their stories refreshed in that one transaction,
    so an interrupted run leaves every item either placed or still waiting (no story, or
    `reprocess = 1`) for the next run, never a story half refreshed. An item that opens a new
    story keeps its old story's id (or `reuse[item id]`) when nothing else placed is in it.
    """
    report = ClusterReport()
    pending = list_unclustered_items(db)
    if not pending:
        return report
    reuse = dict(reuse or {})
    window = timedelta(days=window_days)
    moments = {item["id"]: moment_of(item) for item in pending}
    pending.sort(key=lambda i: (moments[i["id"]], i["id"]))
    stored = list_signatures(db, [i["id"] for i in pending])
    pins = pins_by_item(db)
    pin_story = list_pin_stories(db)
    used = set(pin_story.values())
    matcher = _Matcher(db, window, threshold, containment)
    prints = {item["id"]: fingerprint(_item_text(item), item["language"]) for item in pending}
    matcher.count_names(
        {n for p in prints.values() for n in p.names},
        iso(min(moments.values()) - window),
        iso(max(moments.values()) + window),
    )
    for start in range(0, len(pending), CHUNK_ITEMS):
        chunk = pending[start : start + CHUNK_ITEMS]
        # the costly part, outside the transaction: signatures of new text
        fresh = [item for item in chunk if item["id"] not in stored]
        shingle_sets = {item["id"]: shingles(_item_text(item)) for item in fresh}
        computed = dict(zip(shingle_sets, signatures(list(shingle_sets.values())), strict=True)) if fresh else {}
        prepared = {}
        for item in chunk:
            if item["id"] in stored:
                blob, size = stored[item["id"]]
                minhash = from_bytes(blob)
            else:
                minhash, size = computed[item["id"]], len(shingle_sets[item["id"]])
                blob = to_bytes(minhash)
            prepared[item["id"]] = (minhash, blob, size, band_keys(minhash))
        with writing(db):
            _place_chunk(db, chunk, prepared, moments, prints, pins, pin_story, used, reuse, matcher, report)
        matcher.settle()
    return report


def _place_chunk(db, chunk, prepared, moments, prints, pins, pin_story, used, reuse, matcher, report) -> None:
    """Place one chunk of items; call inside one `writing(db)`."""
    now = iso(utcnow())
    # items still in a story (changed, or a rebuild) leave it first
    leaving = {i: s for i, s in list_item_story_ids(db, [item["id"] for item in chunk]).items() if s is not None}
    detach_items(db, list(leaving))
    touched: set[int] = set(leaving.values())
    placements, match_rows = [], []
    for item in chunk:
        report.items += 1
        report.item_ids.append(item["id"])
        when, mine = moments[item["id"]], prints[item["id"]]
        minhash, blob, size, bands = prepared[item["id"]]
        pin = pins.get(item["id"])
        if pin is not None:
            story_id, how = pin_story.get(pin), "pinned"
        else:
            story_id, how = matcher.find(item, when, minhash, size, bands, mine)
        opened = story_id is None
        if opened:
            old = reuse.get(item["id"], leaving.get(item["id"]))
            if (
                old is not None
                and old not in used
                and story_exists(db, old)
                and not has_other_settled_items(db, old, item["id"])
            ):
                story_id = old
            else:
                story_id = insert_story(db, item, now)
            used.add(story_id)
            report.new_stories += 1
        else:
            report.folded += 1
            report.exact += how == "exact"
            report.near_duplicates += how == "near"
            report.across_languages += how == "language"
        placements.append((item["id"], story_id))
        match_rows.append(
            {
                "item_id": item["id"],
                "minhash": blob,
                "shingles": size,
                "numbers": mine.numbers,
                "rtl": mine.rtl,
                "bands": bands,
                "names": [("name", n) for n in mine.names]
                + [("rtl" if mine.rtl else "latin", k) for k in mine.skeletons],
            }
        )
        touched.add(story_id)
        matcher.add(
            _Placed(
                item["id"],
                story_id,
                item["language"],
                item["content_hash"],
                minhash,
                size,
                mine,
                item["published_at"] or item["fetched_at"],
            ),
            bands,
        )
        matcher.count_story(mine.names, new_story=opened)
        if pin is not None:
            pin_story.setdefault(pin, story_id)
    save_match_data(db, match_rows)
    place_items(db, placements)
    for story_id in sorted(touched):  # once per story and chunk, not once per item
        refresh_story(db, story_id)


def rebuild_stories(
    db: sqlite_utils.Database, threshold: float = 0.5, containment: float = 0.7, window_days: int = 10
) -> ClusterReport:
    """Cluster every item again from scratch, obeying editors' pins; unchanged stories keep their ids.

    Every item is marked to be placed again (in short transactions), then placed by
    `cluster_new_items` chunk by chunk: a crawl or an unsubscribe never waits for the whole
    rebuild, and an interrupted rebuild is finished by the next run. Stored signatures are
    reused, not recomputed.
    """
    mark_all_items_for_reprocess(db)
    report = cluster_new_items(db, threshold, containment, window_days)
    empty = list_empty_story_ids(db)
    for start in range(0, len(empty), CHUNK_ITEMS):
        with writing(db):
            for story_id in empty[start : start + CHUNK_ITEMS]:
                refresh_story(db, story_id)  # deletes the emptied ones
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
            stories = list_item_story_ids(db, item_ids)
            current = [stories.get(i) for i in item_ids]
            target = next((s for s in current if s is not None and s not in owner), None)
            if target is None:
                target = create_story(db, get_item(db, item_ids[0]))
            owner[target] = pin
            for item_id, story_id in zip(item_ids, current, strict=True):
                if story_id != target:
                    attach_item(db, item_id, target)
