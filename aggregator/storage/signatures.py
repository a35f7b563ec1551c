"""What story matching reads and writes: signatures, LSH band keys and names of placed items.

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


def list_match_data(db: sqlite_utils.Database, item_ids: list[int]) -> list[dict]:
    """Settled items with what matching needs: id, story_id, language, content_hash, minhash,
    shingles, numbers (list), rtl, and names as [(kind, name)]."""
    found = []
    for part in _chunks(sorted(set(item_ids))):
        names: dict[int, list] = defaultdict(list)
        for item_id, kind, name in db.execute(
            f"SELECT item_id, kind, name FROM item_names WHERE item_id IN ({_marks(part)})", part
        ):
            names[item_id].append((kind, name))
        for row in db.query(
            f"SELECT i.id, i.story_id, i.language, i.content_hash, s.minhash, s.shingles, s.numbers, s.rtl "
            f"FROM items i JOIN item_signatures s ON s.item_id = i.id WHERE i.id IN ({_marks(part)})",
            part,
        ):
            row["numbers"] = json.loads(row["numbers"])
            row["names"] = names[row["id"]]
            found.append(row)
    return found


def list_settled_items(
    db: sqlite_utils.Database, item_ids: Iterable[int], since: str, until: str, not_language: str | None = None
) -> list[int]:
    """The settled items among `item_ids` in [since, until] (and not in `not_language`), by id."""
    other = " AND coalesce(language, '') != ?" if not_language is not None else ""
    found = []
    for part in _chunks(sorted(set(item_ids))):
        found += [
            row[0]
            for row in db.execute(
                f"SELECT id FROM items WHERE id IN ({_marks(part)}) "
                f"AND {_SETTLED} AND {_MOMENT} BETWEEN ? AND ?{other}",
                [*part, since, until, *([not_language] if other else [])],
            )
        ]
    return sorted(found)


def list_story_members(db: sqlite_utils.Database, story_id: int, since: str, until: str, limit: int) -> list[int]:
    """The most recent settled items of a story in [since, until], newest first."""
    return [
        row[0]
        for row in db.execute(
            f"SELECT id FROM items WHERE story_id = ? AND reprocess = 0 AND {_MOMENT} BETWEEN ? AND ? "
            f"ORDER BY id DESC LIMIT ?",
            [story_id, since, until, limit],
        )
    ]


def find_exact_story(
    db: sqlite_utils.Database, content_hash: str, item_id: int, since: str, until: str
) -> tuple[int, int] | None:
    """(item id, story id) of the first settled item in [since, until] with the same normalised text."""
    row = db.execute(
        f"SELECT id, story_id FROM items WHERE content_hash = ? AND id != ? AND {_SETTLED} "
        f"AND {_MOMENT} BETWEEN ? AND ? ORDER BY id LIMIT 1",
        [content_hash, item_id, since, until],
    ).fetchone()
    return (row[0], row[1]) if row else None


def list_items_by_bands(db: sqlite_utils.Database, keys: list[int]) -> set[int]:
    """Items sharing at least one LSH band key."""
    return {
        row[0]
        for part in _chunks(sorted(set(keys)))
        for row in db.execute(f"SELECT item_id FROM item_bands WHERE key IN ({_marks(part)})", part)
    }


def list_items_by_names(db: sqlite_utils.Database, kind: str, names: list[str]) -> set[int]:
    """Items carrying one of `names` of `kind` ('name', 'latin' or 'rtl')."""
    return {
        row[0]
        for part in _chunks(sorted(set(names)))
        for row in db.execute(
            f"SELECT item_id FROM item_names WHERE kind = ? AND name IN ({_marks(part)})", [kind, *part]
        )
    }


def list_signatures(db: sqlite_utils.Database, item_ids: list[int]) -> dict[int, tuple[bytes, int]]:
    """item id -> (MinHash bytes, shingle count) for the items that have stored signatures."""
    return {
        row[0]: (row[1], row[2])
        for part in _chunks(sorted(set(item_ids)))
        for row in db.execute(
            f"SELECT item_id, minhash, shingles FROM item_signatures WHERE item_id IN ({_marks(part)})", part
        )
    }


def save_match_data(db: sqlite_utils.Database, rows: list[dict]) -> None:
    """Store, replacing, each item's signature, band keys and names, with a few executemany calls.

    Each row: item_id, minhash (bytes), shingles, numbers (list), rtl (bool), bands (list of
    ints), names (list of (kind, name)). Call inside `writing(db)`.
    """
    if not rows:
        return
    ids = [(row["item_id"],) for row in rows]
    conn = db.conn
    conn.executemany(
        "INSERT OR REPLACE INTO item_signatures (item_id, minhash, shingles, numbers, rtl) VALUES (?, ?, ?, ?, ?)",
        [(r["item_id"], r["minhash"], r["shingles"], json.dumps(sorted(r["numbers"])), int(r["rtl"])) for r in rows],
    )
    conn.executemany("DELETE FROM item_bands WHERE item_id = ?", ids)
    conn.executemany("DELETE FROM item_names WHERE item_id = ?", ids)
    conn.executemany(
        "INSERT INTO item_bands (key, item_id) VALUES (?, ?)", [(key, r["item_id"]) for r in rows for key in r["bands"]]
    )
    conn.executemany(
        "INSERT INTO item_names (name, kind, item_id) VALUES (?, ?, ?)",
        [(name, kind, r["item_id"]) for r in rows for kind, name in r["names"]],
    )
