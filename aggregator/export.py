"""The stable export form of items (`wire items export`): the fields scripts rely on, as JSON lines or CSV.

Pure: stored rows in, lines of text out; the caller writes them where it likes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from itertools import chain

#: Every exported field, in order. Scripts depend on these names: add, never rename.
EXPORT_FIELDS = (
    "id",
    "story_id",
    "source",
    "source_id",
    "url",
    "canonical_url",
    "guid",
    "title",
    "author",
    "published",
    "fetched",
    "language",
    "summary",
    "text",
    "tags",
    "image_url",
)
FORMATS = ("jsonl", "csv")


def export_record(row: dict) -> dict:
    """The stable JSON form of an item as `list_items` returns it."""
    return {
        "id": row["id"],
        "story_id": row["story_id"],
        "source": row["source_name"],
        "source_id": row["source_id"],
        "url": row["url"],
        "canonical_url": row["canonical_url"],
        "guid": row["guid"],
        "title": row["title"],
        "author": row["author"],
        "published": row["published_at"],
        "fetched": row["fetched_at"],
        "language": row["language"],
        "summary": row["summary"],
        "text": row["text"],
        "tags": json.loads(row["tags"] or "[]"),
        "image_url": row["image_url"],
    }


def export_lines(rows: Iterable[dict], fmt: str) -> Iterator[str]:
    """Each item as a line of JSON, or a CSV header and rows (tags joined by spaces)."""
    records = (export_record(row) for row in rows)
    if fmt == "jsonl":
        for record in records:
            yield json.dumps(record, ensure_ascii=False) + "\n"
        return
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_FIELDS))
    first = next(records, None)
    if first is None:  # as before: a lone header `id` when there is nothing to export
        yield "id\r\n"
        return
    writer.writeheader()
    for record in chain([first], records):
        writer.writerow({**record, "tags": " ".join(record["tags"])})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
