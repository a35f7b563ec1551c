"""Fold items into stories after each crawl, and rebuild them on demand. The I/O edge of `dedupe`.

An item joins a story when it is an exact copy (same normalised text), or when it matches
the story, not just one of its members: a member proposes the story (a near-duplicate by
MinHash, candidates found through LSH band keys computed from stored signatures; or, in another language and
within a week, shared rare names and a number, candidates found through an index of names
and consonant skeletons), and the item must agree with more than half of the story's members.
Names weigh by how many stories around carry them, so a famous name quoted everywhere tells
little. On real articles, matching one member let a story chain 81 unrelated articles
(benchmarks/story_quality.py, RESULTS.md). Everything an item is matched by is
computed once, when it is first placed, and stored: a later crawl looks candidates up in
indexes instead of loading or recomputing the stored items, so its cost follows the
size of the crawl, not of the database (every lookup is served by an index:
tests/aggregator/test_matching_queries.py).

Speed (issue 9, benchmarks/clustering.py): a run lists its pending items without their
texts, and reads a chunk's texts just before placing it, keeping only signatures (1 KB) and
names; what a crawl's tagging child signed ahead meanwhile is read, not computed
(`SigningAhead`), or signed while the run waits for its write turn (`_Completing`). The
indexes are read once per chunk for all of its items, not a dozen
queries per item, band neighbours of the whole chunk are found in numpy, and stories are
refreshed once per chunk.

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

import logging
import math
import sqlite3
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import sqlite_utils

from aggregator.db import iso, moment_of, utcnow, writing
from aggregator.dedupe import (
    BANDS,
    MIN_SHINGLES,
    NUM_PERM,
    band_key_matrix,
    from_bytes,
    is_near_duplicate,
    jaccards,
    near_rows,
    signature_of,
    to_bytes,
)
from aggregator.entities import (
    COMMON_NAME_SHARE,
    LEAST_EVIDENCE,
    MIN_SHARED_NAMES,
    Fingerprint,
    fingerprint,
    same_story_across_languages,
)
from aggregator.storage.items import (
    detach_items,
    get_item,
    list_item_story_ids,
    list_items_for_indexing,
    mark_all_items_for_reprocess,
    place_items,
)
from aggregator.storage.pins import list_pin_stories, pins_by_item
from aggregator.storage.signatures import (
    count_name_stories,
    count_settled_changes,
    count_settled_stories,
    list_match_data,
    list_pending_items,
    list_settled_by_hash,
    list_settled_by_names,
    list_settled_signatures,
    list_stories_members,
    list_unsigned_new_items,
    newest_unplaced_id,
    save_match_data,
    save_new_match_data,
)
from aggregator.storage.stories import (
    has_other_settled_items,
    insert_story,
    list_empty_story_ids,
    refresh_stories,
    refresh_story,
    story_exists,
)

logger = logging.getLogger(__name__)

#: Items placed per write transaction: the lock is held for one chunk's writes, never a whole
#: crawl or rebuild, so the web app's writes (an unsubscribe) wait a fraction of a second.
CHUNK_ITEMS = 200
#: Items read per query while preparing a run: texts are read page by page, never all at once.
PAGE_ITEMS = 500


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
#: Placed items kept in memory between chunks before those left behind the window are dropped.
CACHE_ITEMS = 20_000
#: Items added to the band window since it was read or trimmed before those left behind are dropped.
LATER_ITEMS = 5_000
#: Band keys of items settled in a run kept in their own sorted array before it is merged into
#: the window's (2,000 items' worth): each merge copies the window's arrays once.
MERGE_KEYS = 2_000 * BANDS
#: How far a span read for one run (names counted, names read, band keys) grows to cover the
#: next runs of a kept matcher (a crawl's passes see items of the same days in any order), in
#: reaches: a rebuild moving through months reads a new span instead, so memory stays bounded.
SPAN_REACHES = 2


def _union(kept: tuple[str, str], wanted: tuple[str, str], limit: timedelta) -> tuple[str, str]:
    """`kept` grown to cover `wanted`, or `wanted` alone when the union would be longer than `limit`.

    A span that grows is rounded out to whole days (UTC): a crawl's passes begin and end a few
    hours apart, and a span grown by hours would be read again at nearly every pass.
    """
    low = datetime.fromisoformat(min(kept[0], wanted[0]))
    high = datetime.fromisoformat(max(kept[1], wanted[1]))
    if high - low > limit:
        return wanted
    day = timedelta(days=1)
    low = datetime(low.year, low.month, low.day, tzinfo=low.tzinfo)
    high = datetime(high.year, high.month, high.day, tzinfo=high.tzinfo) + day
    return iso(low), iso(high)


#: The fingerprint of an item not completed yet (a frozen dataclass built for each pending item
#: took 9 us; it is immutable, so one serves all).
NO_PRINT = Fingerprint(frozenset(), frozenset(), False, frozenset())


@dataclass
class _Pending:
    """An item waiting to be placed, with what placing it needs (its text is not kept).

    Its fingerprint and signature are filled in just before its chunk is placed (`_Completing`)."""

    item: dict  # id, title, language, content_hash, published_at, fetched_at, moment
    when: datetime
    new: bool  # never placed: names stored for it were found by today's rules (`SigningAhead`)
    print_: Fingerprint = NO_PRINT
    blob: bytes = b""  # its MinHash signature as stored
    size: int = 0
    signed: bool = False  # its signature and names are stored already (`SigningAhead`): not written again

    @property
    def minhash(self) -> np.ndarray:
        """The signature's values: a view of `blob`, not a copy."""
        return from_bytes(self.blob)


@dataclass
class _Placed:
    """What matching needs of a placed item, read once per crawl."""

    id: int
    story_id: int
    language: str | None
    content_hash: str | None
    blob: bytes  # its MinHash signature as stored: a chunk's neighbours are joined into one array from these
    size: int
    print_: Fingerprint
    moment: str | None = None  # as stored (ISO text)

    @property
    def minhash(self) -> np.ndarray:
        """The signature's values: a view of `blob`, not a copy."""
        return from_bytes(self.blob)


class _BandWindow:
    """The LSH band keys of the settled items around a run, in memory, as sorted arrays.

    Storing 37 band keys per item in an indexed table made writing them the largest part of
    clustering (0.3-0.5 ms per item, growing with the database). The keys are a pure function
    of the signatures, so a run reads the signatures of the settled items in its span (one
    range read: about 30 ms for 20,000 items), computes all their keys with numpy and sorts
    them; a chunk's neighbours are then found with binary searches, for all of its items at
    once (`neighbours`). Items settled later in the run go into a small sorted array of their
    own (`add`), merged into the large one now and then: inserting each chunk's keys into the
    large one copied it every time. Items left behind the window are dropped without reading
    anything again (`cover`). A run whose span is longer than `reach` (a rebuild of months)
    reads it a stretch at a time, so memory follows the window, not the database.
    """

    def __init__(self, db, reach: timedelta):
        self.db, self.reach = db, reach
        self.span: tuple[str, str] | None = None
        self.keys = np.empty(0, dtype=np.uint64)  # sorted
        self.rows = np.empty(0, dtype=np.int64)  # keys[n] belongs to ids[rows[n]]
        self.new_keys = np.empty(0, dtype=np.uint64)  # sorted: of the items added since the last merge
        self.new_rows = np.empty(0, dtype=np.int64)
        self.ids = np.empty(0, dtype=np.int64)
        self.moments = np.empty(0, dtype=object)  # as stored (ISO text): compared as strings
        self.later_items = 0  # items added since the window was last read or trimmed

    def cover(self, low: str, high: str, run_high: str) -> None:
        """Make sure the items settled in [low, high] are known (read up to `reach` further, at most `run_high`).

        Once LATER_ITEMS have been added, the items before `low` are dropped: a window kept
        for a whole crawl would otherwise keep every item it saw.
        """
        if self.span is not None and self.span[0] <= low and high <= self.span[1]:
            if self.later_items >= LATER_ITEMS:
                self._drop_before(low)
            return
        until = max(high, min(run_high, iso(datetime.fromisoformat(high) + self.reach)))
        if self.span is not None:  # a window kept across runs grows to cover them, up to SPAN_REACHES reaches
            low, until = _union(self.span, (low, until), self.reach * SPAN_REACHES)
        ids, moments, blob = list_settled_signatures(self.db, low, until)
        values = np.frombuffer(blob, dtype=np.uint64).reshape(len(ids), NUM_PERM)
        keys = band_key_matrix(values).ravel()
        order = np.argsort(keys, kind="stable")
        self.keys, self.rows = keys[order], order // BANDS
        self.new_keys, self.new_rows = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
        self.ids = np.asarray(ids, dtype=np.int64)
        self.moments = np.asarray(moments, dtype=object)
        self.span = (low, until)
        self.later_items = 0

    def _drop_before(self, low: str) -> None:
        """Forget the items whose moment is before `low` (their keys keep their order)."""
        self._merge()
        kept = self.moments >= low
        renumbered = np.cumsum(kept) - 1
        self.ids, self.moments = self.ids[kept], self.moments[kept]
        rows = kept[self.rows]
        self.keys, self.rows = self.keys[rows], renumbered[self.rows[rows]]
        assert self.span is not None
        self.span = (low, self.span[1])
        self.later_items = 0

    def _merge(self) -> None:
        """The added items' keys into the large sorted array (one copy of it)."""
        if len(self.new_keys):
            at = np.searchsorted(self.keys, self.new_keys, side="right")
            self.keys, self.rows = np.insert(self.keys, at, self.new_keys), np.insert(self.rows, at, self.new_rows)
            self.new_keys, self.new_rows = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)

    def add(self, keys: np.ndarray, ids: list[int], moments: list[str | None]) -> None:
        """A settled chunk's items, with their band keys (one row each)."""
        dated = [n for n, moment in enumerate(moments) if moment is not None]
        if not dated:
            return
        base = len(self.ids)
        self.ids = np.concatenate([self.ids, np.asarray([ids[n] for n in dated], dtype=np.int64)])
        self.moments = np.concatenate([self.moments, np.asarray([moments[n] for n in dated], dtype=object)])
        flat = keys[dated].ravel()
        rows = base + np.repeat(np.arange(len(dated), dtype=np.int64), BANDS)
        order = np.argsort(flat, kind="stable")
        flat, rows = flat[order], rows[order]
        at = np.searchsorted(self.new_keys, flat, side="right")
        self.new_keys, self.new_rows = np.insert(self.new_keys, at, flat), np.insert(self.new_rows, at, rows)
        if len(self.new_keys) > MERGE_KEYS:
            self._merge()
        self.later_items += len(dated)

    def neighbours(self, keys: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> list[list[int]]:
        """For each row of `keys` (a chunk's band keys, n x BANDS): the ids of the known settled
        items that share one of its keys and whose moment is within [lows[n], highs[n]], each once.

        All in numpy: a chunk's items have a few hundred band hits each (a repost shares most
        of its 37 bands with each of its copies), and a Python tuple per hit cost more than
        the rest of looking them up.
        """
        count = len(keys)
        flat = keys.ravel()
        # the chunk's keys in order: numpy's binary search starts from the last key's place when
        # its keys ascend, and reads the window's keys in order (3.7 -> 0.8 ms for a chunk's 7,400
        # keys in 400,000); nearly no key is found, so the right end is searched only for those that are
        order = np.argsort(flat)
        ordered = flat[order]
        owners, found_rows = [], []
        for sorted_keys, sorted_rows in ((self.keys, self.rows), (self.new_keys, self.new_rows)):
            if not len(sorted_keys) or not count:
                continue
            starts = np.searchsorted(sorted_keys, ordered, side="left")
            hit = np.flatnonzero(sorted_keys[np.minimum(starts, len(sorted_keys) - 1)] == ordered)
            if not len(hit):
                continue
            starts = starts[hit]
            hits = np.searchsorted(sorted_keys, ordered[hit], side="right") - starts
            total = int(hits.sum())
            owners.append(np.repeat(order[hit] // BANDS, hits))
            offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(hits) - hits, hits)
            found_rows.append(sorted_rows[np.repeat(starts, hits) + offsets])
        if not owners:
            return [[] for _ in range(count)]
        width = len(self.ids) + 1
        pairs = np.unique(np.concatenate(owners) * width + np.concatenate(found_rows))  # each (item, neighbour) once
        owner, rows = pairs // width, pairs % width
        moments = self.moments[rows]
        keep = (moments >= lows[owner]) & (moments <= highs[owner])
        owner, found = owner[keep], self.ids[rows[keep]]
        bounds = np.searchsorted(owner, np.arange(count + 1)).tolist()
        listed = found.tolist()
        return [listed[bounds[n] : bounds[n + 1]] for n in range(count)]


def _bounds(when: datetime, window: timedelta, language_window: timedelta) -> tuple[str, str, str, str]:
    """An item's windows as stored moments (`iso`): its own, then the cross-language rule's.

    When `when` is a stored moment (UTC, to the second: read back from the store) and the
    windows are whole seconds, so is each end: its `isoformat` alone (four `iso` calls were a
    tenth of preparing a chunk).
    """
    if when.microsecond or when.utcoffset() != timedelta(0) or window.microseconds or language_window.microseconds:
        return iso(when - window), iso(when + window), iso(when - language_window), iso(when + language_window)
    return (
        (when - window).isoformat(),
        (when + window).isoformat(),
        (when - language_window).isoformat(),
        (when + language_window).isoformat(),
    )


def _chunk_neighbours(keys: np.ndarray) -> list[list[int]]:
    """For each row of a chunk's band keys: the other rows sharing one of its keys, ascending
    (reposts placed together in one chunk find each other through these).

    In numpy: equal keys stand together once sorted, so the rows d places apart in the sorted
    keys that hold the same key are pairs, for d = 1, 2, ... while any are. Visiting each
    shared key in Python cost 3 ms a chunk of generated reposts (benchmarks/clustering.py).
    """
    count = len(keys)
    flat = keys.ravel()
    order = np.argsort(flat, kind="stable")
    ordered, owner = flat[order], order // BANDS
    firsts, seconds = [], []
    for distance in range(1, len(ordered)):
        same = ordered[distance:] == ordered[:-distance]
        if not same.any():
            break
        firsts.append(owner[:-distance][same])
        seconds.append(owner[distance:][same])
    if not firsts:
        return [[] for _ in range(count)]
    first, second = np.concatenate(firsts), np.concatenate(seconds)
    apart = first != second
    first, second = first[apart], second[apart]
    pairs = np.unique(np.concatenate([first * count + second, second * count + first]))
    rows, others = pairs // count, pairs % count
    bounds = np.searchsorted(rows, np.arange(count + 1)).tolist()
    listed = others.tolist()
    return [listed[bounds[n] : bounds[n + 1]] for n in range(count)]


class _Matcher:
    """Finds the story a new item belongs to, through the stored indexes.

    A candidate story comes from one of its members (an exact copy, a near-duplicate found
    through the LSH bands, or, in another language and within LANGUAGE_WINDOW_DAYS, shared
    rare names and a number); the item then joins it only if it agrees with more than half
    of the story's members (up to MAX_MEMBERS in the window): a near-duplicate of them, or
    telling the same names and numbers. So A -> B -> C chains, where C shares something with
    B only, stay apart: C agrees with one member of two.

    The stored indexes are read once per chunk (`prepare`), for all of its items at once and
    over the span of their windows: the settled items do not change while a chunk is placed,
    so each item then filters what was read to its own window in memory, and the cost of a
    chunk is a few queries, not a dozen per item. Items placed in the chunk being written are
    not in the database yet: they are found through in-memory twins of the indexes
    (`recent`), and join the stored ones once the chunk is committed (`settle`).
    """

    def __init__(self, db, window: timedelta, threshold: float, containment: float):
        self.db, self.window = db, window
        self.language_window = min(window, timedelta(days=LANGUAGE_WINDOW_DAYS))
        self.threshold, self.containment = threshold, containment
        self.name_counts: dict[str, int] = defaultdict(int)  # name -> stories around that carry it
        self.counted: set[str] = set()  # the names counted in the database for `count_span`
        self.count_span: tuple[str, str] = ("", "")
        self.window_size = 0  # stories around
        #: `count_settled_changes` when this matcher last read or wrote: what it read is current
        #: while nobody else changes a settled item
        self.seen_changes = -1
        self.frequent: set[str] = set()  # names more than 3 stories carry: the only ones that can be common
        self.cache: dict[int, _Placed] = {}
        self.recent: dict[int, _Placed] = {}
        self.recent_names: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.recent_hashes: dict[str, list[int]] = defaultdict(list)
        self.recent_stories: dict[int, list[int]] = defaultdict(list)
        # the stored indexes, read for the current chunk (`prepare`)
        self.span: tuple[str, str] = ("", "")  # the chunk's windows, as stored moments
        self.by_hash: dict[str, list[tuple[int, int, str]]] = {}  # content hash -> (id, story, moment)
        #: item id -> the settled items sharing a band key with it, in its window (`prepare`)
        self.band_near: dict[int, list[int]] = {}
        #: item id -> the items of its chunk sharing a band key with it
        self.chunk_near: dict[int, list[int]] = {}
        #: item id -> its story window and its language window, as stored moments (low, high, low, high)
        self.bounds: dict[int, tuple[str, str, str, str]] = {}
        #: (kind, name) -> (id, moment, language or '') of the settled items carrying the name
        self.by_name: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
        #: (kind, name) -> the one language whose items `by_name` left out for it (only items of
        #: that language asked for it: a name's same-language reposts are not its candidates)
        self.name_without: dict[tuple[str, str], str] = {}
        self.name_span: tuple[str, str] = ("", "")
        self.run_name_high = ""  # the last pending item's language window end
        self._common: set[str] | None = None  # `common()`, kept as the counts change
        self._common_limit = 3
        self.members: dict[int, list[tuple[int, str]]] = {}  # story -> (id, moment), newest first
        self.bands = _BandWindow(db, 2 * window)
        self.run_high = ""  # the last pending item's window end: the band window reads no further

    def count_names(self, names: set[str], since: str, until: str) -> None:
        """How many stories around the run carry each name (for its rarity, and 'too common to tell').

        A matcher kept from run to run (`Clustering`) keeps its counts while the runs fall in the
        span they were counted for: `count_story` keeps them current, and only names not met
        before are counted in the database.
        """
        low, high = self.count_span
        if low and low <= since and until <= high:
            missing = names - self.counted
            since, until = low, high
        else:
            if low:  # a span grown to cover both, when they are close enough; this run's names counted
                since, until = _union((low, high), (since, until), self.window * 2 * SPAN_REACHES)
            self.name_counts = defaultdict(int)
            self.counted = set()
            self.frequent = set()
            self._common = None
            self.count_span = since, until
            self.window_size = count_settled_stories(self.db, since, until)
            missing = set(names)
        self.counted |= missing
        if not missing:
            return
        counts = count_name_stories(self.db, missing, since, until)
        self.name_counts.update(counts)
        # counts only grow (`count_story`), and those just read are of names not counted before
        self.frequent |= {name for name, count in counts.items() if count > 3}
        self._common = None

    def count_story(self, names, new_story: bool) -> None:
        """Keep the counts current within the batch: a new story carries its names."""
        if new_story:
            self.window_size += 1
            if self._common is not None and self._limit() != self._common_limit:
                self._common = None  # the bar rose: some common names may no longer be
            for name in names:
                self.name_counts[name] += 1
                if self.name_counts[name] > 3:
                    self.frequent.add(name)
                    if self._common is not None and self.name_counts[name] > self._common_limit:
                        self._common.add(name)

    def _limit(self) -> int:
        """How many stories around must carry a name for it to be common (counts are whole numbers)."""
        return max(3, math.floor(COMMON_NAME_SHARE * self.window_size))

    def common(self) -> set[str]:
        """Names too common around to tell stories apart. Asked for each item: kept, and changed as
        the counts change, instead of being found again among every frequent name each time."""
        if self._common is None:
            self._common_limit = self._limit()
            self._common = {name for name in self.frequent if self.name_counts[name] > self._common_limit}
        return self._common

    def rarity(self, name: str) -> float:
        """A name's weight as evidence: 1 when one story around carries it, 1/n when n stories do."""
        return 1.0 / max(1, self.name_counts.get(name, 0))

    def add(self, placed: _Placed) -> None:
        """An item placed in the current chunk: findable by the next items before it is written."""
        self.recent[placed.id] = placed
        for name in placed.print_.names:
            self.recent_names["name", name].append(placed.id)
        for skeleton in placed.print_.skeletons:
            self.recent_names["rtl" if placed.print_.rtl else "latin", skeleton].append(placed.id)
        if placed.content_hash:
            self.recent_hashes[placed.content_hash].append(placed.id)
        self.recent_stories[placed.story_id].append(placed.id)

    def snapshot(self) -> tuple:
        """What matching a chunk changes, to match it again (`restore`)."""
        return dict(self.name_counts), self.window_size, set(self.frequent), set(self.counted)

    def restore(self, state: tuple) -> None:
        """Undo a chunk's matching: its placements and counts go, and so does every placed item
        read, whose story may have changed (the reason to match again)."""
        counts, self.window_size, self.frequent, self.counted = state
        self.name_counts = defaultdict(int, counts)
        self._common = None
        self.bands = _BandWindow(self.db, 2 * self.window)  # a placed item may have left the settled ones
        self.by_name, self.name_span = {}, ("", "")
        self.name_without.clear()
        for mapping in (self.recent, self.recent_names, self.recent_hashes, self.recent_stories):
            mapping.clear()
        self.cache.clear()

    def settle(self, band_keys: np.ndarray, ids: list[int]) -> None:
        """The chunk (`ids`, with their band keys in rows) is committed: its items are found
        through what was read from the database from now on."""
        self.bands.add(band_keys, ids, [self.recent[i].moment for i in ids])
        for name_key, ids in self.recent_names.items():  # into the names read for this run
            if (rows := self.by_name.get(name_key)) is not None:
                without = self.name_without.get(name_key)
                rows += [
                    (i, p.moment, language)
                    for i in ids
                    if (p := self.recent[i]).moment is not None and (language := p.language or "") != without
                ]
        self.cache.update(self.recent)
        for mapping in (self.recent, self.recent_names, self.recent_hashes, self.recent_stories):
            mapping.clear()

    # -- the stored indexes, read once per chunk ---------------------------------------------

    def prepare(self, chunk: list[_Pending], keys: np.ndarray) -> None:
        """Read what the chunk's items can be matched with: exact copies, band and name neighbours,
        their signatures and names, and the members of the stories they are in."""
        db = self.db
        first, last = min(p.when for p in chunk), max(p.when for p in chunk)
        self.span = low, high = iso(first - self.window), iso(last + self.window)
        name_low, name_high = iso(first - self.language_window), iso(last + self.language_window)
        if not (self.name_span[0] and self.name_span[0] <= name_low and name_high <= self.name_span[1]):
            # the names read stay for the next chunks (they grow as items settle) while their
            # windows fall in this span: read up to a window further, never past the run's end
            further = iso(last + 2 * self.language_window)
            needed = name_low, max(name_high, min(further, self.run_name_high or name_high))
            kept = self.name_span if self.name_span[0] else needed
            self.name_span = _union(kept, needed, self.language_window * 2 * SPAN_REACHES)
            self.by_name = {}
            self.name_without.clear()
        if len(self.cache) > CACHE_ITEMS:  # items left behind every window of this run
            self.cache = {i: p for i, p in self.cache.items() if p.moment is None or p.moment >= low}
        self.by_hash = defaultdict(list)
        hashes = {p.item["content_hash"] for p in chunk if p.item["content_hash"]}
        for content_hash, item_id, story_id, moment in list_settled_by_hash(db, hashes, low, high):
            self.by_hash[content_hash].append((item_id, story_id, moment))
        for rows in self.by_hash.values():
            rows.sort()
        self.bands.cover(low, high, max(high, self.run_high))
        # each item's windows, as stored moments: computed once here, read again by `find`
        self.bounds = {p.item["id"]: _bounds(p.when, self.window, self.language_window) for p in chunk}
        lows = np.asarray([self.bounds[p.item["id"]][0] for p in chunk], dtype=object)
        highs = np.asarray([self.bounds[p.item["id"]][1] for p in chunk], dtype=object)
        near = self.bands.neighbours(keys, lows, highs)
        self.band_near = {p.item["id"]: found for p, found in zip(chunk, near, strict=True)}
        together = _chunk_neighbours(keys)
        self.chunk_near = {
            p.item["id"]: [chunk[n].item["id"] for n in found]
            for p, found in zip(chunk, together, strict=True)
            if found
        }
        common = self.common()
        wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
        for p in chunk:
            for kind, values in self._name_keys(p.print_, common):
                for value in values:
                    wanted[kind, value].add(p.item["language"] or "")
        self._read_names(wanted)
        # the items of name candidates are loaded by `find`, for those that can tell the story:
        # a prisoner's name is carried by dozens of items around, few of them share enough with one
        ids = {i for found in self.band_near.values() for i in found}
        ids |= {i for rows in self.by_hash.values() for i, _, _ in rows}
        self._load(ids)
        # members are read by `find`, for the stories an item is a candidate for (one query per
        # item that has any): read here for every band neighbour's story, they were thousands of
        # stories a chunk, nearly all of them left behind by the similarity check
        self.members = {}

    @staticmethod
    def _name_keys(mine: Fingerprint, common: set[str]) -> list[tuple[str, list[str]]]:
        """The (kind, values) a cross-language twin of `mine` would be indexed under."""
        return [
            ("name", sorted(mine.names - common)),
            ("latin" if mine.rtl else "rtl", sorted(mine.skeletons)),
        ]

    def _read_names(self, wanted: dict[tuple[str, str], set[str]]) -> None:
        """The settled items carrying each wanted (kind, name), for the languages that want it.

        The cross-language rule's only candidates are items in another language: a name wanted by
        items of one language is read without that language's items (a campaign's name has
        dozens of same-language reposts); wanted later by another language, the rest is read
        then. Every other name is read once for all languages, not once per language.
        """
        reads: dict[tuple[str, str | None, str | None], list[str]] = defaultdict(list)
        for key, languages in wanted.items():
            kind, value = key
            if key not in self.by_name:
                self.by_name[key] = []
                only = next(iter(languages)) if len(languages) == 1 else None
                if only is not None:
                    self.name_without[key] = only
                reads[kind, only, None].append(value)
            elif (without := self.name_without.get(key)) is not None and languages - {without}:
                del self.name_without[key]
                reads[kind, None, without].append(value)
        for (kind, not_language, language), values in reads.items():
            for name, item_id, moment, found_in in list_settled_by_names(
                self.db, kind, values, *self.name_span, not_language=not_language, language=language
            ):
                self.by_name[kind, name].append((item_id, moment, found_in))

    def _read_members(self, story_ids: Iterable[int]) -> None:
        missing = [s for s in story_ids if s not in self.members]
        for story_id in missing:
            self.members[story_id] = []
        for story_id, item_id, moment in list_stories_members(self.db, missing, *self.span):
            self.members[story_id].append((item_id, moment))
        for story_id in missing:
            self.members[story_id].sort(reverse=True)

    def _load(self, ids: Iterable[int]) -> None:
        missing = [i for i in ids if i not in self.cache]
        for row in list_match_data(self.db, missing) if missing else []:
            print_ = _print_of(row)
            self.cache[row["id"]] = _Placed(
                row["id"],
                row["story_id"],
                row["language"],
                row["content_hash"],
                row["minhash"],
                row["shingles"],
                print_,
                row["moment"],
            )

    # -- one item ------------------------------------------------------------------------------

    def _recent_in(self, ids, low: str, high: str, not_language: str | None = None) -> list[int]:
        return [
            i
            for i in ids
            if (p := self.recent.get(i)) is not None
            and p.moment is not None
            and low <= p.moment <= high
            and (not_language is None or (p.language or "") != not_language)
        ]

    def _members(self, story_id: int, low: str, high: str) -> list[_Placed]:
        if story_id not in self.members:  # a story met only through an item of this chunk
            self._read_members([story_id])
        ids = [i for i, moment in self.members[story_id] if low <= moment <= high][:MAX_MEMBERS]
        self._load(ids)
        members = [self.cache[i] for i in ids if i in self.cache]
        members += [self.recent[i] for i in self._recent_in(self.recent_stories.get(story_id, ()), low, high)]
        return sorted(members, key=lambda p: -p.id)[:MAX_MEMBERS]

    def _near(self, minhash, size: int, other: _Placed) -> tuple[bool, float]:
        return is_near_duplicate(minhash, size, other.minhash, other.size, self.threshold, self.containment)

    def find(self, item: dict, minhash, size: int, mine: Fingerprint) -> tuple[int | None, str]:
        item_id = item["id"]
        low, high, name_low, name_high = self.bounds[item_id]  # `prepare` computed them for the chunk
        exact = next(
            (
                (i, story_id)
                for i, story_id, moment in self.by_hash.get(item["content_hash"], ())
                if i != item_id and low <= moment <= high
            ),
            None,
        )
        twins = (
            [
                (i, self.recent[i].story_id)
                for i in self._recent_in(self.recent_hashes[item["content_hash"]], low, high)
                if i != item_id
            ]
            if item["content_hash"] in self.recent_hashes
            else []
        )
        if exact or twins:  # the same text: whatever story it is in, this one is in it too
            return min([*([exact] if exact else []), *twins])[1], "exact"
        candidates: dict[int, tuple[str, float]] = {}  # story -> (how, best Jaccard with a member)
        ids = set(self.band_near.get(item_id, ()))
        ids.discard(item_id)
        self._load(ids)
        near = [self.cache[i] for i in ids if i in self.cache]
        if together := self.chunk_near.get(item_id):
            near += [self.recent[i] for i in self._recent_in(together, low, high)]
        near = sorted((p for p in near if p.id != item_id), key=lambda p: p.id)
        if near and size >= MIN_SHINGLES:  # one numpy pass over the band neighbours (tens of them per item)
            matrix = np.frombuffer(b"".join([p.blob for p in near]), dtype=np.uint64).reshape(len(near), NUM_PERM)
            similarities = jaccards(minhash, matrix)
            sizes = [p.size for p in near]
            for index in near_rows(similarities, size, sizes, self.threshold, self.containment):
                other, jaccard = near[index], float(similarities[index])
                if jaccard > candidates.get(other.story_id, ("", -1.0))[1]:
                    candidates[other.story_id] = ("near", jaccard)
        common = self.common()
        language = item["language"] or ""
        keys = self._name_keys(mine, common)
        unread = {  # names only it brings (`prepare` read those of the chunk)
            (kind, v): {language}
            for kind, values in keys
            for v in values
            if (kind, v) not in self.by_name or self.name_without.get((kind, v)) not in (None, language)
        }
        if unread:
            self._read_names(unread)
        # What each item in another language shares with this one: for the same script, the
        # names it carries are the shared names (`shared_names`), so their count and weight are
        # known here, and an item that cannot reach the rule's bar is not loaded nor compared.
        # Items found through a skeleton (the other script) are always compared.
        hits: dict[int, int] = defaultdict(int)
        evidence: dict[int, float] = defaultdict(float)
        skeletal: set[int] = set()
        for kind, values in keys:
            for value in values:
                found = [
                    i
                    for i, moment, other in self.by_name[kind, value]
                    if other != language and name_low <= moment <= name_high
                ]
                if recent := self.recent_names.get((kind, value)):
                    found += self._recent_in(recent, name_low, name_high, language)
                if kind != "name":
                    skeletal.update(found)
                    continue
                weight = self.rarity(value)
                for i in found:
                    hits[i] += 1
                    evidence[i] += weight
        ids = skeletal | {
            i for i, count in hits.items() if count >= MIN_SHARED_NAMES and evidence[i] >= LEAST_EVIDENCE - 1e-9
        }
        ids.discard(item_id)
        self._load(i for i in ids if i not in self.recent)
        others = [p for i in ids if (p := self.recent.get(i) or self.cache.get(i)) is not None]
        for other in sorted(others, key=lambda p: p.id):
            if (
                other.story_id not in candidates
                and other.language != item["language"]
                and same_story_across_languages(mine, other.print_, common, self.rarity)
            ):
                candidates[other.story_id] = ("language", 0.0)
        self._read_members(candidates)  # the stories not read yet, in one query
        best, best_key = None, None
        for story_id, (how, jaccard) in candidates.items():
            members = self._members(story_id, low, high)
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


def _print_of(stored: dict) -> Fingerprint:
    """The fingerprint a stored row of match data (`list_match_data`) holds."""
    mine = stored["names"]
    return Fingerprint(
        names=frozenset([n for k, n in mine if k == "name"]),
        numbers=frozenset(stored["numbers"]),
        rtl=bool(stored["rtl"]),
        skeletons=frozenset([n for k, n in mine if k == "latin" or k == "rtl"]),
    )


def _match_row(item_id: int, blob: bytes, size: int, mine: Fingerprint) -> dict:
    """An item's signature and names as `save_match_data` stores them."""
    return {
        "item_id": item_id,
        "minhash": blob,
        "shingles": size,
        "numbers": mine.numbers,
        "rtl": mine.rtl,
        "names": [("name", n) for n in mine.names] + [("rtl" if mine.rtl else "latin", k) for k in mine.skeletons],
    }


def _sign(item: dict) -> tuple[bytes, int, Fingerprint]:
    """(signature bytes, shingle count, fingerprint) of an item's title and text."""
    text = _item_text(item)
    values, size = signature_of(text)
    return to_bytes(values), size, fingerprint(text, item["language"])


#: Seconds of signing per step while waiting for the write turn (`aggregator.db.take_turn`):
#: the writer handing the turn over waits for this step to end.
STEP_SECONDS = 0.002
#: Items signed while waiting and held in memory until the next write saves them.
MAX_SIGNED = 400


class SigningAhead:
    """Computes and stores the signatures and names of new items ahead of placing them.

    Signing is a third of placing an item (MinHash over its shingles, its names and numbers),
    and it needs nothing placed before. A crawl's tagging child, idle while it waits for the
    next placed chunk or for its write turn, signs ahead (`crawlers.folding`), so the folding
    child, the crawl's slowest step, only reads what was stored. A row computed from a text
    that a revision replaced meanwhile is not saved (`save_new_match_data`).

    Items are signed in sweeps from the newest down (the folding child places from the
    oldest up), a page at a time; a sweep goes down to where the last one began, so no item
    is looked at twice: looking again at every unplaced item for each page cost more than
    the signing on a crawl of 100,000 items (benchmarks/clustering.py). What is signed while
    waiting for the write turn (`sign_some`) is held in memory and saved by the next write
    (`save`, inside it).
    """

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self.done = 0  # every new item up to this id has been looked at
        self.top = 0  # the current sweep began at this id (0: none under way)
        self.floor = 0  # and has come down to this id
        self.stopped = False  # set by a caller that stops signing ahead after a failure
        self.unsigned: deque[dict] = deque()  # read, not signed yet
        self.signed: list[dict] = []  # signed, not saved yet

    def _read(self, limit: int) -> int:
        """Read the sweep's next `limit` items; how many (0: none waits)."""
        if not self.top:
            newest = newest_unplaced_id(self.db)
            if newest <= self.done:
                return 0
            self.top, self.floor = newest, newest + 1
        page = list_unsigned_new_items(self.db, self.done, self.floor, limit)
        if len(page) < limit:  # the sweep is over
            self.done, self.top = self.top, 0
        else:
            self.floor = page[-1]["id"]
        self.unsigned.extend(page)
        return len(page)

    def _sign_next(self) -> None:
        item = self.unsigned.popleft()
        blob, size, mine = _sign(item)
        row = _match_row(item["id"], blob, size, mine)
        self.signed.append({**row, "content_hash": item["content_hash"], "language": item["language"]})

    def page(self, limit: int = CHUNK_ITEMS) -> int:
        """Sign the next `limit` items of the sweep and save them, with what was signed while
        waiting; how many were signed (0: none waits)."""
        if len(self.unsigned) < limit:
            self._read(limit - len(self.unsigned))
        count = min(limit, len(self.unsigned))
        for _ in range(count):
            self._sign_next()
        if self.signed:
            with writing(self.db, while_waiting=self.sign_some):
                self.save()
        return count

    def sign_some(self) -> bool:
        """Sign for about STEP_SECONDS, into memory; False when nothing is left, memory holds
        MAX_SIGNED items, or signing failed (then it stops: the folding child signs the rest).
        For `writing(db, while_waiting=...)`: it only reads."""
        if self.stopped or len(self.signed) >= MAX_SIGNED:
            return False
        try:
            if not self.unsigned and not self._read(SIGN_PAGE_ITEMS):
                return False
            deadline = time.perf_counter() + STEP_SECONDS
            self._sign_next()
            while self.unsigned and len(self.signed) < MAX_SIGNED and time.perf_counter() < deadline:
                self._sign_next()
        except Exception as error:  # a broken read or text: what is left is signed when placed
            logger.info("signing ahead stopped: %s: %s", type(error).__name__, error)
            self.stopped = True
            self.unsigned.clear()
            return False
        return True

    def save(self) -> None:
        """Save what was signed and not saved yet; call inside `writing(db)`.

        In a savepoint of its own: it joins the tagging child's writes, and a save that fails
        (a broken table) leaves no signature without its names and the tags still written; signing
        ahead stops then, and the folding child signs what is left.
        """
        rows, self.signed = self.signed, []
        if not rows or self.stopped:
            return
        try:
            with self.db.atomic():
                save_new_match_data(self.db, rows)
        except sqlite3.Error as error:
            logger.info("signing ahead stopped: %s: %s", type(error).__name__, error)
            self.stopped = True
            self.unsigned.clear()


#: Items read at a time by `SigningAhead.sign_some`.
SIGN_PAGE_ITEMS = 100


class _Completing:
    """Gives a chunk's items their fingerprint and signature: what is stored for them, else
    computed from their text (read a chunk at a time, and dropped).

    A signature stored for an unchanged text is reused; so are the names stored for a new item
    signed ahead. An item placed again (a rebuild, a revision) has its names found again: the
    rules that find them may have changed since it was placed. A run completes the next chunk
    in steps while it waits for the write turn to place the current one
    (`aggregator.db.take_turn`), and finishes it before placing it.
    """

    def __init__(self, db: sqlite_utils.Database, chunk: list[_Pending]):
        self.db, self.chunk = db, chunk
        self.todo: deque[tuple[_Pending, str, dict | None]] | None = None  # (item, text, stored row)

    def _read(self) -> None:
        """What is stored for the chunk's items, and the texts of those that must be computed."""
        db, chunk = self.db, self.chunk
        stored = {row["id"]: row for row in list_match_data(db, [p.item["id"] for p in chunk])}
        reading = [p.item["id"] for p in chunk if not (p.new and p.item["id"] in stored)]
        texts = {row["id"]: row for row in list_items_for_indexing(db, reading)} if reading else {}
        self.todo = deque()
        for p in chunk:
            found = stored.get(p.item["id"])
            if found is not None and p.new:
                self._take(p, found)
            else:
                # title and text of one read: the title read with the pending items may be older
                text = _item_text(texts.get(p.item["id"], {"title": p.item["title"], "text": ""}))
                self.todo.append((p, text, found))

    @staticmethod
    def _take(p: _Pending, stored: dict) -> None:
        """A new item's signature and names as stored (signed ahead): read, not computed, nor written again."""
        p.blob, p.size, p.print_, p.signed = stored["minhash"], stored["shingles"], _print_of(stored), True

    @staticmethod
    def _compute(p: _Pending, text: str, found: dict | None) -> None:
        p.print_ = fingerprint(text, p.item["language"])
        if found is not None:
            p.blob, p.size = found["minhash"], found["shingles"]
        else:
            values, p.size = signature_of(text)
            p.blob = to_bytes(values)

    def step(self) -> bool:
        """About STEP_SECONDS of it; False when it is done. Only reads: for `writing(db, while_waiting=...)`."""
        if not self.chunk:
            return False
        if self.todo is None:
            self._read()
            return True
        deadline = time.perf_counter() + STEP_SECONDS
        while self.todo:
            self._compute(*self.todo.popleft())
            if time.perf_counter() >= deadline:
                break
        return bool(self.todo)

    def finish(self) -> None:
        """The rest of it. New items signed ahead meanwhile (`SigningAhead`) are read, not computed."""
        if self.todo is None:
            self._read()
        assert self.todo is not None
        waiting = [p.item["id"] for p, _, found in self.todo if p.new and found is None]
        stored = {row["id"]: row for row in list_match_data(self.db, waiting)} if waiting else {}
        while self.todo:
            p, text, found = self.todo.popleft()
            if (row := stored.get(p.item["id"])) is not None:
                self._take(p, row)
            else:
                self._compute(p, text, found)


def _prepare(db: sqlite_utils.Database) -> list[_Pending]:
    """Every item waiting to be placed, in publication order, without its text.

    A run reads its items' texts a chunk at a time (`_Completing`), just before the chunk is
    placed: memory holds a chunk's texts, never a rebuild's, and meanwhile the tagging child
    may have signed the items (`SigningAhead`), so that they are read, not computed.
    """
    pending: list[_Pending] = []
    after = 0
    while page := list_pending_items(db, after, PAGE_ITEMS):
        after = page[-1]["id"]
        for item in page:
            new = bool(item.pop("new"))
            pending.append(_Pending(item, moment_of(item), new))
    pending.sort(key=lambda p: (p.when, p.item["id"]))
    return pending


class Clustering:
    """Places the items waiting for a story, run after run, keeping what it has read between runs.

    A crawl's folding child runs a pass each time the crawl has committed new items (100 to
    800 passes in the benchmark's crawl of 1,000 feeds: `crawlers.folding`). Each pass read
    again the window's signatures and band keys, the names around and their counts; kept
    from pass to pass, with what each pass places added as it settles, only what is new is read. What was read stays
    right while nobody else changes a placed item: `count_settled_changes` (triggers on
    `items`) tells when an editor moved one, a story went or a text changed, and the next run,
    or the chunk being written, reads afresh.
    """

    def __init__(
        self, db: sqlite_utils.Database, threshold: float = 0.5, containment: float = 0.7, window_days: int = 10
    ):
        self.db, self.threshold, self.containment = db, threshold, containment
        self.window = timedelta(days=window_days)
        self.matcher = _Matcher(db, self.window, threshold, containment)

    def run(
        self, reuse: dict[int, int] | None = None, placed: Callable[[list[int]], object] | None = None
    ) -> ClusterReport:
        """Place every item that has no story yet, or is marked to be placed again (`reprocess`).

        Items are placed in publication order, CHUNK_ITEMS per write transaction. A chunk's items
        leave their old story, are placed, and their stories refreshed in that one transaction,
        so an interrupted run leaves every item either placed or still waiting (no story, or
        `reprocess = 1`) for the next run, never a story half refreshed. An item that opens a new
        story keeps its old story's id (or `reuse[item id]`) when nothing else placed is in it.
        `placed(item_ids)` is called with each chunk's items once it is committed (a crawl tags
        them in another process meanwhile).
        """
        db, window = self.db, self.window
        report = ClusterReport()
        changes = count_settled_changes(db)  # before anything is read
        if changes != self.matcher.seen_changes:
            self.matcher = _Matcher(db, window, self.threshold, self.containment)
            self.matcher.seen_changes = changes
        matcher = self.matcher
        pending = _prepare(db)
        if not pending:
            return report
        reuse = dict(reuse or {})
        pins = pins_by_item(db)
        pin_story = list_pin_stories(db)
        used = set(pin_story.values())
        matcher.run_high = iso(pending[-1].when + window)
        matcher.run_name_high = iso(pending[-1].when + matcher.language_window)
        since, until = iso(pending[0].when - window), iso(pending[-1].when + window)
        upcoming = _Completing(db, pending[:CHUNK_ITEMS])
        for start in range(0, len(pending), CHUNK_ITEMS):
            chunk = upcoming.chunk
            upcoming.finish()
            # the next chunk is signed while this one waits for its write turn, if it must
            upcoming = _Completing(db, pending[start + CHUNK_ITEMS : start + 2 * CHUNK_ITEMS])
            # counted for the run's span, a chunk's new names at a time: a name first met in a
            # chunk is carried by no item placed before it in this run, so its count is the same
            matcher.count_names({n for p in chunk for n in p.print_.names}, since, until)
            matrix = band_key_matrix(np.stack([p.minhash for p in chunk]))
            _place_chunk(db, chunk, matrix, pins, pin_story, used, reuse, matcher, report, upcoming.step)
            matcher.settle(matrix, [p.item["id"] for p in chunk])
            if placed is not None:
                placed([p.item["id"] for p in chunk])
        return report


def cluster_new_items(
    db: sqlite_utils.Database,
    threshold: float = 0.5,
    containment: float = 0.7,
    window_days: int = 10,
    reuse: dict[int, int] | None = None,
    placed: Callable[[list[int]], object] | None = None,
) -> ClusterReport:
    """Place every item waiting for a story: one run of a new `Clustering` (see `Clustering.run`)."""
    return Clustering(db, threshold, containment, window_days).run(reuse, placed)


@dataclass
class _Decision:
    pending: _Pending
    story_id: int  # negative: a story the chunk opens
    how: str
    placed: _Placed


def _place_chunk(
    db, chunk: list[_Pending], keys, pins, pin_story, used, reuse, matcher, report, while_waiting=None
) -> None:
    """Place one chunk of items: matched first, then written in one short `writing(db)`
    (`while_waiting`: work done in steps while another process holds the write turn).

    Matching a chunk takes a few milliseconds per item; inside the write transaction it held
    SQLite's lock all that time and a crawl storing alongside (`crawlers.folding`) waited for
    it. The chunk is matched outside, on what is settled (only settled items are candidates,
    and a crawl only adds unsettled ones), and written in a transaction that first checks that
    no settled item changed meanwhile (`count_settled_changes`); if one did (an editor merged
    a story, moved an item), the chunk is matched again inside the transaction, on fresh reads.
    """
    snapshot = (dict(pin_story), set(used), matcher.snapshot())
    decisions = _match_chunk(db, chunk, keys, pins, pin_story, matcher)
    with writing(db, while_waiting):
        if count_settled_changes(db) != matcher.seen_changes:
            pin_story.clear()
            pin_story.update(snapshot[0])
            used.clear()
            used.update(snapshot[1])
            matcher.restore(snapshot[2])
            decisions = _match_chunk(db, chunk, keys, pins, pin_story, matcher)
        _write_chunk(db, decisions, pin_story, used, reuse, report)
        matcher.seen_changes = count_settled_changes(db)  # this chunk's own changes are known


def _match_chunk(db, chunk: list[_Pending], keys, pins, pin_story, matcher) -> list[_Decision]:
    """The story each item of the chunk joins (a new one: a negative id, shared by the items that join it)."""
    matcher.prepare(chunk, keys)
    decisions: list[_Decision] = []
    opened = 0
    for pending in chunk:
        item, mine = pending.item, pending.print_
        pin = pins.get(item["id"])
        if pin is not None:
            story_id, how = pin_story.get(pin), "pinned"
        else:
            story_id, how = matcher.find(item, pending.minhash, pending.size, mine)
        new = story_id is None
        if new:
            opened += 1
            story_id = -opened  # a story this chunk opens: its id comes when it is written
            if pin is not None:
                pin_story.setdefault(pin, story_id)
        placed = _Placed(
            item["id"],
            story_id,
            item["language"],
            item["content_hash"],
            pending.blob,
            pending.size,
            mine,
            item["published_at"] or item["fetched_at"],
        )
        decisions.append(_Decision(pending, story_id, how, placed))
        matcher.add(placed)
        matcher.count_story(mine.names, new_story=new)
    return decisions


def _write_chunk(db, decisions: list[_Decision], pin_story, used, reuse, report) -> None:
    """Write the chunk's placements; call inside one `writing(db)`."""
    now = iso(utcnow())
    ids = [d.pending.item["id"] for d in decisions]
    # items still in a story (changed, or a rebuild) leave it first
    leaving = {i: s for i, s in list_item_story_ids(db, ids).items() if s is not None}
    detach_items(db, list(leaving))
    touched: set[int] = set(leaving.values())
    real: dict[int, int] = {}  # the chunk's new stories: placeholder -> id
    placements, match_rows = [], []
    for decision in decisions:
        item, mine, placeholder = decision.pending.item, decision.pending.print_, decision.story_id
        report.items += 1
        report.item_ids.append(item["id"])
        if placeholder < 0 and placeholder not in real:  # the item that opens the story
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
            real[placeholder] = story_id
            used.add(story_id)
            report.new_stories += 1
        else:
            story_id = real.get(placeholder, placeholder)
            report.folded += 1
            report.exact += decision.how == "exact"
            report.near_duplicates += decision.how == "near"
            report.across_languages += decision.how == "language"
        decision.placed.story_id = story_id
        placements.append((item["id"], story_id))
        if not decision.pending.signed:
            match_rows.append(_match_row(item["id"], decision.pending.blob, decision.pending.size, mine))
        touched.add(story_id)
    for pin, story_id in list(pin_story.items()):
        if story_id is not None and story_id < 0:
            pin_story[pin] = real[story_id]
    save_match_data(db, match_rows)
    place_items(db, placements)
    refresh_stories(db, sorted(touched))  # once per story and chunk, not once per item


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
