"""`wire subscribers`: people who receive the newsletter (sensitive data: handle with care)."""

from __future__ import annotations

import csv
import io

import click

from wire.cli.output import table, write_lines
from wire.cli.state import check_language, pass_state


@click.group()
def subscribers():
    """People who receive the newsletter (sensitive data: handle with care)."""


@subscribers.command("add")
@click.argument("email")
@click.option("--lang", "language", default="en", show_default=True, help="Reading language (ISO 639-1).")
@pass_state
def subscribers_add(state, email, language):
    """Add a subscriber who has opted in; prints the new id.

    \b
    Example:
        wire subscribers add reader@example.org --lang fa
    """
    from aggregator.storage.subscribers import add_subscriber

    check_language(state, language)
    click.echo(add_subscriber(state.db, email, language))


@subscribers.command("list")
@click.option("--status", type=click.Choice(["pending", "active", "unsubscribed"]))
@pass_state
def subscribers_list(state, status):
    """Subscribers with language and status.

    \b
    Example:
        wire subscribers list --status active
    """
    from aggregator.storage.subscribers import list_subscribers

    table(list_subscribers(state.db, status), [("id", "id"), ("email", "email"), ("language", "lang"),
                                               ("status", "status"), ("created_at", "since")])


@subscribers.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@pass_state
def subscribers_import(state, file):
    """Import opted-in subscribers from CSV with columns email,language; bad rows are reported, not lost.

    \b
    Example:
        wire subscribers import readers.csv
    """
    from aggregator.exceptions import ConflictError, InvalidInput
    from aggregator.storage.subscribers import add_subscriber

    added, skipped = 0, []
    for line, row in enumerate(csv.DictReader(file), start=2):
        try:
            language = (row.get("language") or "en").strip()
            check_language(state, language)
            add_subscriber(state.db, row.get("email") or "", language)
            added += 1
        except (InvalidInput, ConflictError) as error:
            skipped.append(f"line {line}: {error}")
    click.echo(f"imported {added}, skipped {len(skipped)}")
    for message in skipped:
        click.echo(f"  ! {message}", err=True)


@subscribers.command("export")
@pass_state
def subscribers_export(state):
    """Write subscribers as CSV (email,language,status) to stdout.

    \b
    Example:
        wire subscribers export > readers.csv
    """
    from aggregator.storage.subscribers import list_subscribers

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "language", "status"])
    for row in list_subscribers(state.db):
        writer.writerow([row["email"], row["language"], row["status"]])
    write_lines([buffer.getvalue()], "-")


@subscribers.command("remove")
@click.argument("email")
@pass_state
def subscribers_remove(state, email):
    """Delete a subscriber for good.

    \b
    Example:
        wire subscribers remove reader@example.org
    """
    from aggregator.storage.subscribers import remove_subscriber

    remove_subscriber(state.db, email)
    click.echo(f"removed {email}")
