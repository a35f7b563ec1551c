"""Cluster 100,000 generated items arriving in batches of 1,000, as a crawl delivers them.

The real path: each batch is stored in SQLite with `save_item` and placed by
`cluster_new_items` (exact copies, MinHash/LSH near-duplicates, cross-language names),
which loads the story window (10 days) from the stored signatures. Items are spread
over 100 days, 1,000 a day, so the window holds about 11,000 items whatever the total.

Figures: total time, peak memory, the cost of one batch when ~10,000 and ~100,000 items
are stored (must stay nearly flat: <= 2x), and, as the reference in the same run,
brute-force pairwise Jaccard over 5,000 of the items. Targets (issue 4): 100,000 items
<= 120 s and peak memory <= 1.5 GB on 2 cores.

Synthetic items: each story has an original of 150-300 words from a 5,000-word
vocabulary with three capitalised names, and 0-3 reposts (a part cut, words changed,
boilerplate added); some stories get a retelling in another language that shares only
the names and a number.
"""

from __future__ import annotations

import itertools
import random
import resource
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from aggregator.clustering import cluster_new_items
from aggregator.db import open_db, writing
from aggregator.dedupe import shingles
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source
from aggregator.text import content_hash
from benchmarks.record import record

TOTAL, BATCH, REFERENCE = 100_000, 1_000, 5_000
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def generate(total: int, seed: int = 1):
    """[(key, story, language, title, text, published)] in publication order."""
    rng = random.Random(seed)
    vocabulary = [f"w{n}" for n in range(5_000)]
    items, story = [], 0
    while len(items) < total:
        when = START + timedelta(days=len(items) / 1_000, minutes=rng.randint(0, 600))
        names = [f"Nm{rng.randrange(200_000)}" for _ in range(3)]
        words = rng.choices(vocabulary, k=rng.randint(150, 300))
        for position, name in zip((20, 60, 110), names):
            words.insert(position, name)
        number = str(rng.randint(10, 400))
        words.insert(5, number)
        text = "the " + " ".join(words)
        items.append((f"s{story}-0", story, "en", f"Story {story}", text, when))
        for copy in range(rng.randint(0, 3)):
            edited = list(words)
            cut = rng.randint(0, len(edited) // 4)
            edited = edited[cut:] if rng.random() < 0.5 else edited[: len(edited) - cut]
            for _ in range(rng.randint(0, 5)):
                edited[rng.randrange(len(edited))] = rng.choice(vocabulary)
            items.append((f"s{story}-{copy + 1}", story, "en", f"Repost {story}",
                          "the following was sent to us " + " ".join(edited), when + timedelta(hours=copy + 1)))
        if rng.random() < 0.1:
            other = rng.choices(vocabulary, k=rng.randint(100, 200))
            other[10:10] = names[:2] + [number]
            items.append((f"s{story}-de", story, "de", f"Bericht {story}", "der " + " ".join(other),
                          when + timedelta(days=1)))
        story += 1
    return sorted(items[:total], key=lambda item: item[5])


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    items = generate(TOTAL)
    folder = Path(tempfile.mkdtemp(prefix="wire-bench-"))
    db = open_db(folder / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "bench", "feed")
    batch_seconds: dict[int, float] = {}
    clustering_seconds = 0.0
    started = time.perf_counter()
    for offset in range(0, TOTAL, BATCH):
        batch_start = time.perf_counter()
        with writing(db):
            for key, _, language, title, text, when in items[offset: offset + BATCH]:
                save_item(db, {"source_id": source, "guid": key, "url": f"http://127.0.0.1/{key}",
                               "canonical_url": f"http://127.0.0.1/{key}", "title": title, "text": text,
                               "summary": text[:100], "language": language, "published_at": when.isoformat(),
                               "content_hash": content_hash(title, text)})
        cluster_start = time.perf_counter()
        cluster_new_items(db)
        clustering_seconds += time.perf_counter() - cluster_start
        batch_seconds[offset + BATCH] = time.perf_counter() - batch_start
    total = time.perf_counter() - started
    at_10k = sum(batch_seconds[n] for n in range(9_000, 12_000, 1_000)) / 3
    at_100k = sum(batch_seconds[n] for n in range(98_000, 101_000, 1_000)) / 3
    story_of = {f"http://127.0.0.1/{key}": None for key, *_ in items}
    for row in db.query("SELECT url, story_id FROM items"):
        story_of[row["url"]] = row["story_id"]
    truth = {f"http://127.0.0.1/{key}": story for key, story, *_ in items}
    found: dict[int, set[int]] = {}
    for url, story_id in story_of.items():
        found.setdefault(story_id, set()).add(truth[url])
    impure = sum(1 for stories in found.values() if len(stories) > 1)
    generated = len(set(truth.values()))
    sample = items[:REFERENCE]
    ref_start = time.perf_counter()
    sets = [shingles(text) for *_, text, _ in sample]
    pairs = sum(1 for a, b in itertools.combinations(range(len(sets)), 2)
                if (inter := len(sets[a] & sets[b])) and inter / len(sets[a] | sets[b]) >= 0.5)
    reference = time.perf_counter() - ref_start
    first_5k = sum(batch_seconds[n] for n in range(1_000, REFERENCE + 1, 1_000))
    record("Story clustering in SQLite, 100,000 generated items in batches of 1,000 (benchmarks/clustering.py)", [
        f"- total: {total:.1f} s for {TOTAL:,} items, storing and clustering ({TOTAL / total:,.0f} items/s); "
        f"target <= 120 s; of which clustering {clustering_seconds:.1f} s and storing the items "
        f"{total - clustering_seconds:.1f} s",
        f"- peak memory (max RSS): {peak_mb():,.0f} MB; target <= 1,536 MB",
        f"- one batch of 1,000 with ~10,000 stored: {at_10k:.2f} s; with ~100,000 stored: {at_100k:.2f} s; "
        f"ratio {at_100k / at_10k:.2f} (target <= 2)",
        f"- stories: {len(found):,} found for {generated:,} generated; stories mixing two generated stories: {impure}",
        f"- reference, brute-force pairwise Jaccard over the first {REFERENCE:,} items: {reference:.1f} s "
        f"({pairs:,} pairs >= 0.5); the real path stored and clustered those {REFERENCE:,} in {first_5k:.1f} s",
    ])


if __name__ == "__main__":
    main()
