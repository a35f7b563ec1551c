"""Cluster 100,000 generated items arriving in batches of 1,000, as a crawl delivers them.

The path a crawl runs: this process stores each batch with `save_item` through the crawl's
`WriteBatch`, while the crawl's two folding children (`crawlers.folding`) work alongside: one
places what is committed in stories (`Clustering`: exact copies, MinHash/LSH near-duplicates,
cross-language names) and hands each chunk to the other, which tags it and indexes its
people (`index_items`), and signs items ahead for the first while it has nothing to tag.
The run ends when every item is placed and tagged. Items are spread over 100 days, 1,000 a
day, so the story window (10 days) holds about 11,000 items whatever the total.

Figures: total time, CPU of each process, peak memory, the cost of one batch stored, placed
and tagged one step after the other in one process when 10,000 and 100,000 items are stored
(must stay nearly flat: <= 1.5x), and, as the reference in the same run,
brute-force pairwise Jaccard over 5,000 of the items. Then the same path on real article
text: the ../shared/corpus bodies (as `benchmarks.story_sets.corpus_bodies` loads them),
repeated with edits (a cut, words changed, boilerplate) to reach 10,000 items, in items per
second beside the generated text's. Targets (issue 9): 100,000 items <= 60 s in all on 2 cores.

Synthetic items: each story has an original of 150-300 words from a 5,000-word
vocabulary (letters only, like real words) with three capitalised names, and 0-3 reposts (a part cut, words changed,
boilerplate added); some stories get a retelling in another language that shares only
the names and a number.

Usage: `.venv/bin/python -m benchmarks.clustering [TOTAL [REAL_TOTAL]]` (100,000 and 10,000 by default;
given sizes, even these, are for profiling and comparisons: printed, not recorded).
"""

from __future__ import annotations

import bisect
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aggregator.clustering import cluster_new_items
from aggregator.db import iso, open_db, writing
from aggregator.dedupe import shingles
from aggregator.indexing import index_items
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source
from aggregator.storage.stories import count_stories
from aggregator.text import content_hash
from benchmarks.record import process_cpu, record

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


def _store(db, source: int, batch, writes=None) -> None:
    """One batch stored as a crawl stores it: `save_item` for each; in the crawl's open write
    transaction (`writes`, a `crawlers.batch.WriteBatch`: committed every 200 items, or as soon
    as a folding child waits for its turn; full-text rows in bulk), or, without one, in one
    write transaction.

    Every item is new, and stored as the crawl stores an entry that its feed's stored keys
    (`feed_hashes`, read once per feed) do not know: `fresh=True`, without looking it up again.
    That one read per feed is not part of this benchmark (benchmarks/crawl.py has it)."""
    with writing(db) if writes is None else nullcontext():
        for key, _, language, title, text, when in batch:
            record = {
                "source_id": source,
                "guid": key,
                "url": f"http://127.0.0.1/{key}",
                "canonical_url": f"http://127.0.0.1/{key}",
                "title": title,
                "text": text,
                "summary": text[:100],
                "language": language,
                "published_at": iso(when),  # as `crawlers.normalise` stores it: UTC, to the second
                "content_hash": content_hash(title, text),
            }
            if writes is None:
                save_item(db, record, fresh=True)
            else:  # as `crawlers.pipelines` stores: full-text rows written in bulk by the batch
                writes.join()
                writes.save_item(record, fresh=True)
    if writes is not None:
        writes.flush()  # the batch's last items committed, as a crawl commits when its feeds are done


def _cpu_of(pid: int) -> float:
    """`process_cpu`, or 0 once the process is gone (the children end as the run does)."""
    try:
        return process_cpu(pid)
    except (OSError, IndexError, ValueError):
        return 0.0


def run_path(items) -> dict:
    """Store `items` in batches of BATCH while the crawl's folding children place and tag them.

    The path a crawl runs (`crawlers.folding.Folding`): this process stores each batch as the
    crawl does, taking turns on the write lock with the children; one child places what is
    committed in stories, chunk by chunk, and hands each chunk to the other, which tags it
    and indexes its people; `finish` runs the last pass. The run ends when every item is
    placed and tagged. CPU seconds of each process are read from /proc every 0.2 s (the
    children's last tenth of a second can be missed; their sum is also read exactly from
    `RUSAGE_CHILDREN` once they are gone).
    """
    import threading

    from aggregator.config import Config
    from aggregator.db import share_write_turns
    from crawlers.batch import WriteBatch
    from crawlers.folding import Folding

    folder = Path(tempfile.mkdtemp(prefix="wire-bench-"))
    FOLDERS.append(folder)
    db = open_db(folder / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "bench", "feed")
    folding = Folding(Config(db=folder / "wire.db"))
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, cpu_started = time.perf_counter(), time.process_time()
    folding.start()
    share_write_turns(db, folding.turn)  # as `crawlers.run` does: the crawl's writes and the children's take turns
    writes = WriteBatch(db, folding.wanted)
    seen = {"cluster": 0.0, "index": 0.0}
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.2):
            seen["cluster"] = max(seen["cluster"], _cpu_of(folding.process.pid))
            seen["index"] = max(seen["index"], _cpu_of(folding.indexer.pid))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    for offset in range(0, len(items), BATCH):
        _store(db, source, items[offset : offset + BATCH], writes)
    stored, stored_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    report = folding.finish(db)
    total = time.perf_counter() - started
    done.set()
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = (after.ru_utime + after.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    assert report.error is None, report.error
    assert report.items == len(items), (report.items, len(items))
    return {
        "db": db,
        "total": total,
        "cpu": time.process_time() - cpu_started + children,
        "stored": stored,
        "store_cpu": stored_cpu,
        "cluster_cpu": seen["cluster"],
        "index_cpu": seen["index"],
        "children_cpu": children,
    }


def batch_cost(db, batches) -> tuple[float, float]:
    """Mean wall and CPU seconds of storing, placing and tagging one batch in this process, one
    step after the other, over `batches` (the batch-cost ratio compares this at two sizes).

    The WAL is copied into the database first (a checkpoint), so that both sizes start alike:
    otherwise one of a few batches pays for copying up to 64 MB of pages that the run before
    it wrote, and the ratio measured that, not the size (1.64 in one run, 0.87 in another)."""
    source = db.execute("SELECT id FROM sources").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    walls, cpus = [], []
    for batch in batches:
        started, cpu = time.perf_counter(), time.process_time()
        _store(db, source, batch)
        report = cluster_new_items(db)
        index_items(db, report.item_ids)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return sum(walls) / len(walls), sum(cpus) / len(cpus)


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
    return (
        f"this process storing {run['stored']:.1f} s ({run['store_cpu']:.1f} s CPU), its folding children "
        f"{run['children_cpu']:.1f} s CPU (placing in stories {run['cluster_cpu']:.1f} s, tagging and indexing "
        f"people {run['index_cpu']:.1f} s), {run['cpu'] / run['total']:.2f} cores busy on average"
    )


#: The runs' database folders (about 600 MB for 100,000 items), removed when the benchmark ends.
FOLDERS: list[Path] = []


def main() -> None:
    try:
        measure()
    finally:
        for folder in FOLDERS:
            shutil.rmtree(folder, ignore_errors=True)


def measure() -> None:
    total_items = int(sys.argv[1]) if len(sys.argv) > 1 else TOTAL
    low, high = min(10_000, total_items), total_items
    extra = 5 * BATCH  # the batches whose cost is compared, stored after `low` and after `high` items
    everything = generate(total_items + extra)
    items = everything[:total_items]
    run = run_path(items)
    generated_peak = peak_mb()
    db, total = run["db"], run["total"]
    print(f"generated: {total:.1f} s for {total_items:,} ({_phases(run)})", flush=True)
    story_of = dict(db.execute("SELECT url, story_id FROM items").fetchall())
    truth = {f"http://127.0.0.1/{key}": story for key, story, *_ in items}
    found: dict[int, set[int]] = {}
    for url, story_id in story_of.items():
        found.setdefault(story_id, set()).add(truth[url])
    impure = sum(1 for stories in found.values() if len(stories) > 1)
    generated = len(set(truth.values()))
    batches = [everything[n : n + BATCH] for n in range(high, high + extra, BATCH)]
    high_wall, high_cpu = batch_cost(db, batches)
    small = run_path(everything[:low])
    low_wall, low_cpu = batch_cost(small["db"], [everything[n : n + BATCH] for n in range(low, low + extra, BATCH)])
    real = real_items(int(sys.argv[2]) if len(sys.argv) > 2 else REAL_TOTAL)
    real_run = run_path(real) if real else None
    both_peak = peak_mb()  # before the references, which hold every shingle of their samples
    ref = reference(items, db, REFERENCE)
    lines = [
        f"- total: {total:.1f} s wall for {total_items:,} items, storing, placing in stories and tagging, "
        f"on the crawl's path (this process stores, `crawlers.folding` children place and tag alongside) "
        f"({total_items / total:,.0f} items/s); CPU of all three processes {run['cpu']:.1f} s "
        f"({total_items / run['cpu']:,.0f} items per CPU second); target <= 60 s; {_phases(run)}",
        f"- peak memory (max RSS of this process) after the generated run: {generated_peak:,.0f} MB; "
        f"target <= 1,536 MB",
        f"- one batch of 1,000 stored, placed and tagged one step after the other in one process, "
        f"mean of 5: with {low:,} stored {low_wall:.2f} s wall, {low_cpu:.2f} s CPU; with {high:,} stored "
        f"{high_wall:.2f} s wall, {high_cpu:.2f} s CPU; ratio {high_wall / low_wall:.2f} wall, "
        f"{high_cpu / low_cpu:.2f} CPU (target <= 1.5); the first {low:,} took {small['total']:.1f} s "
        f"on the crawl's path",
        f"- stories: {len(found):,} found for {generated:,} generated; stories mixing two generated stories: {impure}",
        f"- reference, exact pairwise Jaccard of word 3-shingles over the first {ref['items']:,} items "
        f"({ref['seconds']:.1f} s): {ref['pairs']:,} pairs >= 0.5, of which {ref['together']:,} in one story "
        f"(recall {ref['together'] / max(1, ref['pairs']):.3f})",
    ]
    if real_run:
        real_ref = reference(real, real_run["db"], REAL_REFERENCE)
        lines += [
            f"- real article text ({len(real):,} items: the {len({i[1] for i in real})} ../shared/corpus bodies "
            f"repeated with cuts, changed words and boilerplate): {real_run['total']:.1f} s wall, "
            f"{len(real) / real_run['total']:,.0f} items/s (generated text: {total_items / total:,.0f} items/s); "
            f"CPU {real_run['cpu']:.1f} s, {len(real) / real_run['cpu']:,.0f} items per CPU second (generated text: "
            f"{total_items / run['cpu']:,.0f}); {_phases(real_run)}; "
            f"{count_stories(real_run['db']):,} stories",
            f"  - reference on real text, exact pairwise Jaccard over the first {real_ref['items']:,} items "
            f"({real_ref['seconds']:.1f} s): {real_ref['pairs']:,} pairs >= 0.5, of which {real_ref['together']:,} "
            f"in one story (recall {real_ref['together'] / max(1, real_ref['pairs']):.3f})",
            f"- peak memory (max RSS of this process) after all runs: {both_peak:,.0f} MB",
        ]
    else:
        lines.append("- real article text: ../shared/corpus not found, not measured")
    lines.append(f"- load average (1/5/15 min) at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    lines.append("- command: `.venv/bin/python -m benchmarks.clustering`")
    if len(sys.argv) == 1:  # the sizes of the targets, real text included: recorded
        record(
            "Story clustering in SQLite, 100,000 generated items in batches of 1,000, stored, clustered and "
            "indexed (benchmarks/clustering.py)",
            lines,
        )
    else:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
