"""Cluster 100,000 generated items arriving in batches of 1,000, as a crawl delivers them.

Figures: total time, peak memory, the cost of one batch with 10,000 and with 100,000
items stored (must stay nearly flat), and, as the reference in the same run, brute-force
pairwise Jaccard over 5,000 of the items. Targets (issue 4): 100,000 items <= 120 s and
peak memory <= 1.5 GB on 2 cores; batch cost at 100k <= 2x the cost at 10k.

The items are synthetic: each story has an original of 150-300 words drawn from a
vocabulary of 5,000 words, and 0-3 reposts with edits (a paragraph dropped, words
changed, boilerplate added), so that about a third of the items are duplicates.
"""

from __future__ import annotations

import itertools
import random
import resource
import time

from aggregator.dedupe import NearDuplicateIndex, shingles, signature
from benchmarks.record import record

TOTAL, BATCH, REFERENCE = 100_000, 1_000, 5_000


def generate(total: int, seed: int = 1):
    rng = random.Random(seed)
    vocabulary = [f"w{n}" for n in range(5_000)]
    items, story = [], 0
    while len(items) < total:
        words = rng.choices(vocabulary, k=rng.randint(150, 300))
        original = " ".join(words)
        items.append((f"s{story}-0", story, original))
        for copy in range(rng.randint(0, 3)):
            edited = list(words)
            cut = rng.randint(0, len(edited) // 4)
            edited = edited[cut:] if rng.random() < 0.5 else edited[: len(edited) - cut]
            for _ in range(rng.randint(0, 5)):
                edited[rng.randrange(len(edited))] = rng.choice(vocabulary)
            items.append((f"s{story}-{copy + 1}", story, "the following was sent to us " + " ".join(edited)))
        story += 1
    return items[:total]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    items = generate(TOTAL)
    index = NearDuplicateIndex(0.5, 0.7)
    batch_seconds: dict[int, float] = {}
    assigned: dict[str, str] = {}
    started = time.perf_counter()
    for offset in range(0, TOTAL, BATCH):
        batch_start = time.perf_counter()
        for key, _, text in items[offset: offset + BATCH]:
            minhash, size = signature(text), len(shingles(text))
            matches = index.match(minhash, size)
            assigned[key] = assigned[matches[0].key] if matches else key
            index.add(key, minhash, size)
        batch_seconds[offset + BATCH] = time.perf_counter() - batch_start
    total = time.perf_counter() - started
    at_10k = sum(batch_seconds[n] for n in range(9_000, 12_000, 1_000)) / 3
    at_100k = sum(batch_seconds[n] for n in range(98_000, 101_000, 1_000)) / 3
    truth = {key: story for key, story, _ in items}
    stories_found = {value for value in assigned.values()}
    # the reference: brute-force pairwise Jaccard over 5,000 items
    sample = items[:REFERENCE]
    ref_start = time.perf_counter()
    sets = [shingles(text) for _, _, text in sample]
    pairs = 0
    for a, b in itertools.combinations(range(len(sets)), 2):
        inter = len(sets[a] & sets[b])
        if inter and inter / len(sets[a] | sets[b]) >= 0.5:
            pairs += 1
    reference = time.perf_counter() - ref_start
    lsh_sample = sum(batch_seconds[n] for n in range(1_000, REFERENCE + 1, 1_000))
    correct = sum(1 for key, story, _ in items if truth[assigned[key].rsplit("-", 1)[0] + "-0"] == story
                  if assigned[key].rsplit("-", 1)[0] + "-0" in truth)
    record("Story clustering, 100,000 generated items in batches of 1,000 (benchmarks/clustering.py)", [
        f"- total: {total:.1f} s for {TOTAL:,} items ({TOTAL / total:,.0f} items/s); target <= 120 s",
        f"- peak memory (max RSS): {peak_mb():,.0f} MB; target <= 1,536 MB",
        f"- one batch of 1,000 with ~10,000 stored: {at_10k:.2f} s; with ~100,000 stored: {at_100k:.2f} s; "
        f"ratio {at_100k / at_10k:.2f} (target <= 2)",
        f"- stories found: {len(stories_found):,} for {len(set(truth.values())):,} generated; "
        f"items placed in their own story: {correct / TOTAL:.3f}",
        f"- reference, brute-force pairwise Jaccard over {REFERENCE:,} items: {reference:.1f} s "
        f"({pairs:,} pairs >= 0.5) vs MinHash/LSH on the same first {REFERENCE:,}: {lsh_sample:.1f} s",
    ])


if __name__ == "__main__":
    main()
