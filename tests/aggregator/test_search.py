"""What people type into a search box becomes a safe FTS5 query, and that query finds the item."""

import pytest

from aggregator.search import fts_query

CASES = [
    # typed                       FTS5 query
    ("hunger strike", '"hunger" "strike"'),
    ("hunger-strike", '"hunger-strike"'),
    ('"hunger strike"', '"hunger strike"'),
    ('"x', '"x"'),
    ('say "x', '"say" "x"'),
    ("AND", '"AND"'),
    ("a OR b", '"a" "OR" "b"'),
    ("NEAR(a b)", '"NEAR(a" "b)"'),
    ("title:day", '"title:day"'),
    ("-trial", '"-trial"'),
    ("hung*", '"hung"*'),
    ("*", None),
    ("'", None),
    ("  ", None),
    ('""', None),
    ("_ - _", None),
    ('Şahin "l\'avocat"', '"Şahin" "l\'avocat"'),
    ("روز ۸۷", '"روز" "۸۷"'),
    ('a"b', '"a""b"'),
]


@pytest.mark.parametrize("typed, query", CASES)
def test_fts_query(typed, query):
    assert fts_query(typed) == query


@pytest.mark.parametrize(
    "typed, found",
    [
        ("hunger-strike", True),
        ("Hunger Strike", True),
        ('"strike of hunger"', False),
        ("hung*", True),
        ('"x', False),
        ("AND", False),
        ("NEAR(", False),
        ("title:day", False),
        ("*", False),
        ("'", False),
        ("day 40", True),
    ],
)
def test_every_query_runs_in_sqlite(db, typed, found):
    from aggregator.storage.items import list_items, save_item
    from aggregator.storage.sources import add_source
    from aggregator.text import content_hash

    source = add_source(db, "http://127.0.0.1:1/feed/", "Partner", "feed")
    text = "Day 40 of the hunger-strike of Mahir Ekinci."
    save_item(
        db,
        {
            "source_id": source,
            "guid": "g",
            "url": "http://127.0.0.1:1/a",
            "canonical_url": "http://127.0.0.1:1/a",
            "title": "Day 40",
            "text": text,
            "summary": text,
            "language": "en",
            "content_hash": content_hash("Day 40", text),
        },
    )
    assert bool(list_items(db, search=typed)) is found
