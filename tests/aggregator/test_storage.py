"""Storage: migrations, items seen again, revisions, full-text search, exact-duplicate folding."""

from datetime import UTC

from aggregator.clustering import cluster_new_items
from aggregator.db import open_db
from aggregator.migrations import migrate, schema_version
from aggregator.storage.items import get_item, list_items, list_revisions, save_item
from aggregator.storage.sources import add_source
from aggregator.text import content_hash


def _item(source_id, url, title, text, guid=None):
    return {
        "source_id": source_id,
        "guid": guid,
        "url": url,
        "canonical_url": url,
        "title": title,
        "text": text,
        "summary": text[:50],
        "language": "en",
        "published_at": "2026-11-20T10:00:00+00:00",
        "content_hash": content_hash(title, text),
    }


def test_migrations_are_recorded_and_idempotent(config):
    db = open_db(config.db)
    version = schema_version(db)
    assert version >= 1
    assert migrate(db) == []
    assert schema_version(open_db(config.db)) == version
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 16384  # 64 MB of WAL between checkpoints


def test_item_names_keep_their_rows_through_m021_and_go_with_their_item(tmp_path):
    """m021 rebuilds `item_names` keyed, without the foreign key: no name is lost on the way, an
    item's names still go when it is deleted, and a name written twice for an item is one row."""
    import sqlite_utils

    from aggregator.migrations import migrations
    from aggregator.storage.signatures import save_match_data

    db = sqlite_utils.Database(tmp_path / "wire.db")
    db.execute("PRAGMA foreign_keys=ON")
    migrations.apply(db, stop_before="m021_item_names_keyed")
    source = add_source(db, "http://127.0.0.1:1/feed/", "Partner", "feed")
    ids = [save_item(db, _item(source, f"http://127.0.0.1:1/{n}", "Day 40", f"Text {n}."))[1] for n in range(2)]
    names = [("name", "nasrin alavi"), ("latin", "nsrn-lv"), ("name", "baran yildiz")]
    for item_id in ids:
        db.execute("INSERT INTO item_names (name, kind, item_id) VALUES ('nasrin alavi', 'name', ?)", [item_id])
        db.execute("INSERT INTO item_names (name, kind, item_id) VALUES ('nsrn-lv', 'latin', ?)", [item_id])
    migrate(db)
    assert db.execute("SELECT count(*) FROM item_names").fetchone()[0] == 4
    row = {"minhash": b"", "shingles": 0, "numbers": [], "rtl": False, "names": names + names[:1]}
    save_match_data(db, [{**row, "item_id": ids[0]}])  # the first name twice
    assert sorted(db.execute("SELECT kind, name FROM item_names WHERE item_id = ?", [ids[0]]).fetchall()) == sorted(
        names
    )
    db.execute("DELETE FROM items WHERE id = ?", [ids[0]])
    assert db.execute("SELECT DISTINCT item_id FROM item_names").fetchall() == [(ids[1],)]


def test_item_seen_again_is_updated_with_a_revision(db):
    source = add_source(db, "http://127.0.0.1:1/feed/", "Partner", "feed")
    status, first = save_item(db, _item(source, "http://127.0.0.1:1/a", "Day 40", "Day 40 of the hunger strike.", "g1"))
    assert status == "new"
    assert save_item(db, _item(source, "http://127.0.0.1:1/a", "Day 40", "Day 40 of the hunger strike.", "g1")) == (
        "unchanged",
        first,
    )
    # same GUID, new URL and text: the same item, updated, the old text kept as a revision
    status, again = save_item(
        db, _item(source, "http://127.0.0.1:1/a-2", "Day 41", "Day 41 of the hunger strike.", "g1")
    )
    assert (status, again) == ("updated", first)
    assert get_item(db, first)["title"] == "Day 41"
    assert [r["title"] for r in list_revisions(db, first)] == ["Day 40"]
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 1


def test_full_text_search(db):
    source = add_source(db, "http://127.0.0.1:1/feed/", "Partner", "feed")
    save_item(db, _item(source, "http://127.0.0.1:1/a", "Vigil", "A vigil in front of the consulate."))
    save_item(db, _item(source, "http://127.0.0.1:1/b", "Trial", "The trial was postponed."))
    assert [row["title"] for row in list_items(db, search="consulate")] == ["Vigil"]


def test_exact_duplicates_fold_into_one_story(db):
    one = add_source(db, "http://127.0.0.1:1/feed/", "One", "feed")
    two = add_source(db, "http://127.0.0.1:2/feed/", "Two", "feed")
    text = "The statement of the families, word for word, as sent to every partner."
    save_item(db, _item(one, "http://127.0.0.1:1/a", "Statement", text))
    save_item(db, _item(two, "http://127.0.0.1:2/b", "Families' statement", text))
    save_item(db, _item(two, "http://127.0.0.1:2/c", "Other", "A different story entirely."))
    report = cluster_new_items(db)
    assert (report.items, report.new_stories, report.folded) == (3, 2, 1)
    stories = db.execute("SELECT item_count FROM stories ORDER BY item_count DESC").fetchall()
    assert [row[0] for row in stories] == [2, 1]
    assert cluster_new_items(db).items == 0


def test_story_face_prefers_full_text_then_priority_then_readers_language(db):
    from aggregator.storage.partners import ensure_partner
    from aggregator.storage.stories import get_story
    from aggregator.storage.subscribers import add_subscriber

    text = "The same statement, word for word, long enough to count as a full text. " * 8
    sources = {}
    for name, priority in (("German group", 0), ("Turkish group", 0), ("Excerpt site", 5)):
        sources[name] = add_source(
            db,
            f"http://127.0.0.1/{len(sources)}/feed",
            name,
            "feed",
            partner_id=ensure_partner(db, name, priority=priority),
        )
    de = save_item(db, {**_item(sources["German group"], "http://127.0.0.1/de", "Erklärung", text), "language": "de"})[
        1
    ]
    tr = save_item(db, {**_item(sources["Turkish group"], "http://127.0.0.1/tr", "Açıklama", text), "language": "tr"})[
        1
    ]
    save_item(
        db,
        {
            **_item(sources["Excerpt site"], "http://127.0.0.1/x", "Short", "Short […]"),
            "language": "en",
            "content_hash": content_hash("Erklärung", text),
        },
    )
    for n in range(3):
        add_subscriber(db, f"okur{n}@example.org", "tr")
    add_subscriber(db, "leser@example.org", "de")
    cluster_new_items(db)
    story = get_story(db, db.execute("SELECT story_id FROM items WHERE id = ?", [de]).fetchone()[0])
    assert len(story["items"]) == 3
    assert story["representative_item_id"] == tr  # full text beats priority; more readers read Turkish


def test_polling_adapts_backs_off_and_never_gives_up():
    from datetime import datetime

    from aggregator.polling import FetchOutcome, health, next_state

    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    source = {"interval_seconds": 3600, "consecutive_failures": 0, "status": "active"}
    busy = next_state(source, FetchOutcome(200, True, new_items=4), now, min_interval=1800, max_backoff=86400)
    quiet = next_state(source, FetchOutcome(200, True, new_items=0), now, min_interval=1800, max_backoff=86400)
    assert busy["interval_seconds"] == 1800 and quiet["interval_seconds"] == 5400
    failing = dict(source)
    waits = []
    for _ in range(40):  # a feed broken for weeks: one failure a day
        changes = next_state(failing, FetchOutcome(500, False, error="down"), now, min_interval=1800, max_backoff=86400)
        failing.update(changes)
        waits.append(changes["next_fetch_at"])
    assert failing["status"] == "active" and failing["consecutive_failures"] == 40
    assert waits[-1] == "2026-11-23T12:00:00+00:00"  # capped at 24 h: polled again every day
    failing["failing_since"] = "2026-11-01T00:00:00+00:00"
    assert health(failing, now, 259200) == "failing"
    recovered = next_state(failing, FetchOutcome(200, True, new_items=2), now, min_interval=1800, max_backoff=86400)
    assert recovered["consecutive_failures"] == 0 and recovered["failing_since"] is None


def test_an_entry_stored_as_fresh_twice_is_one_item(db):
    """A feed that lists one entry twice: the crawl looked both up before either was stored."""
    source = add_source(db, "http://127.0.0.1:1/feed/", "Partner", "feed")
    entry = _item(source, "http://127.0.0.1:1/a", "Day 40", "Day 40 of the hunger strike.", "g1")
    status, first = save_item(db, dict(entry, entry_key="guid:g1"), fresh=True)
    assert status == "new"
    assert save_item(db, dict(entry, entry_key="guid:g1"), fresh=True) == ("unchanged", first)
    changed = dict(entry, entry_key="guid:g1", title="Day 41", text="Day 41 of the hunger strike.")
    assert save_item(db, changed, fresh=True) == ("updated", first)
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 1
    assert [r["title"] for r in list_revisions(db, first)] == ["Day 40"]


def test_new_items_in_one_transaction_open_no_savepoint_and_a_duplicate_loses_nothing(db):
    """A crawl stores its items inside one open transaction. A savepoint around each insert made
    SQLite's full-text index flush a segment per item (2.4x the cost of the insert, and merges
    after): a new item is one INSERT, atomic on its own, so it needs none. An entry listed twice
    in the same transaction is still one item, and the search index still finds every item."""
    from aggregator.db import writing

    source = add_source(db, "http://127.0.0.1:1/feed/", "Partner", "feed")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        with writing(db):
            for n in range(20):
                entry = _item(source, f"http://127.0.0.1:1/{n}", f"Day {n}", f"Hunger strike day {n} in Evin.", f"g{n}")
                assert save_item(db, dict(entry, entry_key=f"guid:g{n}"), fresh=n % 2 == 0)[0] == "new"
            again = _item(source, "http://127.0.0.1:1/4", "Day 4", "Hunger strike day 4 in Evin.", "g4")
            assert save_item(db, dict(again, entry_key="guid:g4"), fresh=True)[0] == "unchanged"
    finally:
        db.conn.set_trace_callback(None)
    assert not [s for s in statements if s.upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 20
    assert len(list_items(db, search="Evin")) == 20


def test_the_items_left_untagged_are_found_through_their_own_small_index(db):
    """Every crawl asks for items placed but left untagged; the planner had chosen the index of
    placed items and read them all (2 s of an unchanged re-crawl of 20,000 items)."""
    from aggregator.indexing import index_items
    from aggregator.storage.items import list_untagged_placed_items

    source = add_source(db, "http://127.0.0.1:1/feed/", "Partner", "feed")
    for n in range(3):
        save_item(db, _item(source, f"http://127.0.0.1:1/{n}", f"Day {n}", f"Hunger strike day {n} in Evin prison."))
    placed = sorted(cluster_new_items(db).item_ids)
    assert len(placed) == 3 and list_untagged_placed_items(db) == placed  # placed, not tagged yet
    index_items(db, placed[:2])
    assert list_untagged_placed_items(db) == placed[2:]
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        list_untagged_placed_items(db)
    finally:
        db.conn.set_trace_callback(None)
    plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statements[0]}"))
    assert "items_untagged" in plan and "items_story" not in plan, plan


def test_items_stored_in_one_transaction_are_indexed_for_search_in_one_piece(db):
    """FTS5 writes what it has gathered as a new segment at every savepoint, and the statement of
    a trigger is one: indexed by the insert trigger, each new item of a crawl's transaction became
    a segment of its own, merged again and again (storing cost four times what the index alone
    does). Twenty items in one transaction are one segment, and the index agrees with the items
    after inserts, a revision and a delete (FTS5's own integrity check reads both)."""
    from aggregator.db import writing

    source = add_source(db, "http://127.0.0.1:1/feed/", "Partner", "feed")
    with writing(db):
        for n in range(20):
            entry = _item(source, f"http://127.0.0.1:1/{n}", f"Day {n}", f"Hunger strike day {n} in Evin.", f"g{n}")
            assert save_item(db, entry)[0] == "new"
    assert db.execute("SELECT count(DISTINCT segid) FROM items_fts_idx").fetchone()[0] == 1
    assert len(list_items(db, search="Evin")) == 20
    revised = _item(source, "http://127.0.0.1:1/3", "Day 3", "Moved from Evin to Qarchak prison.", "g3")
    assert save_item(db, revised)[0] == "updated"
    db.execute("DELETE FROM items WHERE guid = 'g5'")
    db.execute("INSERT INTO items_fts (items_fts) VALUES ('integrity-check')")  # raises when they disagree
    assert [row["title"] for row in list_items(db, search="Qarchak")] == ["Day 3"]
    assert len(list_items(db, search="Evin")) == 19
