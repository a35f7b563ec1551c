"""`wire serve` and `wire run-once`: the web app with the schedule, or one cycle of it for cron."""

from __future__ import annotations

import os

import click

from aggregator.exceptions import WireError
from wire.cli.state import pass_state

PORT = click.IntRange(1, 65535)


def listen_error(host: str, port: int, error: Exception) -> WireError:
    """One line for a port that cannot be had: busy, privileged, or a host name that does not resolve."""
    reason = os.strerror(error.errno) if isinstance(error, OSError) and error.errno else str(error)
    return WireError(f"cannot listen on {host}:{port}: {reason} (is another server running? choose --port)")


@click.command()
@click.option("--host", help="Interface (default: config host, 127.0.0.1).")
@click.option("--port", type=PORT, help="Port, 1-65535 (default: config port, 8000).")
@click.option(
    "--schedule/--no-schedule",
    default=True,
    show_default=True,
    help="Crawl every crawl_interval, draft at draft_at, send approved editions on time.",
)
@pass_state
def serve(state, host, port, schedule):
    """Run the web app and the schedule until stopped.

    \b
    Example:
        wire serve --port 8000
    """
    from waitress.server import create_server

    from wire.scheduler import Scheduler
    from wire.web import create_app

    _ = state.db  # opened on purpose: the database is checked and migrated before anything listens
    app = create_app(state.config)
    host, port = host or state.config.host, port or state.config.port
    try:  # bind first: a busy port is an error before the schedule starts crawling
        server = create_server(app, host=host, port=port, threads=4)
    except (OSError, ValueError) as error:
        raise listen_error(host, port, error) from None
    if schedule:
        Scheduler(state.config).start()
    click.echo(f"serving on http://{host}:{port}/" + (" with the schedule" if schedule else ""), err=True)
    server.run()  # until Ctrl-C, which waitress turns into a clean shutdown


@click.command("run-once")
@pass_state
def run_once(state):
    """One cycle of the schedule, for cron or a systemd timer: crawl, draft if due, send what is approved.

    \b
    Example:
        wire run-once        # e.g. from cron: 0 */2 * * * cd /srv/wire && .venv/bin/wire run-once
    """
    from wire.scheduler import run_cycle

    # cron keeps no state between runs: whether the week is drafted is read from the database
    report = run_cycle(state.config, {}, force_crawl=True)
    click.echo(
        f"crawled: {report.new_items} new items; drafted: {report.drafted or '-'}; "
        f"sent: {', '.join(f'edition {k}: {v}' for k, v in report.sent.items()) or '-'}"
    )
    for note in report.notes:
        click.echo(f"  {note}")
