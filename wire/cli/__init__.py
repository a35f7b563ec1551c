"""The `wire` command: a click group with one module per noun, each command a thin shell over the library.

A user's mistake (a bad URL, an unknown id, a bad option or config value, a busy port, a
full disk) is one line on stderr and exit status 2, never a traceback; Ctrl-C is status 130.

    wire/cli/__init__.py    the group, its error handling, `main`
    wire/cli/state.py       configuration and database, opened lazily
    wire/cli/output.py      tables, safe writing, how to name `wire` in hints
    wire/cli/<noun>.py      the commands: init, db, sources, crawl, items, stories, people,
                            edition, editors, subscribers, bounces, serve (serve, run-once),
                            mailsink, demo
"""

from __future__ import annotations

import logging
import sys

import click

from aggregator.exceptions import WireError
from wire.cli.state import State

logger = logging.getLogger("wire")

#: Loggers whose lines only `-v` shows: `wire crawl` prints its progress and its table, nothing else.
QUIET_LOGGERS = ("scrapy", "twisted", "py.warnings", "crawlers", "trafilatura", "htmldate", "courlan", "filelock")


class WireGroup(click.Group):
    """Turns WireError, usage errors and Ctrl-C into one line on stderr and exit status 2 (130 for Ctrl-C)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except WireError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(2)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            sys.stdout.flush()
        except click.exceptions.NoArgsIsHelpError as error:
            error.show()
            sys.exit(error.exit_code)
        except click.UsageError as error:
            hint = f" (see `{error.ctx.command_path} --help`)" if error.ctx else ""
            click.echo(f"Error: {error.format_message()}{hint}", err=True)
            sys.exit(2)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:  # click turns Ctrl-C and end of input at a prompt into Abort
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except OSError as error:  # stdout closed or full after the command's own output
            from wire.cli.output import silence_stdout

            silence_stdout()
            click.echo(f"Error: cannot write <stdout>: {error.strerror or error}", err=True)
            sys.exit(2)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=WireGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="WIRE_CONFIG",
    help="TOML configuration file (default: ./wire.toml when present).",
)
@click.option("-v", "--verbose", count=True, help="More log output, the crawler's included (-vv for debug).")
@click.version_option(package_name="solidarity-wire")
@click.pass_context
def cli(ctx, config_path, verbose):
    """Solidarity Wire: partners' news about political prisoners, one weekly newsletter in every reader's language.

    \b
    Example:
        wire demo                 # the whole pipeline on the bundled demo network
        wire sources add https://partner.example/ --yes
        wire crawl && wire edition draft
    """
    configure_logging(verbose)
    ctx.obj = State(config_path)


def configure_logging(verbose: int) -> None:
    """Warnings of our own on stderr; the crawler's and its libraries' lines only with -v."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if not verbose:
        handler.addFilter(lambda record: not record.name.startswith(QUIET_LOGGERS))
        logging.captureWarnings(True)  # library warnings become py.warnings log lines, hidden unless -v
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "wire_cli", False)]:
        root.removeHandler(old)
    handler.wire_cli = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel([logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)])


def _register() -> None:
    from wire.cli import (
        bounces,
        crawl,
        db,
        demo,
        edition,
        editors,
        init,
        items,
        mailsink,
        partners,
        people,
        serve,
        sources,
        stories,
        subscribers,
    )

    for command in (
        init.init,
        db.db,
        sources.sources,
        crawl.crawl,
        items.items,
        stories.stories,
        people.people,
        edition.edition,
        editors.editors,
        subscribers.subscribers,
        partners.partners,
        bounces.bounces,
        serve.serve,
        serve.run_once,
        mailsink.mailsink,
        demo.demo,
    ):
        cli.add_command(command)


_register()


def main():
    cli(prog_name="wire")
