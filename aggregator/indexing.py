"""After each crawl: tag new items from the taxonomy and index the people they name. The I/O edge.

Tags and names are computed outside any transaction; each chunk of CHUNK_ITEMS items is then
written in one short write transaction, so the web app and other writers wait at most for one
chunk's inserts, never for the tagging of a whole crawl (or of one enormous item).

The chunk's transaction also writes the full-text rows its items lack: a crawl writes them in
bulk (`crawlers.batch.WriteBatch`), and one killed between committing its items and writing
their rows leaves them to this pass, which every item goes through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from aggregator.db import writing
from aggregator.people import find_people
from aggregator.storage.items import index_full_text, list_items_for_indexing, mark_tagged
from aggregator.storage.people import replace_mentions
from aggregator.storage.signatures import list_item_ids
from aggregator.storage.tags import replace_tag_evidence
from aggregator.tagging import tag_text

logger = logging.getLogger(__name__)

#: Items written per write transaction.
CHUNK_ITEMS = 200


@dataclass
class IndexReport:
    items: int = 0
    tags: int = 0
    mentions: int = 0


def index_items(
    db: sqlite_utils.Database,
    item_ids: list[int] | None = None,
    taxonomy=None,
    while_waiting: Callable[[], bool] | None = None,
    with_writes: Callable[[], None] | None = None,
) -> IndexReport:
    """Tag and index `item_ids`, or every item (after an editor changed the taxonomy).

    Texts are read CHUNK_ITEMS at a time, as they are written: a crawl of 20,000 items never
    holds all their texts at once. A crawl's tagging child signs items ahead while it waits for
    its write turn (`while_waiting`) and saves them in the same transaction (`with_writes`,
    called inside each): `aggregator.clustering.SigningAhead`.
    """
    report = IndexReport()
    ids = list_item_ids(db) if item_ids is None else list(dict.fromkeys(item_ids))
    for start in range(0, len(ids), CHUNK_ITEMS):
        evidence, mentions = [], []
        for row in list_items_for_indexing(db, ids[start : start + CHUNK_ITEMS]):
            tags = tag_text(row["title"], row["text"] or "", taxonomy, row["language"])
            evidence.append((row["id"], tags))
            mentions.append((row["id"], find_people(f"{row['title']}\n{row['text'] or ''}")))
            report.items += 1
            report.tags += len(tags)
        # one short transaction per chunk: an item's old evidence and mentions go together
        with writing(db, while_waiting):
            if with_writes is not None:
                with_writes()
            for item_id in index_full_text(db, [item_id for item_id, _ in evidence]):
                logger.error("item %s is kept, but the full-text index refused it: search will not find it", item_id)
            replace_tag_evidence(db, evidence)
            report.mentions += replace_mentions(db, mentions)
            mark_tagged(db, [item_id for item_id, _ in evidence])
    return report
