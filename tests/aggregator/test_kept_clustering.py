"""A `Clustering` kept from run to run (a crawl's folding child) places as fresh runs do, reads
the window once, and reads afresh when someone else changed a placed item."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import aggregator.clustering as clustering
from aggregator.clustering import Clustering, cluster_new_items
from aggregator.db import open_db
from aggregator.storage.items import save_item
from aggregator.storage.signatures import count_settled_changes
from aggregator.storage.sources import add_source
from aggregator.text import content_hash

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
NAMES = ["Selin Ekinci", "Nasrin Alavi", "Serhat Demirel", "Tavu Jonmi", "Kofi Mensah", "Ana Ruiz"]


def _batches(seed: int = 3) -> list[list[dict]]:
    """Three crawl passes of items: reposts with edits, and retellings in German that share two
    names and a day count with their original, published hours apart and in no order of time."""
    rng = random.Random(seed)
    vocabulary = [f"wort{n}" for n in range(3_000)]
    batches: list[list[dict]] = [[], [], []]
    for story in range(18):
        words = rng.choices(vocabulary, k=90)
        first, second = rng.sample(NAMES, 2)
        days = str(rng.randint(100, 400))
        text = f"{first} and {second} on day {days}: " + " ".join(words)
        when = START + timedelta(hours=rng.randint(0, 72))
        versions = [("en", text)]
        for _ in range(2):
            edited = list(words)
            edited[rng.randrange(len(edited))] = "changed"
            versions.append(("en", f"{first} and {second} on day {days}: " + " ".join(edited)))
        other = rng.choices(vocabulary, k=60)
        versions.append(("de", f"{first} und {second} am Tag {days}: " + " ".join(other)))
        for copy, (language, body) in enumerate(versions):
            batches[rng.randrange(3)].append(
                {
                    "guid": f"{story}-{copy}",
                    "title": f"Story {story} ({copy})",
                    "text": body,
                    "language": language,
                    "published_at": (when + timedelta(hours=copy * 5)).isoformat(),
                }
            )
    return batches


def _store(db, source: int, batch: list[dict]) -> None:
    for entry in batch:
        save_item(
            db,
            {
                **entry,
                "source_id": source,
                "url": f"http://127.0.0.1/{entry['guid']}",
                "content_hash": content_hash(entry["title"], entry["text"]),
            },
        )


def _partition(db) -> set[frozenset[str]]:
    stories: dict[int, set[str]] = {}
    for guid, story_id in db.execute("SELECT guid, story_id FROM items"):
        stories.setdefault(story_id, set()).add(guid)
    return {frozenset(guids) for guids in stories.values()}


def _count_window_reads(monkeypatch) -> list[int]:
    reads: list[int] = []
    real = clustering.list_settled_signatures

    def counting(*args, **kwargs):
        reads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(clustering, "list_settled_signatures", counting)
    return reads


def test_a_kept_clustering_places_items_as_fresh_runs_do_and_reads_the_window_once(db, tmp_path, monkeypatch):
    other = open_db(tmp_path / "fresh.db")
    sources = [add_source(d, "http://127.0.0.1/feed", "passes", "feed") for d in (db, other)]
    kept = Clustering(db)
    reads = _count_window_reads(monkeypatch)
    placed = []
    for batch in _batches():
        _store(db, sources[0], batch)
        _store(other, sources[1], batch)
        placed.append(kept.run().items)
        cluster_new_items(other)
    assert placed == [len(batch) for batch in _batches()]
    kept_partition = _partition(db)
    assert kept_partition == _partition(other)
    # the retellings joined their originals: fewer stories than items, and some across languages
    assert len(kept_partition) < sum(placed)
    assert any(len({guid.split("-")[0] for guid in story}) == 1 and len(story) == 4 for story in kept_partition)
    # the fresh runs read the window each time (3); the kept one once, then added what it placed
    assert len(reads) == 3 + 1
    other.conn.close()


def test_an_editor_moving_an_item_between_runs_makes_the_next_run_read_afresh(db, monkeypatch):
    from aggregator.curation import move_item

    source = add_source(db, "http://127.0.0.1/feed", "passes", "feed")
    first, second, third = _batches()
    kept = Clustering(db)
    reads = _count_window_reads(monkeypatch)
    _store(db, source, first)
    kept.run()
    _store(db, source, second)
    kept.run()
    assert len(reads) == 1
    item_id, story_id = db.execute("SELECT id, story_id FROM items ORDER BY id LIMIT 1").fetchone()
    target = db.execute("SELECT id FROM stories WHERE id != ? ORDER BY id LIMIT 1", [story_id]).fetchone()[0]
    joined = db.execute("SELECT id FROM items WHERE story_id = ?", [target]).fetchall()
    move_item(db, item_id, target, "editor")
    after = db.execute("SELECT story_id FROM items WHERE id = ?", [item_id]).fetchone()[0]
    assert {row[0] for row in db.execute("SELECT id FROM items WHERE story_id = ?", [after])} >= {
        row[0] for row in joined
    }
    _store(db, source, third)
    kept.run()
    assert len(reads) == 2  # what it had read said the item was in its old story
    assert db.execute("SELECT story_id FROM items WHERE id = ?", [item_id]).fetchone()[0] == after


def test_settled_changes_count_what_others_do_to_placed_items_and_not_new_placements(db):
    from aggregator.curation import merge_stories, move_item

    source = add_source(db, "http://127.0.0.1/feed", "changes", "feed")
    first, second, _ = _batches()
    _store(db, source, first)
    assert count_settled_changes(db) == 0
    cluster_new_items(db)
    assert count_settled_changes(db) == 0  # new items placed: nobody's view of the placed ones changed
    rows = db.execute("SELECT id, story_id, guid FROM items ORDER BY id").fetchall()
    stories = sorted({story for _, story, _ in rows})
    move_item(db, rows[0][0], next(s for s in stories if s != rows[0][1]), "editor")
    moved = count_settled_changes(db)
    assert moved >= 1
    merge_stories(db, stories[-1], stories[-2], "editor")
    merged = count_settled_changes(db)
    assert merged > moved
    entry = next(e for e in first if e["guid"] == rows[-1][2])
    _store(db, source, [{**entry, "text": entry["text"] + " A paragraph the partner added later."}])
    assert count_settled_changes(db) == merged + 1  # a revision: the item waits to be placed again
    _store(db, source, second)
    cluster_new_items(db)
    # placing the revised item again and the new ones changes no settled item
    assert count_settled_changes(db) == merged + 1


def test_names_counted_for_a_new_span_forget_which_were_common_in_the_old_one(db):
    """Names are counted a chunk at a time; a chunk that brings no name but moves the matcher to
    another span must still leave the names common in the old span behind."""
    matcher = clustering._Matcher(db, timedelta(days=10), 0.5, 0.7)
    matcher.count_names({"Nasrin Alavi"}, "2026-03-01", "2026-03-20")
    matcher.name_counts["Nasrin Alavi"] = 50  # carried by 50 stories around March
    matcher.frequent.add("Nasrin Alavi")
    matcher._common = None
    assert matcher.common() == {"Nasrin Alavi"}
    matcher.count_names(set(), "2026-09-01", "2026-09-20")  # months later: a span of its own
    assert matcher.common() == set()
    assert matcher.rarity("Nasrin Alavi") == 1.0
