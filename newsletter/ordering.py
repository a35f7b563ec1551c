"""The order of an edition's entries as editors change it in the composer. Pure.

An edition's sections appear in the order of their first entry (`Edition.sections`), and a
reader sees a section's entries together, so every change here keeps each section's entries
in one block: an entry moves up or down among the entries of its own section, a section moves
past the whole block of its neighbour, and a complete new order (the composer's drag and
drop) is accepted only when it names every entry exactly once. The result is always the
story ids in their new order, which `aggregator.storage.editions.reorder_entries` stores.
"""

from __future__ import annotations

from collections.abc import Sequence

from aggregator.exceptions import InvalidInput, NotFound


def blocks(entries: Sequence[dict]) -> list[tuple[str, list[int]]]:
    """[(section, [story ids])] in reading order: sections by their first entry, entries by position."""
    order: list[str] = []
    grouped: dict[str, list[int]] = {}
    for entry in sorted(entries, key=lambda e: e["position"]):
        if entry["section"] not in grouped:
            order.append(entry["section"])
            grouped[entry["section"]] = []
        grouped[entry["section"]].append(entry["story_id"])
    return [(section, grouped[section]) for section in order]


def _flatten(sections: list[tuple[str, list[int]]]) -> list[int]:
    return [story_id for _, stories in sections for story_id in stories]


def move_story(entries: Sequence[dict], story_id: int, step: int) -> list[int]:
    """The order with `story_id` moved `step` places (-1 up, +1 down) within its section, stopping at its ends."""
    sections = blocks(entries)
    for _, stories in sections:
        if story_id in stories:
            index = stories.index(story_id)
            target = max(0, min(len(stories) - 1, index + step))
            stories.insert(target, stories.pop(index))
            return _flatten(sections)
    raise NotFound(f"story {story_id} is not in this edition")


def move_section(entries: Sequence[dict], section: str, step: int) -> list[int]:
    """The order with the whole of `section` moved `step` sections (-1 up, +1 down), stopping at the ends."""
    sections = blocks(entries)
    names = [name for name, _ in sections]
    if section not in names:
        raise NotFound(f"section {section!r} is not in this edition")
    index = names.index(section)
    target = max(0, min(len(sections) - 1, index + step))
    sections.insert(target, sections.pop(index))
    return _flatten(sections)


def checked_order(entries: Sequence[dict], story_ids: Sequence[int]) -> list[int]:
    """A complete order sent by the composer, regrouped by section; refused unless it names every entry once.

    The order of sections is that of their first story in `story_ids`, so dragging a story of one
    section in front of another section moves its whole section there, as a reader would see it.
    """
    known = {entry["story_id"]: entry["section"] for entry in entries}
    if sorted(story_ids) != sorted(known):
        missing = sorted(set(known) - set(story_ids))
        unknown = sorted(set(story_ids) - set(known))
        raise InvalidInput(
            "the new order must name every story of the edition once"
            + (f"; missing: {', '.join(map(str, missing))}" if missing else "")
            + (f"; not in the edition: {', '.join(map(str, unknown))}" if unknown else "")
            + ("; some twice" if not missing and not unknown else "")
            + " (reload the page and try again)"
        )
    grouped: dict[str, list[int]] = {}
    for story_id in story_ids:
        grouped.setdefault(known[story_id], []).append(story_id)
    return [story_id for stories in grouped.values() for story_id in stories]
