"""Is a feed entry only an excerpt? The crawl's quick answer equals the careful one on real feeds.

`needs_full_text` decides, for every entry of every crawl, whether the article page must be
fetched. It first reads the entry's markup with a regular expression (tags out, entities
decoded), and parses it with lxml (`html_to_text`) only when that quick reading is not clear.
Every entry of every feed in ../shared/corpus/rsparser, and hand-made edge cases, must get the
same decision both ways.
"""

from __future__ import annotations

import pytest

from aggregator.text import html_to_text, looks_truncated
from crawlers.feeds.parse import FeedError, parse_feed
from crawlers.spiders.feeds import EXCERPT_CHARS, needs_full_text


def careful_decision(item) -> bool:
    """The rule as stated, on lxml's reading of the markup."""
    text = html_to_text(item.content_html or item.summary or "")
    if item.content_html and len(text) >= EXCERPT_CHARS and not looks_truncated(text):
        return False
    return looks_truncated(text) or len(text) < EXCERPT_CHARS


def _entries(corpus):
    entries = []
    for path in sorted((corpus / "rsparser").rglob("*")):
        if path.suffix.lower() not in {".xml", ".rss", ".atom", ".rdf", ".json"}:
            continue
        try:
            feed = parse_feed(path.read_bytes(), {}, "http://127.0.0.1/feed", 1, 500)
        except FeedError:
            continue
        entries.extend(feed.entries)
    return entries


def test_quick_decision_equals_careful_decision_on_real_feeds(corpus):
    entries = _entries(corpus)
    assert len(entries) > 500
    different = [entry.url for entry in entries if needs_full_text(entry) != careful_decision(entry)]
    assert different == []
    # both kinds occur, or the comparison says little
    assert 0 < sum(map(careful_decision, entries)) < len(entries)


LONG = "<p>" + "Word " * 200 + "</p>"


@pytest.mark.parametrize(
    "content, summary",
    [
        (LONG, None),  # full content
        (LONG + "<p>Read more</p>", None),  # long but cut off
        (LONG.replace("</p>", " […]</p>"), None),
        ("<p>Short.</p>", "A summary"),
        ("<script>" + "x" * 5000 + "</script><p>Short text.</p>", None),  # a script is no article
        ("<style>" + "p{}" * 2000 + "</style><p>" + "Word " * 130 + "</p>", None),  # near the limit
        ("<p>" + "&amp; " * 700 + "</p>", None),  # entities count once decoded
        (None, "An excerpt that ends like this…"),
        ("<p>Short text.</p><!-- a > b " + "z " * 1000 + "-->", None),  # a comment is no article either
        ("<div><p>" + "Wort " * 119 + "</p><noscript>" + "y" * 3000 + "</noscript></div>", None),
    ],
)
def test_quick_decision_on_edge_cases(content, summary):
    from crawlers.items import FeedItem

    item = FeedItem(source_id=1, url="http://127.0.0.1/a", content_html=content, summary=summary)
    assert needs_full_text(item) == careful_decision(item)
