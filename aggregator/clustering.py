"""Fold items into stories after each crawl. The I/O edge of `dedupe`: reads items, writes stories."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from aggregator.db import writing
from aggregator.storage.items import list_unclustered_items
from aggregator.storage.stories import attach_item, create_story, find_story_by_hash


@dataclass
class ClusterReport:
    items: int = 0  # items placed
    new_stories: int = 0
    folded: int = 0  # items that joined an existing story


def cluster_new_items(db: sqlite_utils.Database) -> ClusterReport:
    """Place every item that has no story yet: exact duplicates join their story, others open one."""
    report = ClusterReport()
    with writing(db):
        for item in list_unclustered_items(db):
            report.items += 1
            story_id = find_story_by_hash(db, item["content_hash"], item["id"])
            if story_id:
                attach_item(db, item["id"], story_id)
                report.folded += 1
            else:
                create_story(db, item)
                report.new_stories += 1
    return report
