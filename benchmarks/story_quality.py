"""Record the story-folding quality on the labelled set (tests/data/stories/), as the tests compute it.

The tests fail below the targets; this records the figures with the date and the machine.
"""

from __future__ import annotations

from benchmarks.record import record
from tests.aggregator.test_story_quality import across_languages, fold, load, pairwise


def main() -> None:
    items = load("reposts.jsonl") + load("lookalikes.jsonl")
    p1, r1, tp1, fp1, fn1 = pairwise(items, fold(items), lambda a, b: a["group"] == b["group"])
    everything = load("crosslang.jsonl") + load("lookalikes.jsonl") + load("reposts.jsonl")
    p2, r2, tp, fp, fn = across_languages(everything)
    record("Story folding quality on the labelled set (benchmarks/story_quality.py; tests/aggregator/test_story_quality.py)", [
        f"- near-duplicates, {len(items)} items (136 reposts in 40 groups + 48 look-alikes), pairwise: "
        f"precision {p1:.3f}, recall {r1:.3f} (tp {tp1}, fp {fp1}, fn {fn1}); targets 0.98 / 0.95",
        f"- across languages, {len(everything)} items (55 in 20 stories told in 2-3 languages + look-alikes + reposts), "
        f"pairs in different languages: precision {p2:.3f}, recall {r2:.3f} (tp {tp}, fp {fp}, fn {fn}); "
        f"targets 0.95 / 0.70",
    ])


if __name__ == "__main__":
    main()
