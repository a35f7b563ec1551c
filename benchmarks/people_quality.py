"""Record the people index's precision, recall and speed on the labelled set (tests/data/stories/people.toml).

Precision and recall are counted per person and text by `aggregator.evaluation.score_people`
on `find_people`, the function indexing runs after every crawl; the test
(tests/aggregator/test_people_quality.py) fails below 0.95 / 0.85. Speed: `find_people` on
2 kB windows of the story sets' articles (tests/data/stories/*.jsonl, 13 languages), the
cost every crawled item pays.

Run: `.venv/bin/python -m benchmarks.people_quality` (appends to benchmarks/RESULTS.md).
"""

from __future__ import annotations

import json
import time
import tomllib
from collections import Counter
from pathlib import Path

from aggregator.evaluation import score_people
from aggregator.people import find_people
from benchmarks.record import record

STORIES = Path(__file__).parent.parent / "tests" / "data" / "stories"
LABELLED = STORIES / "people.toml"


def load_cases() -> list[dict]:
    return tomllib.loads(LABELLED.read_text(encoding="utf-8"))["case"]


def articles(size: int = 2000) -> list[str]:
    """The story sets' texts, cut into `size`-character windows."""
    texts = []
    for path in sorted(STORIES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                text = f"{item['title']}\n{item['text']}"
                texts += [text[i : i + size] for i in range(0, len(text) - size // 2, size)]
    return texts


def microseconds_per_article(texts: list[str], rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            find_people(text)
        best = min(best, (time.perf_counter() - start) / len(texts))
    return best * 1e6


def main() -> None:
    cases = load_cases()
    score = score_people(cases)
    languages = Counter(case["lang"] for case in cases)
    people = sum(len(case["people"]) for case in cases)
    texts = articles()
    speed = microseconds_per_article(texts)
    record(
        "People index quality on the labelled set "
        "(benchmarks/people_quality.py; tests/aggregator/test_people_quality.py)",
        [
            f"- {len(cases)} texts in {len(languages)} languages ({', '.join(sorted(languages))}), "
            f"{people} people named",
            (
                f"- precision {score.precision:.3f}, recall {score.recall:.3f} "
                f"(tp {score.tp}, fp {score.fp}, fn {score.fn}); "
                "targets 0.95 / 0.85"
            ),
            f"- speed: find_people {speed:.0f} µs per 2 kB article "
            f"(best of 5 over {len(texts)} windows of the story sets)",
            "- command: `.venv/bin/python -m benchmarks.people_quality`",
        ],
    )


if __name__ == "__main__":
    main()
