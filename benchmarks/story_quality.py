"""Record the story-folding quality on the labelled set (tests/data/stories/), as the tests compute it.

The tests fail below the targets; this records the figures with the date and the machine.
"""

from __future__ import annotations

import itertools
from datetime import datetime

from aggregator.entities import common_names, names, numbers, same_story_across_languages
from benchmarks.record import record
from tests.aggregator.test_story_quality import fold, load, pairwise


def main() -> None:
    items = load("reposts.jsonl") + load("lookalikes.jsonl")
    p1, r1, tp1, fp1, fn1 = pairwise(items, fold(items), lambda a, b: a["group"] == b["group"])
    everything = load("crosslang.jsonl") + load("lookalikes.jsonl") + load("reposts.jsonl")
    facts = {i["id"]: (names(f"{i['title']}\n{i['text']}"), numbers(f"{i['title']}\n{i['text']}"),
                       datetime.fromisoformat(i["published"].replace("Z", "+00:00"))) for i in everything}
    common = common_names([n for n, _, _ in facts.values()])
    tp = fp = fn = 0
    for a, b in itertools.combinations(everything, 2):
        if a["language"] == b["language"]:
            continue
        (na, da, ta), (nb, dbn, tb) = facts[a["id"]], facts[b["id"]]
        predicted = abs((ta - tb).days) <= 10 and same_story_across_languages(na, da, nb, dbn, common)
        truth = a["group"] == b["group"]
        tp, fp, fn = tp + (truth and predicted), fp + (predicted and not truth), fn + (truth and not predicted)
    record("Story folding quality on the labelled set (benchmarks/story_quality.py; tests/aggregator/test_story_quality.py)", [
        f"- near-duplicates, {len(items)} items (136 reposts in 40 groups + 48 look-alikes), pairwise: "
        f"precision {p1:.3f}, recall {r1:.3f} (tp {tp1}, fp {fp1}, fn {fn1}); targets 0.98 / 0.95",
        f"- across languages, {len(everything)} items (55 in 20 stories told in 2-3 languages + look-alikes + reposts), "
        f"pairs in different languages: precision {tp / (tp + fp) if tp + fp else 1:.3f}, recall {tp / (tp + fn):.3f} "
        f"(tp {tp}, fp {fp}, fn {fn}); targets 0.95 / 0.70",
    ])


if __name__ == "__main__":
    main()
