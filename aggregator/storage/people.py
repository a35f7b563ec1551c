"""People named in items, and the stories that mention them: the basis for case pages."""

from __future__ import annotations

from collections.abc import Sequence

import sqlite_utils

from aggregator.exceptions import NotFound


def list_people(db: sqlite_utils.Database) -> list[dict]:
    return list(
        db.query(
            "SELECT people.id, people.name, count(DISTINCT items.story_id) AS stories, count(*) AS mentions, "
            "group_concat(DISTINCT items.language) AS languages, "
            "max(coalesce(items.published_at, items.fetched_at)) AS last_seen "
            "FROM people JOIN people_mentions m ON m.person_id = people.id JOIN items ON items.id = m.item_id "
            "GROUP BY people.id ORDER BY stories DESC, mentions DESC, people.name"
        )
    )


def get_person(db: sqlite_utils.Database, key: str, name: str) -> dict:
    """A person by the folded `key` of `name` (`aggregator.people.person_key`): 'Şahin' finds 'Sahin'.

    Or by the name as first written: a name in Persian script is keyed by the Latin spelling
    beside it, so its own key finds nothing.
    """
    row = next(
        db.query(
            "SELECT * FROM people WHERE key = ? OR name = ? OR key LIKE ? "
            "ORDER BY key = ? DESC, name = ? DESC, length(key) LIMIT 1",
            [key, name, f"%{key}%", key, name],
        ),
        None,
    )
    if row is None:
        raise NotFound(f"no person called {name!r} (see `wire people list`)")
    row["stories"] = list(
        db.query(
            "SELECT DISTINCT stories.id, stories.title, stories.last_published_at, m.role FROM people_mentions m "
            "JOIN items ON items.id = m.item_id JOIN stories ON stories.id = items.story_id WHERE m.person_id = ? "
            "ORDER BY stories.last_published_at DESC",
            [row["id"]],
        )
    )
    return row


def replace_mentions(
    db: sqlite_utils.Database, mentions: Sequence[tuple[int, Sequence[tuple[str, str, str | None]]]]
) -> int:
    """Store each (item id, [(name, key, role)]) in place of the item's old mentions; new people are added.

    Returns how many mentions were written. A person is found by `key`; the name first written stays.
    """
    from aggregator.db import row_id, writing

    keys = sorted({key for _, found in mentions for _, key, _ in found})
    with writing(db):
        db.conn.executemany("DELETE FROM people_mentions WHERE item_id = ?", [(item_id,) for item_id, _ in mentions])
        ids: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            ids.update(
                db.execute(f"SELECT key, id FROM people WHERE key IN ({','.join('?' * len(part))})", part).fetchall()
            )
        rows = []
        for item_id, found in mentions:
            for name, key, role in found:
                if key not in ids:
                    ids[key] = row_id(db.execute("INSERT INTO people (name, key) VALUES (?, ?)", [name, key]).lastrowid)
                rows.append((ids[key], item_id, role))
        db.conn.executemany(
            "INSERT INTO people_mentions (person_id, item_id, role) VALUES (?, ?, ?) "
            "ON CONFLICT (person_id, item_id) DO UPDATE SET role = excluded.role",
            rows,
        )
        written = len(rows)
    return written
