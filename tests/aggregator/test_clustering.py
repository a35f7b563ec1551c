"""Clustering in the database: reposts and translations fold; editors' splits, merges and moves survive rebuilds."""

import json
from pathlib import Path

import pytest

from aggregator.clustering import cluster_new_items, rebuild_stories
from aggregator.curation import merge_stories, move_item, split_item
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source
from aggregator.text import content_hash

DATA = Path(__file__).resolve().parents[1] / "data" / "stories"


@pytest.fixture
def loaded(db):
    """Three repost groups, two cross-language stories and two look-alikes from the labelled set."""
    rows = [
        json.loads(line)
        for name in ("reposts.jsonl", "crosslang.jsonl", "lookalikes.jsonl")
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
    ]
    wanted = {"rp-01", "rp-02", "rp-03", "xl-01", "xl-02", "lk-01-a", "lk-01-b"}
    rows = [row for row in rows if row["group"] in wanted]
    sources, ids = {}, {}
    for row in rows:
        if row["source"] not in sources:
            sources[row["source"]] = add_source(db, f"http://127.0.0.1/{len(sources)}/feed", row["source"], "feed")
        status, item_id = save_item(
            db,
            {
                "source_id": sources[row["source"]],
                "url": row["url"],
                "canonical_url": row["url"],
                "title": row["title"],
                "text": row["text"],
                "summary": row["text"][:100],
                "language": row["language"],
                "published_at": row["published"].replace("Z", "+00:00"),
                "content_hash": content_hash(row["title"], row["text"]),
            },
        )
        ids[row["id"]] = item_id
    cluster_new_items(db)
    return db, rows, ids


def story_of(db, item_id):
    return db.execute("SELECT story_id FROM items WHERE id = ?", [item_id]).fetchone()[0]


def groups(db, rows, ids):
    """The partition of labelled groups by story: {group: set(story ids)}."""
    found = {}
    for row in rows:
        found.setdefault(row["group"], set()).add(story_of(db, ids[row["id"]]))
    return found


def test_reposts_and_translations_fold_lookalikes_do_not(loaded):
    db, rows, ids = loaded
    found = groups(db, rows, ids)
    for group in ("rp-01", "rp-02", "rp-03"):
        assert len(found[group]) == 1, group
    # translations in Latin script join; a Persian or Arabic version joins only when it quotes
    # enough Latin names (matching names across scripts is not done yet)
    for group in ("xl-01", "xl-02"):
        latin = {
            story_of(db, ids[row["id"]])
            for row in rows
            if row["group"] == group and row["language"] not in ("fa", "ar")
        }
        assert len(latin) == 1, group
    owners = {}
    for group, stories in found.items():
        for story in stories:
            assert owners.setdefault(story, group) == group  # no two groups share a story


def test_split_merge_and_move_survive_a_rebuild(loaded):
    db, rows, ids = loaded
    # split: an edited repost taken out of its story
    split_id = ids["rp-01-b"]
    old_story = story_of(db, ids["rp-01-a"])
    new_story = split_item(db, split_id, "editor@example.org")
    assert new_story != old_story and story_of(db, ids["rp-01-a"]) == old_story
    # merge: the two look-alike hunger strikes, which an editor decides are one story
    a, b = (
        story_of(
            db, ids["lk-01-a-en"] if "lk-01-a-en" in ids else next(v for k, v in ids.items() if k.startswith("lk-01-a"))
        ),
        story_of(db, next(v for k, v in ids.items() if k.startswith("lk-01-b"))),
    )
    merged = merge_stories(db, a, b, "editor@example.org")
    # move: the first item of rp-03 into rp-02's story
    rp03 = next(v for k, v in ids.items() if k.startswith("rp-03"))
    target = story_of(db, ids["rp-02-a"])
    move_item(db, rp03, target, "editor@example.org")
    before = {item: story_of(db, item) for item in ids.values()}
    rebuild_stories(db)
    after = {item: story_of(db, item) for item in ids.values()}
    assert after[split_id] != after[ids["rp-01-a"]]
    assert (
        after[next(v for k, v in ids.items() if k.startswith("lk-01-a"))]
        == after[next(v for k, v in ids.items() if k.startswith("lk-01-b"))]
    )
    assert after[rp03] == after[ids["rp-02-a"]]
    assert merged in after.values()
    assert before == after  # the whole partition, and its ids, survive
    actions = [row["action"] for row in db.query("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["story split", "stories merged", "item moved"]


def test_rebuild_keeps_story_ids_and_counts(loaded):
    db, rows, ids = loaded
    before = {item: story_of(db, item) for item in ids.values()}
    report = rebuild_stories(db)
    assert {item: story_of(db, item) for item in ids.values()} == before
    assert report.items == len(ids)
    counts = dict(db.execute("SELECT id, item_count FROM stories").fetchall())
    for story_id, count in counts.items():
        assert count == db.execute("SELECT count(*) FROM items WHERE story_id = ?", [story_id]).fetchone()[0]


def test_a_later_crawl_joins_stories_through_stored_signatures(db):
    """The second batch is matched against signatures read back from the database, not recomputed."""
    rows = [json.loads(line) for line in (DATA / "reposts.jsonl").read_text(encoding="utf-8").splitlines()]
    group = [row for row in rows if row["group"] == "rp-05"]
    original = next(row for row in group if row["edit"] == "original")
    others = [row for row in group if row is not original and row["edit"] != "verbatim"]
    source = add_source(db, "http://127.0.0.1/feed", "Partner", "feed")

    def store(row):
        return save_item(
            db,
            {
                "source_id": source,
                "url": row["url"],
                "canonical_url": row["url"],
                "title": row["title"],
                "text": row["text"],
                "summary": "",
                "language": row["language"],
                "published_at": row["published"].replace("Z", "+00:00"),
                "content_hash": content_hash(row["title"], row["text"]),
            },
        )[1]

    first = store(original)
    assert cluster_new_items(db).new_stories == 1
    later = [store(row) for row in others]
    report = cluster_new_items(db)
    assert report.near_duplicates == len(later) and report.new_stories == 0
    assert {story_of(db, item) for item in later} == {story_of(db, first)}


CHAIN = [  # (language, day, title, text): A and B share two people and a number, B and C two others; A and C nothing
    (
        "en",
        1,
        "Dock workers' strike at Varnholm enters day 43",
        "The strike led by Mariana Kowalczyk and Tobias Ferreira at the Varnholm container terminal "
        "entered its 43rd day on Monday. Kowalczyk told the assembly that the port authority has still "
        "refused to negotiate. Ferreira said that the strike fund would last another month thanks to "
        "donations from other unions.",
    ),
    (
        "fr",
        2,
        "Grève des dockers : Kowalczyk et Ferreira reçus, Lindqvist et Brannigan jugés",
        "Au 43e jour de la grève des dockers, Mariana Kowalczyk et Tobias Ferreira ont été reçus à la mairie. Le même "
        "jour, le procès d'Henrike Lindqvist et d'Oskar Brannigan, poursuivis pour 212 euros de dégâts lors d'une "
        "manifestation, s'est ouvert au tribunal. Ce résumé rassemble les nouvelles de la semaine.",
    ),
    (
        "de",
        3,
        "Prozess gegen Lindqvist und Brannigan vertagt",
        "Der Prozess gegen Henrike Lindqvist und Oskar Brannigan wegen angeblicher Sachbeschädigung von 212 Euro wurde "
        "am Mittwoch vertagt. Die Verteidigung von Lindqvist verlangte Einsicht in die Polizeivideos; Brannigan "
        "erklärte vor dem Gericht, er habe nur ein Transparent getragen.",
    ),
]


@pytest.mark.parametrize("crawls", [1, 3], ids=["one crawl", "a crawl a day"])
def test_a_chain_where_only_neighbours_share_names_stays_apart(db, crawls):
    """A joins B, B would join C, but A and C share nothing: C may not join A's story through B."""
    source = add_source(db, "http://127.0.0.1/feed", "Partner", "feed")
    ids = []
    for number, (language, day, title, text) in enumerate(CHAIN):
        ids.append(
            save_item(
                db,
                {
                    "source_id": source,
                    "url": f"http://127.0.0.1/{number}",
                    "title": title,
                    "text": text,
                    "summary": "",
                    "language": language,
                    "published_at": f"2026-03-0{day}T09:00:00+00:00",
                    "content_hash": content_hash(title, text),
                },
            )[1]
        )
        if crawls == 3:
            cluster_new_items(db)
    cluster_new_items(db)
    a, b, c = (story_of(db, item) for item in ids)
    assert a == b  # the neighbours that share people and a number are one story...
    assert c != a  # ...and the third, which shares nothing with the first, is not in it


@pytest.mark.parametrize(
    "moment",
    [
        "2026-03-01T00:00:00+00:00",  # as `iso` stores it
        "2026-10-25T01:30:00+02:00",  # stored by hand with an offset, across a clock change
        "2026-03-01T12:00:00.250000+00:00",  # with a fraction of a second
    ],
)
def test_an_items_windows_are_the_moments_iso_gives(moment):
    """`iso` writes a moment with `isoformat` alone when that is what converting it to UTC to
    the second gives: the windows (`_bounds`) are compared as strings with stored moments."""
    from datetime import UTC, datetime, timedelta

    from aggregator.clustering import _bounds

    when = datetime.fromisoformat(moment)
    window, language_window = timedelta(days=10), timedelta(days=3)
    expected = (when - window, when + window, when - language_window, when + language_window)
    converted = tuple(m.astimezone(UTC).replace(microsecond=0).isoformat() for m in expected)
    assert _bounds(when, window, language_window) == converted
