"""Record story-folding quality, measured through `cluster_new_items` on a real SQLite database.

Two sets from `benchmarks.story_sets`: real articles from ../shared/corpus with reposts,
look-alikes and hand translations made from them, and the labelled set written for the
project (tests/data/stories/). The tests (tests/aggregator/test_story_quality.py) fail below
the targets; this prints the figures and appends them to RESULTS.md with the date and machine.

Run: `.venv/bin/python -m benchmarks.story_quality`
"""

from __future__ import annotations

import time
from collections import Counter

from benchmarks.record import record
from benchmarks.story_sets import (
    CORPUS,
    across_languages,
    alone,
    fold,
    labelled_set,
    real_article_set,
    score,
    widest_story,
)

EDITS = ("exact", "boilerplate", "shortened", "edited", "translation")


def main() -> None:
    lines = []
    if CORPUS.is_dir():
        items = real_article_set()
        started = time.perf_counter()
        story = fold(items)
        seconds = time.perf_counter() - started
        kinds = Counter(item.kind for item in items)
        near = score(items, story, lambda a, b: a.kind != "translation" and b.kind != "translation")
        languages = score(items, story, across_languages)
        size, groups = widest_story(items, story)
        single, unrelated = alone(items, story)
        original = {item.group: story[item.id] for item in items if item.kind == "original"}
        joined = ", ".join(
            f"{kind} {sum(story[i.id] == original[i.group] for i in items if i.kind == kind)}/{kinds[kind]}"
            for kind in EDITS
        )
        lines += [
            f"- real articles: {len(items)} items ({kinds['original']} corpus articles reposted 4 ways, "
            f"{kinds['unrelated'] + kinds['lookalike']} unrelated of which {kinds['lookalike']} quote the same famous "
            f"people with the same number, {kinds['translation']} hand translations), stored and clustered one crawl a "
            f"day in {seconds:.1f} s",
            f"  - near-duplicates (pairs without translations): {near}; targets 0.98 / 0.95",
            f"  - across languages (pairs in different languages): {languages}; target precision 0.95",
            f"  - joined their original: {joined}",
            f"  - widest story: {size} items from {groups} groups; unrelated articles alone: {single} of {unrelated}",
        ]
    else:
        lines.append(f"- real articles: not measured, {CORPUS} is absent")
    written = labelled_set()
    story = fold(written)
    kept = [item for item in written if item.kind != "crosslang"]
    lines += [
        f"- labelled set (tests/data/stories), near-duplicates over {len(kept)} items (reposts + look-alikes): "
        f"{score(kept, story)}; targets 0.98 / 0.95",
        f"- labelled set, pairs in different languages over {len(written)} items: "
        f"{score(written, story, across_languages)}; targets 0.95 / 0.70",
    ]
    record(
        "Story folding quality through cluster_new_items on SQLite "
        "(`.venv/bin/python -m benchmarks.story_quality`; tests/aggregator/test_story_quality.py)",
        lines,
    )


if __name__ == "__main__":
    main()
