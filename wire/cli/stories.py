"""`wire stories`: the items that tell one piece of news, and editors' decisions on them."""

from __future__ import annotations

import click

from wire.cli.output import table
from wire.cli.state import pass_state


@click.group()
def stories():
    """Stories: the items that tell one piece of news, and editors' decisions on them."""


@stories.command("list")
@click.option("--limit", default=30, show_default=True)
@pass_state
def stories_list(state, limit):
    """The newest stories with how many partners reported them.

    \b
    Example:
        wire stories list
    """
    from aggregator.storage.stories import list_stories

    table(
        list_stories(state.db)[:limit],
        [
            ("id", "id"),
            ("item_count", "reports"),
            ("language", "lang"),
            ("last_published_at", "last report"),
            ("title", "title"),
        ],
    )


@stories.command("show")
@click.argument("story_id", type=int)
@pass_state
def stories_show(state, story_id):
    """A story's face and every report of it ("also reported by"), with tags and their evidence.

    \b
    Example:
        wire stories show 12
    """
    from aggregator.storage.stories import get_story
    from aggregator.storage.tags import list_tag_evidence

    story = get_story(state.db, story_id)
    click.echo(f"story {story['id']}: {story['title']}")
    for item in story["items"]:
        face = "*" if item["id"] == story["representative_item_id"] else " "
        click.echo(
            f" {face} item {item['id']:>5}  {item['language'] or '??'}  "
            f"{item['partner_name'] or item['source_name']}  {item['published_at'] or 'no date'}  {item['title']}"
        )
    for row in list_tag_evidence(state.db, story["representative_item_id"]):
        click.echo(f"   tag {row['tag']}: {', '.join(row['words'])}")


@stories.command("rebuild")
@pass_state
def stories_rebuild(state):
    """Cluster every item again; editors' splits, merges and moves are kept.

    \b
    Example:
        wire stories rebuild
    """
    from aggregator.clustering import rebuild_stories

    config = state.config
    report = rebuild_stories(
        state.db, config.near_duplicate_threshold, config.containment_threshold, config.story_window_days
    )
    click.echo(
        f"{report.items} items: {report.new_stories} stories; folded {report.exact} exact copies, "
        f"{report.near_duplicates} reposts, {report.across_languages} in other languages"
    )


@stories.command("split")
@click.argument("item_id", type=int)
@click.option("--editor", default="cli", show_default=True)
@pass_state
def stories_split(state, item_id, editor):
    """Take an item out of its story into a story of its own (kept across rebuilds).

    \b
    Example:
        wire stories split 41
    """
    from aggregator.curation import split_item

    click.echo(f"item {item_id} is now story {split_item(state.db, item_id, editor)}")


@stories.command("merge")
@click.argument("story_id", type=int)
@click.argument("other_id", type=int)
@click.option("--editor", default="cli", show_default=True)
@pass_state
def stories_merge(state, story_id, other_id, editor):
    """Make two stories one (kept across rebuilds).

    \b
    Example:
        wire stories merge 12 15
    """
    from aggregator.curation import merge_stories

    click.echo(f"merged into story {merge_stories(state.db, story_id, other_id, editor)}")


@stories.command("move")
@click.argument("item_id", type=int)
@click.argument("story_id", type=int)
@click.option("--editor", default="cli", show_default=True)
@pass_state
def stories_move(state, item_id, story_id, editor):
    """Move an item into another story (kept across rebuilds).

    \b
    Example:
        wire stories move 41 12
    """
    from aggregator.curation import move_item

    move_item(state.db, item_id, story_id, editor)
    click.echo(f"item {item_id} moved to story {story_id}")


@stories.command("undo")
@click.argument("story_id", type=int)
@click.option("--editor", default="cli", show_default=True)
@pass_state
def stories_undo(state, story_id, editor):
    """Undo the last change to a story (headline, translation, tags, split, merge, move, selection).

    The same undo as the desk's: the change is reverted and the undo recorded in the audit log;
    run it again to go one change further back.

    \b
    Example:
        wire stories undo 12
    """
    from aggregator.curation import undo_last_change

    undone = undo_last_change(state.db, story_id, editor)
    click.echo(f"story {story_id}: undone {undone['action']!r} by {undone['actor']} at {undone['at']}")
