"""`wire crawl`: fetch every due source now, with a progress bar and a summary table."""

from __future__ import annotations

import click

from wire.cli.output import table
from wire.cli.state import pass_state

#: Exit status after Ctrl-C, as shells report a process ended by SIGINT (128 + 2).
INTERRUPTED = 130


@click.command()
@click.option("--source", "source_ids", type=int, multiple=True, help="Fetch this source now, due or not (repeatable).")
@pass_state
def crawl(state, source_ids):
    """Fetch every due source (feeds and sites) in one crawl, then fold duplicates.

    Ctrl-C stops the crawl within seconds: what was stored stays, sources not finished stay
    due for the next crawl, the summary is printed and the exit status is 130.

    \b
    Example:
        wire crawl
        wire crawl --source 3
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from aggregator.storage.sources import list_due_sources
    from crawlers.run import crawl as run_crawl

    due = list_due_sources(state.db, source_ids=list(source_ids) or None)  # also migrates first
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("fetching sources", total=len(due))

        def advance(source, outcome, **_):
            mark = "not modified" if outcome.not_modified else ("ok" if outcome.ok else "failed")
            progress.update(task, advance=1, description=f"{source['name'][:30]}: {mark}")

        report = run_crawl(state.config, list(source_ids) or None, on_source_done=advance)
    interrupted = bool(getattr(report, "interrupted", False))
    counts = {key: value for key, value in vars(report).items() if key not in ("errors", "interrupted")}
    table(
        [{"what": key.replace("_", " "), "count": value} for key, value in counts.items()],
        [("what", ""), ("count", "")],
        title="crawl interrupted" if interrupted else "crawl",
    )
    for error in report.errors:
        click.echo(f"  ! {error}", err=True)
    if interrupted:
        click.echo("Interrupted: sources not finished stay due for the next crawl.", err=True)
        raise click.exceptions.Exit(INTERRUPTED)
