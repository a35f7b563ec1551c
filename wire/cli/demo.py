"""`wire demo`: the whole pipeline, offline, on the bundled demo partner network."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--workdir",
    type=click.Path(file_okay=False),
    default="data/demo",
    show_default=True,
    help="Where the demo database, rendered files and Maildir go.",
)
def demo(workdir):
    """Run the whole pipeline offline on the bundled demo partner network.

    Starts the demo sites and a mail sink on 127.0.0.1, registers the partners, crawls them,
    folds duplicates, drafts this week's edition, renders it in every language and sends it
    to demo subscribers; then prints a summary.

    \b
    Example:
        wire demo
    """
    from wire.demo.pipeline import run_demo

    run_demo(Path(workdir))
