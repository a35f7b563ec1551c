"""The quick ways of wrapping the text part give exactly the lines of the general one.

`_wrap_plain` (one plain text) and the joining of plain segments (a reference number and a
headline, a meta line) were added for speed; expect the same lines as `_wrap_lines` for
headlines and teasers of a real-sized edition and for thousands of made-up texts with long
words, URLs, Persian and Arabic words, newlines and runs of spaces, in both directions.
"""

from __future__ import annotations

import random

import pytest

from benchmarks.rendering import edition
from newsletter.render import _joinable, _wrap, _wrap_lines, _wrap_plain

WORDS = ["a", "solidarity", "x" * 90, "زندانی", "اعتصاب", "غذا", "Kuzeykent", "https://example.org/" + "p" * 100]
WORDS += ["،", "—", "42", "day\n", " ", "  ", " · ", "[3] ", "(English) [4], ", "\u2068x\u2069"]


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(WORDS) + rng.choice(["", " "]) for _ in range(rng.randint(0, 40))) for _ in range(count)]


@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_one_plain_text_wraps_as_the_general_way_does(direction):
    texts = [t for entry in edition().entries for t in (entry.headline, entry.summary)] + _texts(1500, 1)
    for text in texts:
        assert _wrap_plain(text, direction) == _wrap_lines(((text, False),), direction), text


@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_plain_segments_joined_wrap_as_the_general_way_does(direction):
    rng = random.Random(2)
    joined = 0
    for texts in (_texts(rng.randint(2, 5), seed) for seed in range(1500)):
        segments = [(text, False) for text in texts]
        if _joinable(segments):
            joined += 1
            assert _wrap(segments, direction) == _wrap_lines(tuple(segments), direction), segments
    assert joined > 500
    assert not _joinable([("Partner", False), ("name", False)])  # no space between: kept apart
    assert not _joinable([("[1] ", False), ("Kuzeykent", True)])  # an isolate: the general way
