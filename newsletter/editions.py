"""The edition workflow over storage: draft the week, load it for rendering, render it to files."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import sqlite_utils

from aggregator.config import Config
from aggregator.db import utcnow
from aggregator.storage.editions import find_edition, get_copies, get_edition, save_copies, save_draft
from aggregator.storage.stories import get_stories, get_story, list_stories
from newsletter.compose import Edition, build_edition, plan_edition
from newsletter.render import Rendered, render_edition
from newsletter.weeks import week_bounds, week_of


class NothingToDraft(Exception):
    """No story in the week: no edition is drafted."""


def draft_edition(
    db: sqlite_utils.Database,
    config: Config,
    week: str | None = None,
    sections_by: str = "theme",
    now: datetime | None = None,
) -> int:
    """Draft (or redraft, keeping pinned entries) the edition of `week`, this week by default."""
    now = now or utcnow()
    week = week or week_of(now, config.zone)
    start, end = week_bounds(week, config.zone)
    stories = [get_story(db, row["id"]) for row in list_stories(db, since=start, until=end)]
    # a story an editor rejected never comes back on a redraft (newsletter.triage)
    stories = [s for s in stories if not s.get("rejected_at") and any(_in_week(i, start, end) for i in s["items"])]
    existing = find_edition(db, week)
    pinned = {e["story_id"] for e in existing["entries"] if e["pinned"]} if existing else set()
    if not stories and not pinned:
        raise NothingToDraft(f"nothing new in {week}: no edition drafted")
    plan = plan_edition(stories, min(now, end), sections_by=sections_by, cap=config.section_cap, pinned=pinned)
    return save_draft(db, week, plan, sections_by=sections_by)


def _in_week(item: dict, start: datetime, end: datetime) -> bool:
    moment = datetime.fromisoformat(item.get("published_at") or item["fetched_at"])
    return start <= moment < end


def load_edition(db: sqlite_utils.Database, edition_id: int) -> Edition:
    """The edition from live data; an entry whose story lost all its items (kept for a sent edition) is left out."""
    row = get_edition(db, edition_id)
    stories = get_stories(db, [entry["story_id"] for entry in row["entries"]])
    row["entries"] = [entry for entry in row["entries"] if stories[entry["story_id"]]["items"]]
    return build_edition(row, stories)


def freeze_edition(db: sqlite_utils.Database, config: Config, edition_id: int) -> dict[str, Rendered]:
    """What is sent, per configured language: rendered and stored once, read back on every later call.

    The stored copy keeps the personal parts (the reader's token in links) as a placeholder, so the
    messages, the archive pages and the feeds are all made from the same text.
    """
    copies = get_copies(db, edition_id)
    if not copies:
        edition = load_edition(db, edition_id)
        rendered = [
            render_edition(edition, language, config.site_name, config.base_url, config.zone)
            for language in config.languages
        ]
        save_copies(
            db, edition_id, [asdict(r) for r in rendered], [asdict(entry) for entry in edition.entries], edition.intros
        )
        copies = get_copies(db, edition_id)
    return {
        language: Rendered(
            language=language, subject=row["subject"], preheader=row["preheader"], html=row["html"], text=row["text"]
        )
        for language, row in copies.items()
    }


def render_to_files(
    db: sqlite_utils.Database, config: Config, edition_id: int, out: Path, languages: list[str] | None = None
) -> list[Path]:
    """Write DIR/<lang>.html and DIR/<lang>.txt for each language; return the paths."""
    edition = load_edition(db, edition_id)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for language in languages or config.languages:
        rendered = render_edition(edition, language, config.site_name, config.base_url, config.zone)
        for suffix, content in (("html", rendered.html), ("txt", rendered.text)):
            path = out / f"{language}.{suffix}"
            path.write_text(content, encoding="utf-8")
            paths.append(path)
    return paths
