"""`wire bounces`: read the bounce mailbox and mark deliveries and bouncing addresses."""

from __future__ import annotations

import click

from wire.cli.state import pass_state


@click.group()
def bounces():
    """Delivery status notifications (bounces) of sent editions."""


@bounces.command("process")
@click.argument("path", type=click.Path(exists=True))
@click.option("--remove", is_flag=True, help="Delete the notifications that matched a delivery from the mailbox.")
@pass_state
def bounces_process(state, path, remove):
    """Read RFC 3464 notifications from a Maildir or mbox; mark deliveries bounced, and addresses bouncing
    after `bounce_limit` hard bounces (reading a notification twice counts once).

    \b
    Example:
        wire bounces process ~/Maildir/.bounces --remove
    """
    from newsletter.bounces import process_bounces

    report = process_bounces(state.db, state.config, path, remove=remove)
    click.echo(
        f"{report.notifications} notifications in {report.read} messages: {report.hard} hard, "
        f"{report.soft} delayed, {report.unmatched} unmatched; {report.now_bouncing} addresses now bouncing"
        + (f"; {report.removed} removed" if remove else "")
    )
