"""Cluster 100,000 generated items arriving in batches of 1,000, as a crawl delivers them.

The real path: each batch is stored in SQLite with `save_item`, placed by
`cluster_new_items` (exact copies, MinHash/LSH near-duplicates, cross-language names) and
tagged and indexed by `index_items`, the step every crawl pays after clustering. Items are
spread over 100 days, 1,000 a day, so the story window (10 days) holds about 11,000 items
whatever the total.

Figures: total time, peak memory, the cost of one batch when ~10,000 and ~100,000 items
are stored (must stay nearly flat: <= 1.5x), and, as the reference in the same run,
brute-force pairwise Jaccard over 5,000 of the items. Then the same path on real article
text: the ../shared/corpus bodies (as `benchmarks.story_sets.corpus_bodies` loads them),
repeated with edits (a cut, words changed, boilerplate) to reach 10,000 items, in items per
second beside the generated text's. Targets (issue 9): 100,000 items <= 60 s in all on 2 cores.

Synthetic items: each story has an original of 150-300 words from a 5,000-word
vocabulary (letters only, like real words) with three capitalised names, and 0-3 reposts (a part cut, words changed,
boilerplate added); some stories get a retelling in another language that shares only
the names and a number.

Usage: `.venv/bin/python -m benchmarks.clustering [TOTAL [REAL_TOTAL]]` (100,000 and 10,000 by default;
other sizes are for profiling and comparisons, printed and not recorded).
"""

from __future__ import annotations

import bisect
import itertools
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aggregator.clustering import cluster_new_items
from aggregator.db import open_db, writing
from aggregator.dedupe import shingles
from aggregator.indexing import index_items
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source
from aggregator.storage.stories import count_stories
from aggregator.text import content_hash
from benchmarks.record import record

TOTAL, BATCH, REFERENCE, REAL_TOTAL, REAL_REFERENCE = 100_000, 1_000, 5_000, 10_000, 2_000
START = datetime(2026, 1, 1, tzinfo=UTC)


def letters(number: int) -> str:
    """A word of letters for a number ("b", "ba", ...): generated words carry no digits, as words of
    real text do not (digits would make every word a number to the cross-language rule)."""
    word = ""
    while True:
        number, rest = divmod(number, 26)
        word = "abcdefghijklmnopqrstuvwxyz"[rest] + word
        if not number:
            return word


def generate(total: int, seed: int = 1):
    """[(key, story, language, title, text, published)] in publication order."""
    rng = random.Random(seed)
    vocabulary = [f"w{letters(n)}" for n in range(5_000)]
    items, story = [], 0
    while len(items) < total:
        when = START + timedelta(days=len(items) / 1_000, minutes=rng.randint(0, 600))
        names = [f"Nm{letters(rng.randrange(200_000))}" for _ in range(3)]
        words = rng.choices(vocabulary, k=rng.randint(150, 300))
        for position, name in zip((20, 60, 110), names, strict=True):
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
            items.append(
                (
                    f"s{story}-{copy + 1}",
                    story,
                    "en",
                    f"Repost {story}",
                    "the following was sent to us " + " ".join(edited),
                    when + timedelta(hours=copy + 1),
                )
            )
        if rng.random() < 0.1:
            other = rng.choices(vocabulary, k=rng.randint(100, 200))
            other[10:10] = names[:2] + [number]
            items.append(
                (f"s{story}-de", story, "de", f"Bericht {story}", "der " + " ".join(other), when + timedelta(days=1))
            )
        story += 1
    return sorted(items[:total], key=lambda item: item[5])


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def real_items(total: int, seed: int = 2):
    """The corpus bodies repeated with edits to reach `total` items, 1,000 a day, in the same form as `generate`."""
    from benchmarks.story_sets import corpus_bodies

    bodies = [(title, body, language) for _, title, body, language in corpus_bodies()]
    if not bodies:
        return []
    rng = random.Random(seed)
    items = []
    for n in range(total):
        title, body, language = bodies[n % len(bodies)]
        copy = n // len(bodies)
        if copy:  # a partner's repost: a part cut, words changed, its boilerplate around it
            words = body.split()
            cut = rng.randint(0, len(words) // 4)
            words = words[cut:] if rng.random() < 0.5 else words[: len(words) - cut]
            for _ in range(rng.randint(0, 8)):
                if words:
                    words[rng.randrange(len(words))] = rng.choice(words)
            body = f"Reposted by partner {copy}. " + " ".join(words) + f" (c) partner {copy}"
        when = START + timedelta(days=n / 1_000, minutes=rng.randint(0, 600))
        items.append((f"r{n}", n % len(bodies), language, title, body, when))
    return sorted(items, key=lambda item: item[5])


def run_path(items) -> dict:
    """Store, cluster and index `items` in batches of BATCH, as crawls do; the figures of the run.

    Wall-clock seconds and this process's CPU seconds (`time.process_time`) for each phase and
    each batch: on a shared machine the CPU seconds are what other load does not inflate.
    """
    folder = Path(tempfile.mkdtemp(prefix="wire-bench-"))
    db = open_db(folder / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "bench", "feed")
    run: dict = {"batch": {}, "batch_cpu": {}, "db": db}
    for phase in ("store", "cluster", "index"):
        run[phase] = run[f"{phase}_cpu"] = 0.0
    started, cpu_started = time.perf_counter(), time.process_time()
    for offset in range(0, len(items), BATCH):
        marks = [(time.perf_counter(), time.process_time())]
        with writing(db):
            for key, _, language, title, text, when in items[offset : offset + BATCH]:
                save_item(
                    db,
                    {
                        "source_id": source,
                        "guid": key,
                        "url": f"http://127.0.0.1/{key}",
                        "canonical_url": f"http://127.0.0.1/{key}",
                        "title": title,
                        "text": text,
                        "summary": text[:100],
                        "language": language,
                        "published_at": when.isoformat(),
                        "content_hash": content_hash(title, text),
                    },
                )
        marks.append((time.perf_counter(), time.process_time()))
        report = cluster_new_items(db)  # a fresh run per batch (a kept one read wider spans: slower here)
        marks.append((time.perf_counter(), time.process_time()))
        index_items(db, report.item_ids)
        marks.append((time.perf_counter(), time.process_time()))
        for phase, (begin, end) in zip(("store", "cluster", "index"), itertools.pairwise(marks), strict=True):
            run[phase] += end[0] - begin[0]
            run[f"{phase}_cpu"] += end[1] - begin[1]
        run["batch"][offset + BATCH] = marks[-1][0] - marks[0][0]
        run["batch_cpu"][offset + BATCH] = marks[-1][1] - marks[0][1]
    run["total"] = time.perf_counter() - started
    run["cpu"] = time.process_time() - cpu_started
    return run


def exact_pairs(texts: list[str], threshold: float = 0.5) -> set[tuple[int, int]]:
    """Every pair (i, j) of `texts` whose word 3-shingles have an exact Jaccard >= `threshold`.

    The reference: no MinHash, no LSH, no sample of pairs. Each pair's intersection is counted
    through an inverted index of the shingles (a pair that shares none has Jaccard 0), which
    gives the same pairs as comparing all n(n-1)/2 sets one by one, in seconds instead of minutes.
    """
    sets = [shingles(text) for text in texts]
    postings: dict[str, list[int]] = {}
    for number, found in enumerate(sets):
        for shingle in found:
            postings.setdefault(shingle, []).append(number)  # ascending numbers
    pairs = set()
    for i, found in enumerate(sets):  # one text at a time against the later ones: memory stays small
        shared: Counter[int] = Counter()
        for shingle in found:
            members = postings[shingle]
            shared.update(members[bisect.bisect_right(members, i) :])
        pairs.update((i, j) for j, inter in shared.items() if inter / (len(found) + len(sets[j]) - inter) >= threshold)
    return pairs


def reference(items, db, sample: int) -> dict:
    """The path's stories against the exact reference on the first `sample` items: of the pairs
    with Jaccard >= 0.5, how many share a story (recall); and of the same-story pairs in one
    language, how many have an exact Jaccard under 0.2 and another generated story (wrong folds)."""
    chosen = items[:sample]
    story_of = dict(db.execute("SELECT url, story_id FROM items").fetchall())
    stories = [story_of[f"http://127.0.0.1/{key}"] for key, *_ in chosen]
    started = time.perf_counter()
    pairs = exact_pairs([f"{title}\n{text}" for _, _, _, title, text, _ in chosen])
    seconds = time.perf_counter() - started
    together = sum(stories[i] == stories[j] for i, j in pairs)
    return {"items": len(chosen), "pairs": len(pairs), "together": together, "seconds": seconds}


def _phases(run: dict) -> str:
    return ", ".join(
        f"{label} {run[phase]:.1f} s ({run[f'{phase}_cpu']:.1f} s CPU)"
        for phase, label in (("store", "storing"), ("cluster", "clustering"), ("index", "tagging and indexing people"))
    )


def _batch_cost(run: dict, around: int, key: str) -> float:
    """Mean cost of the three batches that end at `around` - 2,000 ... `around` items stored."""
    values = [run[key][n] for n in range(around - 2 * BATCH, around + 1, BATCH) if n in run[key]]
    return sum(values) / len(values)


def main() -> None:
    total_items = int(sys.argv[1]) if len(sys.argv) > 1 else TOTAL
    items = generate(total_items)
    run = run_path(items)
    generated_peak = peak_mb()
    db, total = run["db"], run["total"]
    print(f"generated: {total:.1f} s for {total_items:,} ({_phases(run)})", flush=True)
    low, high = min(10_000, total_items), total_items
    story_of = dict(db.execute("SELECT url, story_id FROM items").fetchall())
    truth = {f"http://127.0.0.1/{key}": story for key, story, *_ in items}
    found: dict[int, set[int]] = {}
    for url, story_id in story_of.items():
        found.setdefault(story_id, set()).add(truth[url])
    impure = sum(1 for stories in found.values() if len(stories) > 1)
    generated = len(set(truth.values()))
    first = sum(run["batch"][n] for n in range(BATCH, min(REFERENCE, total_items) + 1, BATCH))
    real = real_items(int(sys.argv[2]) if len(sys.argv) > 2 else REAL_TOTAL)
    real_run = run_path(real) if real else None
    both_peak = peak_mb()  # before the references, which hold every shingle of their samples
    ref = reference(items, db, REFERENCE)
    ratio = _batch_cost(run, high, "batch") / _batch_cost(run, low, "batch")
    ratio_cpu = _batch_cost(run, high, "batch_cpu") / _batch_cost(run, low, "batch_cpu")
    lines = [
        f"- total: {total:.1f} s wall for {total_items:,} items, storing, clustering and indexing "
        f"({total_items / total:,.0f} items/s); CPU time of the process {run['cpu']:.1f} s "
        f"({total_items / run['cpu']:,.0f} items per CPU second); target <= 60 s; of which {_phases(run)}",
        f"- peak memory (max RSS) after the generated run: {generated_peak:,.0f} MB; target <= 1,536 MB",
        f"- one batch of 1,000 (store, cluster, index) with ~{low:,} stored: {_batch_cost(run, low, 'batch'):.2f} s "
        f"wall, {_batch_cost(run, low, 'batch_cpu'):.2f} s CPU; with ~{high:,} stored: "
        f"{_batch_cost(run, high, 'batch'):.2f} s wall, {_batch_cost(run, high, 'batch_cpu'):.2f} s CPU; "
        f"ratio {ratio:.2f} wall, {ratio_cpu:.2f} CPU (target <= 1.5)",
        f"- stories: {len(found):,} found for {generated:,} generated; stories mixing two generated stories: {impure}",
        f"- reference, exact pairwise Jaccard of word 3-shingles over the first {ref['items']:,} items "
        f"({ref['seconds']:.1f} s): {ref['pairs']:,} pairs >= 0.5, of which {ref['together']:,} in one story "
        f"(recall {ref['together'] / max(1, ref['pairs']):.3f}); the real path stored, clustered and indexed "
        f"those {ref['items']:,} in {first:.1f} s wall",
    ]
    if real_run:
        real_ref = reference(real, real_run["db"], REAL_REFERENCE)
        lines += [
            f"- real article text ({len(real):,} items: the {len({i[1] for i in real})} ../shared/corpus bodies "
            f"repeated with cuts, changed words and boilerplate): {real_run['total']:.1f} s wall, "
            f"{len(real) / real_run['total']:,.0f} items/s (generated text: {total_items / total:,.0f} items/s); "
            f"CPU {real_run['cpu']:.1f} s, {len(real) / real_run['cpu']:,.0f} items per CPU second (generated text: "
            f"{total_items / run['cpu']:,.0f}); of which {_phases(real_run)}; "
            f"{count_stories(real_run['db']):,} stories",
            f"  - reference on real text, exact pairwise Jaccard over the first {real_ref['items']:,} items "
            f"({real_ref['seconds']:.1f} s): {real_ref['pairs']:,} pairs >= 0.5, of which {real_ref['together']:,} "
            f"in one story (recall {real_ref['together'] / max(1, real_ref['pairs']):.3f})",
            f"- peak memory (max RSS) after both runs: {both_peak:,.0f} MB",
        ]
    else:
        lines.append("- real article text: ../shared/corpus not found, not measured")
    lines.append(f"- load average (1/5/15 min) at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    lines.append("- command: `.venv/bin/python -m benchmarks.clustering`")
    if total_items == TOTAL:
        record(
            "Story clustering in SQLite, 100,000 generated items in batches of 1,000, stored, clustered and "
            "indexed (benchmarks/clustering.py)",
            lines,
        )
    else:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
