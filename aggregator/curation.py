"""Editors' decisions about stories: split, merge, move, headline, summary, translations, tags; and undo.

Grouping decisions are stored as pins (`aggregator.storage.pins`: items with one pin always share
a story, and no other) and then applied to the stored stories by `clustering.apply_pins`, so
that every later clustering run, rebuilds included, keeps them.

Every change records its editor, time and what reverts it in the audit log
(`storage.desk.record_story_change`); `undo_last_change` reverts the latest change to a story
that was not undone yet, and records the undo. The desk and the CLI both call these
functions: no second implementation of any editing rule. Selecting, rejecting and pinning
concern the week's edition and live in `newsletter.triage`; they are undone here too, from
what they recorded.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import sqlite_utils

from aggregator.clustering import apply_pins
from aggregator.db import writing
from aggregator.exceptions import ConflictError, InvalidInput, NotFound
from aggregator.storage.desk import (
    add_edition_entry,
    delete_translation,
    get_story_fields,
    get_translation,
    last_undoable_change,
    list_item_pins,
    list_item_story_ids_of_stories,
    list_item_tags,
    mark_undone,
    record_story_change,
    remove_edition_entry,
    replace_item_tags,
    restore_item_pins,
    set_story_fields,
)
from aggregator.storage.editions import (
    check_editable,
    frozen_editions_of_story,
    get_edition,
    move_entry,
    open_editions_of_story,
)
from aggregator.storage.items import get_item, list_item_story_ids
from aggregator.storage.pins import new_pin, pin_items, story_item_ids, story_of_pin, story_pin
from aggregator.storage.stories import attach_item, create_story, get_story, save_translation, story_exists

#: Longest headline and one-line summary an editor may write (an e-mail subject line, two lines on a phone).
HEADLINE_MAX = 300
SUMMARY_MAX = 500


def _grouping(db: sqlite_utils.Database, story_ids: list[int]) -> dict[str, Any]:
    """What reverts a split, merge or move of these stories: each item's story and pin before it."""
    stories = list_item_story_ids_of_stories(db, story_ids)
    pins = list_item_pins(db, list(stories))
    return {
        "kind": "grouping",
        "stories": {str(k): v for k, v in stories.items()},
        "pins": {str(k): v for k, v in pins.items()},
    }


def split_item(db: sqlite_utils.Database, item_id: int, editor: str) -> int:
    """Take an item out of its story into one of its own; return the new story id."""
    item = get_item(db, item_id)
    if item["story_id"] is None:
        raise InvalidInput(f"item {item_id} is in no story yet")
    if len(story_item_ids(db, item["story_id"])) < 2:
        raise InvalidInput(f"item {item_id} is the only item of story {item['story_id']}: there is nothing to split")
    with writing(db):
        undo = _grouping(db, [item["story_id"]])
        story_pin(db, item["story_id"], editor)  # the rest stay together
        pin_items(db, [item_id], new_pin(), editor)
        apply_pins(db)
        new_story = get_item(db, item_id)["story_id"]
        record_story_change(
            db,
            editor,
            "story split",
            item["story_id"],
            undo,
            "item",
            item_id,
            from_story=item["story_id"],
            new_story=new_story,
        )
    return new_story


def merge_stories(db: sqlite_utils.Database, story_id: int, other_id: int, editor: str) -> int:
    """Make two stories one; return the surviving story id."""
    if story_id == other_id:
        raise InvalidInput("a story cannot be merged with itself")
    get_story(db, story_id), get_story(db, other_id)
    with writing(db):
        undo = _grouping(db, [story_id, other_id])
        pin = story_pin(db, story_id, editor)
        pin_items(db, story_item_ids(db, other_id), pin, editor)
        apply_pins(db)
        survivor = story_of_pin(db, pin)
        record_story_change(db, editor, "stories merged", survivor, undo, "story", story_id, merged=other_id)
    return survivor


def move_item(db: sqlite_utils.Database, item_id: int, story_id: int, editor: str) -> None:
    """Move an item into another story."""
    item = get_item(db, item_id)
    get_story(db, story_id)
    if item["story_id"] == story_id:
        raise InvalidInput(f"item {item_id} is already in story {story_id}")
    with writing(db):
        undo = _grouping(db, [s for s in (item["story_id"], story_id) if s is not None])
        if item["story_id"] and item["story_id"] != story_id:
            story_pin(db, item["story_id"], editor)
        pin_items(db, [item_id], story_pin(db, story_id, editor), editor)
        apply_pins(db)
        record_story_change(
            db,
            editor,
            "item moved",
            item["story_id"] or story_id,
            undo,
            "item",
            item_id,
            from_story=item["story_id"],
            to_story=story_id,
        )


def _text(value: str | None, name: str, limit: int) -> str | None:
    """One line of an editor's text: stripped, inner newlines made spaces, None when empty."""
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise InvalidInput(f"the {name} is {len(text)} characters long; at most {limit} fit")
    return text or None


def edit_story(
    db: sqlite_utils.Database, story_id: int, editor: str, headline: str | None, summary: str | None
) -> None:
    """Set the story's headline and one-line summary in its own language (empty: the face item's own)."""
    before = get_story_fields(db, story_id)
    changes = {"headline": _text(headline, "headline", HEADLINE_MAX), "summary": _text(summary, "summary", SUMMARY_MAX)}
    if changes == {"headline": before["headline"], "summary": before["summary"]}:
        return
    with writing(db):
        set_story_fields(db, story_id, **changes)
        record_story_change(
            db,
            editor,
            "headline edited",
            story_id,
            {"kind": "fields", "before": {"headline": before["headline"], "summary": before["summary"]}},
            headline=changes["headline"],
            summary=changes["summary"],
        )


def check_story_editable(db: sqlite_utils.Database, story_id: int) -> None:
    """Refuse a change to a story that only editions already sent hold: what readers received stays as it was."""
    frozen = frozen_editions_of_story(db, story_id)
    if frozen and not open_editions_of_story(db, story_id):
        latest = frozen[-1]
        raise ConflictError(
            f"story {story_id} is in edition {latest['id']} ({latest['week']}), which is "
            f"{latest['status']}: what readers received is kept as it was and cannot be changed"
        )


def translate_story(
    db: sqlite_utils.Database,
    story_id: int,
    language: str,
    headline: str,
    summary: str | None,
    editor: str,
    editor_id: int | None = None,
) -> None:
    """Save the story's headline (and summary) in `language`; an empty headline removes the translation."""
    get_story(db, story_id)
    check_story_editable(db, story_id)
    before = get_translation(db, story_id, language)
    text, line = _text(headline, "headline", HEADLINE_MAX), _text(summary, "summary", SUMMARY_MAX)
    if text is None and line is not None:
        raise InvalidInput(f"a summary in {language} needs a headline in {language} too")
    if before is not None and (before["headline"], before["summary"]) == (text, line):
        return
    if before is None and text is None:
        return
    with writing(db):
        if text is None:
            delete_translation(db, story_id, language)
        else:
            save_translation(db, story_id, language, text, line, editor_id)
        record_story_change(
            db,
            editor,
            "headline translated" if text else "translation removed",
            story_id,
            {"kind": "translation", "language": language, "before": before},
            language=language,
            headline=text,
        )


def fix_tags(
    db: sqlite_utils.Database,
    story_id: int,
    editor: str,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    known: Collection[str] | None = None,
) -> None:
    """Add or remove tags on every item of the story; an added tag's evidence names the editor.

    `known` is the set of tag ids that exist (the taxonomy's); an unknown one is refused.
    A later re-tagging of the items (after a taxonomy change) starts again from the text.
    """
    adding, removing = list(dict.fromkeys(add)), list(dict.fromkeys(remove))
    unknown = [tag for tag in [*adding, *removing] if known is not None and tag not in known]
    if unknown:
        raise InvalidInput(
            f"unknown tag {unknown[0]!r}: tags are the taxonomy's ids (such as hunger-strike, country-tr)"
        )
    if set(adding) & set(removing):
        raise InvalidInput(f"tag {sorted(set(adding) & set(removing))[0]!r} cannot be both added and removed")
    before = list_item_tags(db, story_id)
    if not before:
        raise NotFound(f"no story with id {story_id} (or it has no items)")
    after: dict[int, dict] = {}
    for item_id, value in before.items():
        tags = [tag for tag in value["tags"] if tag not in removing]
        evidence = {tag: words for tag, words in value["evidence"].items() if tag not in removing}
        for tag in adding:
            if tag not in tags:
                tags.append(tag)
                evidence[tag] = [f"(added by {editor})"]
        after[item_id] = {"tags": sorted(tags), "evidence": evidence}
    if all(sorted(after[i]["tags"]) == sorted(before[i]["tags"]) for i in before):
        return
    with writing(db):
        replace_item_tags(db, after)
        record_story_change(
            db,
            editor,
            "tags fixed",
            story_id,
            {"kind": "tags", "before": {str(k): v for k, v in before.items()}},
            added=adding,
            removed=removing,
        )


# -- undo ---------------------------------------------------------------------------------------


def undo_last_change(db: sqlite_utils.Database, story_id: int, actor: str) -> dict:
    """Revert the latest change to the story not undone yet; record the undo; return the undone entry.

    Undos are recorded without an undo of their own, so undoing again goes one change further back.
    """
    entry = last_undoable_change(db, story_id)
    if entry is None:
        raise NotFound(f"story {story_id} has no change left to undo")
    undo = entry["undo"]
    if undo["kind"] != "grouping" and not story_exists(db, story_id):
        raise ConflictError(
            f"story {story_id} no longer exists (merged into another?): its change {entry['action']!r} cannot be undone"
        )
    with writing(db):
        kind = undo["kind"]
        if kind == "fields":
            set_story_fields(db, story_id, **undo["before"])
        elif kind == "translation":
            check_story_editable(db, story_id)
            before = undo["before"]
            if before is None:
                delete_translation(db, story_id, undo["language"])
            else:
                save_translation(
                    db, story_id, undo["language"], before["headline"], before["summary"], before["editor_id"]
                )
        elif kind == "tags":
            replace_item_tags(db, {int(k): v for k, v in undo["before"].items()})
        elif kind == "grouping":
            _regroup(
                db, {int(k): v for k, v in undo["stories"].items()}, {int(k): v for k, v in undo["pins"].items()}, actor
            )
        elif kind == "entry":
            _restore_entry(db, story_id, undo)
        else:
            raise ConflictError(f"audit entry {entry['id']} has an undo of unknown kind {kind!r}")
        undo_id = record_story_change(
            db, actor, f"undo: {entry['action']}", story_id, None, undone=entry["id"], by=entry["actor"]
        )
        mark_undone(db, entry["id"], undo_id)
    return entry


def _regroup(db: sqlite_utils.Database, stories: dict[int, int], pins: dict[int, str | None], actor: str) -> None:
    """Put each item back into the story it was in (a new one when that story is gone), with its old pin."""
    current = list_item_story_ids(db, list(stories))
    created: dict[int, int] = {}
    for item_id in sorted(stories):
        old = stories[item_id]
        if item_id not in current:
            continue  # the item is gone (its source was removed)
        target = old if story_exists(db, old) else created.get(old)
        if target is None:
            created[old] = create_story(db, get_item(db, item_id))
        elif current[item_id] != target:
            attach_item(db, item_id, target)
    restore_item_pins(db, {i: p for i, p in pins.items() if i in current}, actor)


def _restore_entry(db: sqlite_utils.Database, story_id: int, undo: dict) -> None:
    """Put the story's entry in the edition back as it was (or take it out), and its rejection."""
    edition_id, before = undo["edition_id"], undo["before"]
    edition = get_edition(db, edition_id) if edition_id is not None else None
    now = next((e for e in edition["entries"] if e["story_id"] == story_id), None) if edition else None
    if edition is not None and (before is not None or now is not None):
        check_editable(db, edition_id)
        if before is None:
            remove_edition_entry(db, edition_id, story_id)
        else:
            if now is None:
                add_edition_entry(db, edition_id, story_id, before["section"], bool(before["pinned"]))
            move_entry(
                db,
                edition_id,
                story_id,
                position=before["position"],
                section=before["section"],
                pinned=bool(before["pinned"]),
            )
    set_story_fields(db, story_id, rejected_at=undo.get("rejected_at"))
