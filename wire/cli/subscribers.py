"""`wire subscribers`: people who receive the newsletter (sensitive data: handle with care)."""

from __future__ import annotations

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

    table(
        list_subscribers(state.db, status),
        [("id", "id"), ("email", "email"), ("language", "lang"), ("status", "status"), ("created_at", "since")],
    )


@subscribers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Check every row and report; change nothing.")
@pass_state
def subscribers_import(state, file, dry_run):
    """Import a list moving in: CSV with the header email,language,status,consent_date.

    status is confirmed, pending or unsubscribed; consent_date (2024-03-01 or an ISO time) is
    required for confirmed rows. UTF-8 (with or without BOM), UTF-16 or Windows-1252; `,` or `;`.
    Every bad row is reported by line number and not imported; the others are (exit status 1
    when any row was bad). Pending rows get no e-mail and expire like unconfirmed sign-ups.

    \b
    Example:
        wire subscribers import readers.csv --dry-run
        wire subscribers import readers.csv
    """
    from aggregator.db import utcnow
    from aggregator.exceptions import InvalidInput
    from aggregator.storage.subscribers import import_subscribers, known_emails
    from newsletter.subscriber_files import BadFile, BadRow, read_subscribers

    data = click.get_binary_stream("stdin").read() if file == "-" else open(file, "rb").read()
    try:
        good, bad = read_subscribers(data, state.config.languages)
    except BadFile as error:
        raise InvalidInput(f"{file}: {error}") from None
    known = known_emails(state.db, [row.email for row in good])
    bad += [BadRow(row.line, f"{row.email} is already subscribed") for row in good if row.email.lower() in known]
    good = [row for row in good if row.email.lower() not in known]
    bad.sort(key=lambda row: row.line)
    if dry_run:
        click.echo(f"dry run: {len(good)} would be imported, {len(bad)} bad; nothing changed")
    else:
        import_subscribers(
            state.db,
            [
                {"email": row.email, "language": row.language, "status": row.status, "consent_at": row.consent_at}
                for row in good
            ],
            utcnow(),
        )
        click.echo(f"imported {len(good)}, skipped {len(bad)}")
    for row in bad:
        click.echo(f"  ! {row}", err=True)
    return 1 if bad else 0


@subscribers.command("export")
@pass_state
def subscribers_export(state):
    """Write every subscriber as CSV (email,language,status,consent_date) to stdout: the import's columns.

    \b
    Example:
        wire subscribers export > readers.csv
    """
    from aggregator.storage.subscribers import list_subscribers
    from newsletter.subscriber_files import write_subscribers

    write_lines([write_subscribers(list_subscribers(state.db))], "-")


@subscribers.command("purge")
@pass_state
def subscribers_purge(state):
    """Delete expired sign-ups and erase addresses unsubscribed longer than erase_unsubscribed_after.

    `wire serve` does this every hour too; the counts are all that remains.

    \b
    Example:
        wire subscribers purge
    """
    from aggregator.db import utcnow
    from aggregator.storage.subscribers import purge_subscribers

    done = purge_subscribers(state.db, utcnow(), state.config.pending_expiry, state.config.erase_unsubscribed_after)
    click.echo(f"expired sign-ups deleted: {done['expired']}; unsubscribed addresses erased: {done['erased']}")


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
