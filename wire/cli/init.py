"""`wire init`: a wire.toml with every key and the database."""

from __future__ import annotations

from pathlib import Path

import click

from wire.cli.output import command_name
from wire.cli.state import pass_state


@click.command()
@pass_state
def init(state):
    """Create a wire.toml with every key at its default (each with a comment) and the database, if missing.

    \b
    Example:
        wire init
    """
    from aggregator.config import config_file_text

    path = Path(state.config_path or "wire.toml")
    if not path.exists():
        try:
            path.write_text(config_file_text(), encoding="utf-8")
        except OSError as error:
            from aggregator.exceptions import WireError

            raise WireError(f"cannot write {path}: {error.strerror or error}") from None
        click.echo(f"wrote {path}")
    state.open_db(create_directory=True).conn.close()
    click.echo(f"database ready at {state.config.db}")
    click.echo(f"next: {command_name()} sources add https://partner.example/ --yes", err=True)
