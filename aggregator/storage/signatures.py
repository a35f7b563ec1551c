"""What story matching reads and writes: signatures and names of placed items.

An item is *settled* when it has a story and is not waiting to be placed again
(`reprocess = 0`): only settled items are candidates for matching, so items waiting in a
chunked run (a rebuild, a revision) never pull others into their old stories.
Rows are plain tuples and dicts; nothing here knows how MinHash or names are computed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

import sqlite_utils

CHUNK = 500  # SQLite host parameters per IN (...) list
_MOMENT = "coalesce(published_at, fetched_at)"
_SETTLED = "story_id IS NOT NULL AND reprocess = 0"


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _marks(values: list) -> str:
    return ",".join("?" * len(values))


def count_settled_stories(db: sqlite_utils.Database, since: str, until: str) -> int:
    """How many stories have a settled item in [since, until]."""
    return db.execute(
        f"SELECT count(DISTINCT story_id) FROM items WHERE {_SETTLED} AND {_MOMENT} BETWEEN ? AND ?", [since, until]
    ).fetchone()[0]


def count_name_stories(db: sqlite_utils.Database, names: Iterable[str], since: str, until: str) -> dict[str, int]:
    """name -> how many stories with a settled item in [since, until] carry it."""
    counts: dict[str, int] = {}
    for part in _chunks(sorted(names)):
        for name, count in db.execute(
            f"SELECT n.name, count(DISTINCT i.story_id) FROM item_names n JOIN items i ON i.id = n.item_id "
            f"WHERE n.kind = 'name' AND n.name IN ({_marks(part)}) AND i.story_id IS NOT NULL AND i.reprocess = 0 "
            f"AND coalesce(i.published_at, i.fetched_at) BETWEEN ? AND ? GROUP BY n.name",
            [*part, since, until],
        ):
            counts[name] = count
    return counts


def count_settled_changes(db: sqlite_utils.Database) -> int:
    """How many times a settled item has left its story or the settled set (migration m020's triggers)."""
    return db.execute("SELECT count FROM settled_changes WHERE id = 1").fetchone()[0]


def list_match_data(db: sqlite_utils.Database, item_ids: list[int]) -> list[dict]:
    """The items of `item_ids` that have a stored signature (placed, or signed ahead), with what
    matching needs: id, story_id, language, content_hash, moment, minhash, shingles, numbers
    (list), rtl, and names as [(kind, name)]."""
    found = []
    for part in _chunks(sorted(set(item_ids))):
        names: dict[int, list] = defaultdict(list)
        for item_id, kind, name in db.execute(
            f"SELECT item_id, kind, name FROM item_names WHERE item_id IN ({_marks(part)})", part
        ):
            names[item_id].append((kind, name))
        for row in db.query(
            f"SELECT i.id, i.story_id, i.language, i.content_hash, {_MOMENT} AS moment, s.minhash, s.shingles, "
            f"s.numbers, s.rtl "
            f"FROM items i JOIN item_signatures s ON s.item_id = i.id WHERE i.id IN ({_marks(part)})",
            part,
        ):
            row["numbers"] = json.loads(row["numbers"])
            row["names"] = names[row["id"]]
            found.append(row)
    return found


def list_item_ids(db: sqlite_utils.Database) -> list[int]:
    """Every item's id, in order (to walk all items a page at a time)."""
    return [row[0] for row in db.execute("SELECT id FROM items ORDER BY id")]


def list_pending_items(db: sqlite_utils.Database, after_id: int, limit: int) -> list[dict]:
    """Up to `limit` items to place (no story, or `reprocess = 1`) with ids above `after_id`, by id:
    id, title, language, content_hash, published_at, fetched_at, their `moment` and `new` (1 for
    an item never placed: no story and not marked to be placed again); not their texts, read a
    chunk at a time when the chunk is placed.

    The two kinds are read apart, each in the order of its own index, and merged: asked for
    both at once (`story_id IS NULL OR reprocess = 1`), SQLite read every waiting item above
    `after_id` and sorted them all for each page, and a crawl's folding pass lists tens of
    thousands a page at a time (1 s of a 100,000-item crawl's placing, benchmarks/clustering.py).
    """
    columns = (
        f"SELECT id, title, language, content_hash, published_at, fetched_at, {_MOMENT} AS moment, "
        f"story_id IS NULL AND reprocess = 0 AS new FROM items"
    )
    found = {
        row["id"]: row
        for kind in ("story_id IS NULL", "reprocess = 1")
        for row in db.query(f"{columns} WHERE {kind} AND id > ? ORDER BY id LIMIT ?", [after_id, limit])
    }
    return [found[item_id] for item_id in sorted(found)[:limit]]


def list_settled_by_hash(
    db: sqlite_utils.Database, hashes: Iterable[str], since: str, until: str
) -> list[tuple[str, int, int, str]]:
    """(content_hash, item id, story id, moment) of settled items in [since, until] with one of `hashes`."""
    found: list[tuple[str, int, int, str]] = []
    for part in _chunks(sorted(set(hashes))):
        found += db.execute(
            f"SELECT content_hash, id, story_id, {_MOMENT} FROM items WHERE content_hash IN ({_marks(part)}) "
            f"AND {_SETTLED} AND {_MOMENT} BETWEEN ? AND ?",
            [*part, since, until],
        ).fetchall()
    return found


def list_settled_signatures(db: sqlite_utils.Database, since: str, until: str) -> tuple[list[int], list[str], bytes]:
    """(item ids, moments, their MinHash signatures joined) of the settled items in [since, until].

    One range read of the moment index: a crawl's window of about 20,000 items takes some
    30 ms, where storing 37 LSH band keys per item in an indexed table cost 0.3-0.5 ms per item
    and grew with the database (benchmarks/clustering.py).
    """
    ids: list[int] = []
    moments: list[str] = []
    blobs: list[bytes] = []
    for item_id, moment, blob in db.execute(
        "SELECT i.id, coalesce(i.published_at, i.fetched_at), s.minhash FROM items i "
        "JOIN item_signatures s ON s.item_id = i.id WHERE coalesce(i.published_at, i.fetched_at) BETWEEN ? AND ? "
        "AND i.story_id IS NOT NULL AND i.reprocess = 0",
        [since, until],
    ):
        ids.append(item_id)
        moments.append(moment)
        blobs.append(blob)
    return ids, moments, b"".join(blobs)


def list_settled_by_names(
    db: sqlite_utils.Database,
    kind: str,
    names: Iterable[str],
    since: str,
    until: str,
    not_language: str | None = None,
    language: str | None = None,
) -> list[tuple[str, int, str, str]]:
    """(name, item id, moment, language or '') of settled items in [since, until] carrying one of
    `names` of `kind` ('name', 'latin' or 'rtl'); only those not in `not_language`, or only those
    in `language`, when given ('' stands for no language)."""
    where, extra = "", []
    if not_language is not None:
        where, extra = " AND coalesce(i.language, '') != ?", [not_language]
    elif language is not None:
        where, extra = " AND coalesce(i.language, '') = ?", [language]
    found: list[tuple[str, int, str, str]] = []
    for part in _chunks(sorted(set(names))):
        found += db.execute(
            f"SELECT n.name, i.id, coalesce(i.published_at, i.fetched_at), coalesce(i.language, '') "
            f"FROM item_names n JOIN items i ON i.id = n.item_id WHERE n.kind = ? AND n.name IN ({_marks(part)}) "
            f"AND i.story_id IS NOT NULL AND i.reprocess = 0{where} "
            f"AND coalesce(i.published_at, i.fetched_at) BETWEEN ? AND ?",
            [kind, *part, *extra, since, until],
        ).fetchall()
    return found


def list_stories_members(
    db: sqlite_utils.Database, story_ids: Iterable[int], since: str, until: str
) -> list[tuple[int, int, str]]:
    """(story id, item id, moment) of the settled items of `story_ids` in [since, until]."""
    found: list[tuple[int, int, str]] = []
    for part in _chunks(sorted(set(story_ids))):
        found += db.execute(
            f"SELECT story_id, id, {_MOMENT} FROM items WHERE story_id IN ({_marks(part)}) AND reprocess = 0 "
            f"AND {_MOMENT} BETWEEN ? AND ?",
            [*part, since, until],
        ).fetchall()
    return found


def newest_unplaced_id(db: sqlite_utils.Database) -> int:
    """The highest id of an item never placed (no story, not marked to be placed again), or 0."""
    row = db.execute("SELECT max(id) FROM items WHERE story_id IS NULL AND reprocess = 0").fetchone()
    return row[0] or 0


def list_unsigned_new_items(db: sqlite_utils.Database, above: int, below: int, limit: int) -> list[dict]:
    """Up to `limit` items never placed (no story, not marked to be placed again) with no stored
    signature and an id between `above` and `below` (both left out), newest first: id, title,
    text, language, content_hash. Read through the index of unplaced items, from `below` down."""
    return list(
        db.query(
            "SELECT id, title, text, language, content_hash FROM items WHERE story_id IS NULL AND reprocess = 0 "
            "AND id > ? AND id < ? AND NOT EXISTS (SELECT 1 FROM item_signatures s WHERE s.item_id = items.id) "
            "ORDER BY id DESC LIMIT ?",
            [above, below, limit],
        )
    )


def save_new_match_data(db: sqlite_utils.Database, rows: list[dict]) -> int:
    """`save_match_data` for items signed ahead of placing; how many were saved.

    Each row also carries the `content_hash` and `language` its item had when it was read. A
    row is saved only while its item still has them, is still unplaced and has no signature:
    a revision stored meanwhile deletes the signature and changes the hash, and a signature
    read from an older text must not outlive it. Call inside `writing(db)`.
    """
    current = [
        row
        for row in rows
        if db.execute(
            "SELECT 1 FROM items WHERE id = ? AND content_hash = ? AND language IS ? AND story_id IS NULL "
            "AND reprocess = 0 AND NOT EXISTS (SELECT 1 FROM item_signatures s WHERE s.item_id = items.id)",
            [row["item_id"], row["content_hash"], row["language"]],
        ).fetchone()
    ]
    save_match_data(db, current)
    return len(current)


def save_match_data(db: sqlite_utils.Database, rows: list[dict]) -> None:
    """Store, replacing, each item's signature and names, with a few executemany calls.

    Each row: item_id, minhash (bytes), shingles, numbers (list), rtl (bool), names (list of
    (kind, name)). Call inside `writing(db)`.
    """
    if not rows:
        return
    ids = [(row["item_id"],) for row in rows]
    conn = db.conn
    conn.executemany(
        "INSERT OR REPLACE INTO item_signatures (item_id, minhash, shingles, numbers, rtl) VALUES (?, ?, ?, ?, ?)",
        [(r["item_id"], r["minhash"], r["shingles"], json.dumps(sorted(r["numbers"])), int(r["rtl"])) for r in rows],
    )
    conn.executemany("DELETE FROM item_names WHERE item_id = ?", ids)
    # in key order: the inserts walk the key from one end to the other instead of at random
    conn.executemany(
        "INSERT OR IGNORE INTO item_names (kind, name, item_id) VALUES (?, ?, ?)",
        sorted({(kind, name, r["item_id"]) for r in rows for kind, name in r["names"]}),
    )
