"""Clustering and rebuilds commit in chunks: a crash between chunks loses nothing and leaves no half story."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

import aggregator.clustering as clustering
from aggregator.clustering import cluster_new_items, rebuild_stories
from aggregator.indexing import index_items
from aggregator.storage.items import save_item
from aggregator.storage.pins import new_pin, pin_items
from aggregator.storage.sources import add_source
from aggregator.text import content_hash


class Crash(Exception):
    pass


def _load(db, groups: int = 12, copies: int = 3) -> dict[int, int]:
    """`groups` stories of `copies` reposts each, interleaved in time; item id -> its group."""
    rng = random.Random(5)
    source = add_source(db, "http://127.0.0.1/feed", "chunks", "feed")
    start = datetime(2026, 2, 1, tzinfo=UTC)
    truth = {}
    bodies = [rng.choices([f"word{n}" for n in range(2_000)], k=80) for _ in range(groups)]
    for copy in range(copies):
        for group, words in enumerate(bodies):
            words = list(words)
            words[rng.randrange(len(words))] = "changed"
            text, title = " ".join(words), f"Story {group} copy {copy}"
            _, item_id = save_item(
                db,
                {
                    "source_id": source,
                    "guid": f"{group}-{copy}",
                    "url": f"http://127.0.0.1/{group}/{copy}",
                    "title": title,
                    "text": text,
                    "language": "en",
                    "content_hash": content_hash(title, text),
                    "published_at": (start + timedelta(hours=copy, minutes=group)).isoformat(),
                },
            )
            truth[item_id] = group
    return truth


def _partition(db) -> set[frozenset[int]]:
    stories: dict[int, set[int]] = {}
    for item_id, story_id in db.execute("SELECT id, story_id FROM items"):
        stories.setdefault(story_id, set()).add(item_id)
    return {frozenset(items) for items in stories.values()}


def _consistent(db) -> None:
    """Every story's count is its items' count, and no story is empty unless an edition keeps it."""
    assert (
        db.execute(
            "SELECT count(*) FROM stories s WHERE item_count != (SELECT count(*) FROM items WHERE story_id = s.id)"
        ).fetchone()[0]
        == 0
    )
    assert db.execute("SELECT count(*) FROM stories WHERE item_count = 0").fetchone()[0] == 0


def _crash_on_chunk(monkeypatch, number: int) -> None:
    """Make the `number`th chunk fail after placing its items, before its transaction commits."""
    real, calls = clustering._write_chunk, []

    def failing(*args, **kwargs):
        calls.append(1)
        real(*args, **kwargs)
        if len(calls) == number:
            raise Crash

    monkeypatch.setattr(clustering, "_write_chunk", failing)


def test_clustering_commits_in_chunks_and_a_crash_leaves_items_waiting(db, monkeypatch):
    truth = _load(db)
    monkeypatch.setattr(clustering, "CHUNK_ITEMS", 5)
    _crash_on_chunk(monkeypatch, 3)
    with pytest.raises(Crash):
        cluster_new_items(db)
    placed = db.execute("SELECT count(*) FROM items WHERE story_id IS NOT NULL AND reprocess = 0").fetchone()[0]
    assert placed == 10  # the first two chunks were committed, the third rolled back
    _consistent(db)
    monkeypatch.undo()
    monkeypatch.setattr(clustering, "CHUNK_ITEMS", 5)
    report = cluster_new_items(db)  # the next run places what is left
    assert report.items == len(truth) - 10
    assert db.execute("SELECT count(*) FROM items WHERE story_id IS NULL OR reprocess = 1").fetchone()[0] == 0
    _consistent(db)
    expected = {frozenset(i for i, g in truth.items() if g == group) for group in set(truth.values())}
    assert _partition(db) == expected


def test_a_rebuild_interrupted_between_chunks_is_finished_by_the_next_run(db, monkeypatch):
    truth = _load(db)
    cluster_new_items(db)
    before = _partition(db)
    ids = {
        frozenset(items): db.execute("SELECT story_id FROM items WHERE id = ?", [min(items)]).fetchone()[0]
        for items in before
    }
    # an editor split one item out of its story: the pin must survive the crash and the next run
    lone = max(truth)
    pin_items(db, [lone], new_pin(), "editor")
    monkeypatch.setattr(clustering, "CHUNK_ITEMS", 4)
    _crash_on_chunk(monkeypatch, 4)
    with pytest.raises(Crash):
        rebuild_stories(db)
    waiting = db.execute("SELECT count(*) FROM items WHERE story_id IS NULL OR reprocess = 1").fetchone()[0]
    assert waiting == len(truth) - 12
    assert (
        db.execute(
            "SELECT count(*) FROM stories s WHERE item_count != (SELECT count(*) FROM items WHERE story_id = s.id)"
        ).fetchone()[0]
        == 0
    )
    monkeypatch.undo()
    cluster_new_items(db)
    assert db.execute("SELECT count(*) FROM items WHERE story_id IS NULL OR reprocess = 1").fetchone()[0] == 0
    _consistent(db)
    after = _partition(db)
    assert frozenset({lone}) in after  # the pin held
    for items in before:
        rest = items - {lone}
        assert rest in after
        # story ids are kept where the story stays
        assert db.execute("SELECT story_id FROM items WHERE id = ?", [min(rest)]).fetchone()[0] == ids[items]


def test_indexing_commits_in_chunks(db, monkeypatch):
    import aggregator.indexing as indexing

    truth = _load(db, groups=5, copies=2)
    cluster_new_items(db)
    monkeypatch.setattr(indexing, "CHUNK_ITEMS", 3)
    begun = []
    real = indexing.writing

    def counting(database, while_waiting=None):
        begun.append(1)
        return real(database, while_waiting)

    monkeypatch.setattr(indexing, "writing", counting)
    report = index_items(db, sorted(truth))
    assert report.items == len(truth)
    assert len(begun) == 4  # 10 items, 3 per transaction


def test_a_story_merged_away_while_a_chunk_is_matched_is_matched_again(db, monkeypatch):
    """A chunk is matched outside the write transaction (a crawl storing alongside must not wait
    for it); an editor merging the story it joins meanwhile makes it match again inside."""
    from aggregator.curation import merge_stories
    from aggregator.db import open_db

    truth = _load(db, groups=4, copies=2)
    cluster_new_items(db)
    first = min(i for i, g in truth.items() if g == 1)
    gone = db.execute("SELECT story_id FROM items WHERE id = ?", [first]).fetchone()[0]
    other = db.execute(
        "SELECT story_id FROM items WHERE id = ?", [min(i for i, g in truth.items() if g == 0)]
    ).fetchone()[0]
    row = db.execute("SELECT source_id, title, text, published_at FROM items WHERE id = ?", [first]).fetchone()
    text = row[2].replace("changed", "altered", 1)
    _, repost = save_item(
        db,
        {
            "source_id": row[0],
            "guid": "repost",
            "url": "http://127.0.0.1/repost",
            "title": row[1],
            "text": text,
            "language": "en",
            "content_hash": content_hash(row[1], text),
            "published_at": row[3],
        },
    )
    editor = open_db(db.conn.execute("PRAGMA database_list").fetchone()[2])
    real, calls = clustering._match_chunk, []

    def matched_then_merged(*args, **kwargs):
        decisions = real(*args, **kwargs)
        calls.append([d.story_id for d in decisions])
        if len(calls) == 1:  # the editor's merge commits between the matching and the writing
            assert merge_stories(editor, other, gone, "editor") == other
        return decisions

    monkeypatch.setattr(clustering, "_match_chunk", matched_then_merged)
    report = cluster_new_items(db)
    # matched to the story that went, then again: the merged story is half another story's, so
    # the repost agrees with only half its members and opens a story of its own
    assert calls == [[gone], [-1]]
    assert report.items == 1 and report.new_stories == 1
    placed = db.execute("SELECT story_id FROM items WHERE id = ?", [repost]).fetchone()[0]
    assert placed not in (gone, other)
    assert db.execute("SELECT count(*) FROM stories WHERE id IN (?, ?)", [gone, placed]).fetchone()[0] == 1
    _consistent(db)
