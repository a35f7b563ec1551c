"""Tagging finds what the taxonomy's patterns find when run over the whole text.

`tag_text` tries only the keywords whose first word is a word of the text, and, for a keyword
of several words, only when its other words are words of the text too; both shortcuts must
give what the full patterns give (the taxonomy with its keyword lists dropped is run that way).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aggregator.tagging import Tag, default_taxonomy, load_taxonomy, tag_text

STORIES = Path(__file__).resolve().parents[1] / "data" / "stories"

SEVERAL_WORDS = """
version = 1
[[tag]]
id = "city-vienna"
kind = "country"
[tag.label]
en = "Vienna"
[tag.keywords]
de = ["in Wien", "in U-Haft genommen"]
en = ["solidarity action*", "a court"]
"""


def _texts() -> list[tuple[str, str | None]]:
    rows = [
        json.loads(line) for path in sorted(STORIES.glob("*.jsonl")) for line in path.read_text("utf-8").splitlines()
    ]
    texts = [(f"{row.get('title', '')}\n{row['text']}", row.get("language")) for row in rows if row.get("text")]
    texts.append(("Hungerstreik im Gefängnis: Diyarbakır, hunger-strike, strike_ hunger strikes Hunger", "de"))
    return texts


def _by_hand(taxonomy) -> list[Tag]:
    """The same tags with only their patterns: every pattern runs over the whole text."""
    return [Tag(tag.id, tag.kind, tag.labels, patterns=tag.patterns) for tag in taxonomy]


def test_tags_as_the_full_patterns_do():
    """Against the project's taxonomy without keyword lists (slow: a sample of the labelled texts)."""
    taxonomy = default_taxonomy()
    texts = _texts()[::40]
    found = [tag_text("", text, taxonomy, language) for text, language in texts]
    assert found == [tag_text("", text, _by_hand(taxonomy), language) for text, language in texts]
    assert sum(map(bool, found)) > 3


@pytest.mark.parametrize(
    "text, words",
    [
        ("Sie wurde in Wien festgenommen", ["in Wien"]),
        ("IN  WIEN und in\nwien", ["IN  WIEN", "in\nwien"]),  # any case, any white space between the words
        ("Wien liegt an der Donau; in Graz regnet es", []),  # both words, never one after the other
        ("in Wiener Neustadt", []),  # "Wien" is not a word of this text
        ("Er wurde in U-Haft genommen", ["in U-Haft genommen"]),  # words cut at the hyphen too
        ("Solidarity actions in a court of appeal", ["Solidarity actions", "a court"]),  # the * word is a prefix
        ("a solidarity group; courtyard actions", []),
    ],
)
def test_keywords_of_several_words_need_each_of_their_words(tmp_path, text, words):
    path = tmp_path / "taxonomy.toml"
    path.write_text(SEVERAL_WORDS, encoding="utf-8")
    taxonomy = load_taxonomy(path)
    expected = {"city-vienna": words} if words else {}
    assert tag_text("", text, taxonomy) == expected
    assert tag_text("", text, _by_hand(taxonomy)) == expected
