"""`wire items`: collected items, listed, searched and exported."""

from __future__ import annotations

import click

from wire.cli.output import table, write_lines
from wire.cli.state import pass_state


@click.group()
def items():
    """Collected items."""


@items.command("list")
@click.option("--limit", default=30, show_default=True)
@click.option("--search", help='Full-text search: words (all must match), "a phrase", prefix*.')
@pass_state
def items_list(state, limit, search):
    """The newest items.

    \b
    Example:
        wire items list --search "hunger strike"
    """
    from aggregator.storage.items import list_items

    table(
        list_items(state.db, search=search, limit=limit),
        [
            ("id", "id"),
            ("story_id", "story"),
            ("published_at", "published"),
            ("language", "lang"),
            ("source_name", "source"),
            ("title", "title"),
        ],
    )


@items.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="File to write (default: stdout).",
)
@pass_state
def items_export(state, fmt, output):
    """Write every item, one JSON object per line (or CSV).

    \b
    Example:
        wire items export --format jsonl > items.jsonl
    """
    from aggregator.export import export_lines
    from aggregator.storage.items import list_items

    write_lines(export_lines(list_items(state.db), fmt), output)
