"""`wire db`: database maintenance."""

from __future__ import annotations

import click

from wire.cli.state import pass_state


@click.group()
def db():
    """Database maintenance."""


@db.command("migrate")
@pass_state
def db_migrate(state):
    """Apply pending schema migrations (every command does this too).

    \b
    Example:
        wire db migrate
    """
    from aggregator.migrations import migrate, schema_version

    database = state.open_db(migrate=False)
    applied = migrate(database)
    click.echo(f"applied {len(applied)} migration(s); schema version {schema_version(database)}")


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@pass_state
def db_backup(state, target):
    """Copy the live database to TARGET safely, even while the crawler writes.

    \b
    Example:
        wire db backup backups/wire-2026-11-22.db
    """
    import sqlite3

    from aggregator.db import backup
    from aggregator.exceptions import WireError

    try:
        click.echo(str(backup(state.db, target)))
    except (OSError, sqlite3.Error) as error:
        raise WireError(f"cannot write the backup to {target}: {error}") from None
