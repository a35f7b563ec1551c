"""Tagging finds the same words whichever way it locates the words that start keywords.

`_candidates` looks for those words with str.find when they occur a few times, and walks every
word of the text otherwise; both must give what the taxonomy's patterns give run over the whole
text (the taxonomy with its keyword lists dropped is run that way).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import aggregator.tagging as tagging
from aggregator.tagging import Tag, default_taxonomy, tag_text

STORIES = Path(__file__).resolve().parents[1] / "data" / "stories"


def _texts() -> list[tuple[str, str | None]]:
    rows = [
        json.loads(line) for path in sorted(STORIES.glob("*.jsonl")) for line in path.read_text("utf-8").splitlines()
    ]
    texts = [(f"{row.get('title', '')}\n{row['text']}", row.get("language")) for row in rows if row.get("text")]
    texts.append(("Hungerstreik im Gefängnis: Diyarbakır, hunger-strike, strike_ hunger strikes Hunger", "de"))
    return texts


def test_both_ways_of_locating_words_tag_alike(monkeypatch):
    taxonomy = default_taxonomy()
    texts = _texts()
    assert len(texts) > 100
    found = {}
    for limit in (0, 10**9):  # every text walked word by word; every text's words looked for with find
        monkeypatch.setattr(tagging, "FIND_OCCURRENCES", limit)
        found[limit] = [tag_text("", text, taxonomy, language) for text, language in texts]
    assert found[0] == found[10**9]
    assert sum(map(bool, found[0])) > 50


@pytest.mark.parametrize("limit", [0, 10**9])
def test_both_ways_tag_as_the_full_patterns_do(monkeypatch, limit):
    """Against the taxonomy without keyword lists, whose patterns run over the whole text (slow: a few texts)."""
    taxonomy = default_taxonomy()
    by_hand = [Tag(tag.id, tag.kind, tag.labels, patterns=tag.patterns) for tag in taxonomy]
    monkeypatch.setattr(tagging, "FIND_OCCURRENCES", limit)
    for text, language in _texts()[::80]:
        assert tag_text("", text, taxonomy, language) == tag_text("", text, by_hand, language)
