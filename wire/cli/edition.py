"""`wire edition`: draft, curate, render, approve and send the weekly edition."""

from __future__ import annotations

from pathlib import Path

import click

from wire.cli.output import table
from wire.cli.state import check_language, pass_state


@click.group()
def edition():
    """The weekly edition."""


@edition.command("draft")
@click.option("--week", help="ISO week such as 2026-W48 (default: this week).")
@click.option("--sections", "sections_by", type=click.Choice(["theme", "region"]), default="theme", show_default=True)
@pass_state
def edition_draft(state, week, sections_by):
    """Assemble the week's edition from its stories (pinned entries are kept on a redraft).

    \b
    Example:
        wire edition draft --week 2026-W48
    """
    from aggregator.storage.editions import get_edition
    from newsletter.editions import NothingToDraft, draft_edition

    try:
        edition_id = draft_edition(state.db, state.config, week=week, sections_by=sections_by)
    except NothingToDraft as error:
        click.echo(str(error))
        return
    row = get_edition(state.db, edition_id)
    click.echo(f"edition {edition_id} ({row['week']}): {len(row['entries'])} stories, status {row['status']}")


@edition.command("render")
@click.argument("edition_id", type=int)
@click.option(
    "--out", type=click.Path(file_okay=False), required=True, help="Directory for <lang>.html and <lang>.txt."
)
@click.option("--lang", "languages", multiple=True, help="Only these languages (default: all configured).")
@pass_state
def edition_render(state, edition_id, out, languages):
    """Render the edition to DIR/<lang>.html and DIR/<lang>.txt in every language.

    \b
    Example:
        wire edition render 1 --out build/edition
    """
    from aggregator.exceptions import WireError
    from newsletter.editions import render_to_files

    for language in languages:
        check_language(state, language)
    if Path(out).exists() and not Path(out).is_dir():
        raise WireError(f"cannot write the edition to {out}: it exists and is not a directory")
    try:
        paths = render_to_files(state.db, state.config, edition_id, Path(out), list(languages) or None)
    except OSError as error:
        raise WireError(f"cannot write the edition to {out}: {error.strerror or error}") from None
    for path in paths:
        click.echo(str(path))


@edition.command("send")
@click.argument("edition_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--test",
    "test_address",
    metavar="ADDRESS",
    help="Send the edition as it stands to this one address only (no delivery is recorded).",
)
@click.option("--lang", "language", default="en", show_default=True, help="Language of the --test message.")
@click.option(
    "--resend-in-flight",
    "resend",
    is_flag=True,
    help="Send again to the deliveries an interrupted send left in flight (some may get it twice).",
)
@click.option(
    "--assume-sent",
    is_flag=True,
    help="Count the deliveries an interrupted send left in flight as sent (some may have missed it).",
)
@click.option("--progress/--no-progress", default=None, help="A progress bar on stderr (default: when a terminal).")
@pass_state
def edition_send(state, edition_id, yes, test_address, language, resend, assume_sent, progress):
    """Send the edition to its subscribers, each once, in their language; resumes after any interruption.

    The audience is fixed at the first send: one delivery per subscriber, queued, then sending,
    then sent, deferred (4xx, retried later) or failed (5xx). Deliveries an interrupted send left
    in flight are reported and left alone unless --resend-in-flight or --assume-sent says otherwise.

    \b
    Example:
        wire edition send 1 --yes
        wire edition send 1 --test editor@example.org --lang fa
        wire edition send 1 --yes --assume-sent
    """
    import sys

    from aggregator.exceptions import InvalidInput
    from aggregator.storage.deliveries import count_deliveries
    from aggregator.storage.editions import get_edition
    from newsletter.sending import send_edition, send_test

    if test_address:
        from aggregator.storage.subscribers import normalise_email

        check_language(state, language)
        send_test(state.db, state.config, edition_id, normalise_email(test_address), language)
        click.echo(f"edition {edition_id}: test message in {language} sent")
        return
    if resend and assume_sent:
        raise InvalidInput("--resend-in-flight and --assume-sent exclude each other: choose one")
    row = get_edition(state.db, edition_id)
    counts = count_deliveries(state.db, edition_id)
    if row["audience_frozen_at"]:
        count = counts["queued"] + counts["deferred"]
    else:
        count = next(
            state.db.query("SELECT count(*) AS n FROM subscribers WHERE status = 'active' AND bouncing_since IS NULL")
        )["n"]
    if not yes and not click.confirm(f"send edition {edition_id} to {count} subscriber(s)?", err=True):
        raise click.exceptions.Exit(1)
    show = sys.stderr.isatty() if progress is None else progress
    bar = (
        click.progressbar(
            length=max(count, 1), label=f"edition {edition_id}", file=sys.stderr, show_pos=True, show_eta=True
        )
        if show
        else None
    )
    started = [None]

    def advance(done, total):
        import time

        if bar is None:
            return
        started[0] = started[0] or time.monotonic()
        bar.length = max(total, 1)
        elapsed = max(time.monotonic() - started[0], 1e-6)
        bar.label = f"edition {edition_id} ({done / elapsed:.1f}/s)"
        bar.update(1)

    try:
        if bar is not None:
            bar.__enter__()
        report = send_edition(
            state.db,
            state.config,
            edition_id,
            progress=advance,
            in_flight="resend" if resend else "assume-sent" if assume_sent else None,
        )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(
        f"sent {report.sent}, deferred {report.deferred}, failed {report.failed} "
        f"({', '.join(f'{k}: {v}' for k, v in sorted(report.languages.items()))}); "
        f"edition {edition_id} is {report.status}"
    )
    for error in report.errors:
        click.echo(f"  ! {error}", err=True)
    if report.resolved:
        click.echo(f"{report.resolved} in-flight deliveries {'sent again' if resend else 'counted as sent'}")
    if report.in_flight:
        click.echo(
            f"{report.in_flight} deliveries are in flight (a send stopped, or the connection was lost, before "
            f"the server answered): they may or may not have arrived; run `wire edition send {edition_id} "
            f"--assume-sent` or `--resend-in-flight`",
            err=True,
        )
    if report.deferred or report.next_retry_at:
        click.echo(f"deferred deliveries are tried again from {report.next_retry_at} (the scheduler, or send again)")


@edition.command("show")
@click.argument("edition_id", type=int)
@pass_state
def edition_show(state, edition_id):
    """The edition's entries in order, with sections, pins and translated headlines.

    \b
    Example:
        wire edition show 1
    """
    from newsletter.editions import load_edition

    edition = load_edition(state.db, edition_id)
    click.echo(f"edition {edition.id} ({edition.week}), {edition.status}, sections by {edition.sections_by}")
    for language, text in sorted(edition.intros.items()):
        click.echo(f"  intro [{language}] {text}")
    for section, entries in edition.sections(""):
        click.echo(f"  == {section}")
        for entry in sorted(entries, key=lambda e: e.position):
            pin = "pinned " if entry.pinned else ""
            click.echo(
                f"  {entry.position:>3}. story {entry.story_id} {pin}[{entry.language}] {entry.headline}"
                f" ({1 + len(entry.reports)} reports)"
            )
            for language, text in sorted(entry.translations.items()):
                click.echo(f"         [{language}] {text['headline']}")


@edition.command("edit")
@click.argument("edition_id", type=int)
@click.option("--story", "story_id", type=int, required=True, help="The story to change.")
@click.option("--position", type=int, help="New place in the edition (1 = first).")
@click.option("--section", help="Move to this section (a theme id such as hunger-strike, or country-tr).")
@click.option("--pin/--unpin", default=None, help="Keep the story in the edition on redrafts.")
@pass_state
def edition_edit(state, edition_id, story_id, position, section, pin):
    """Change one entry: order, section, pin.

    \b
    Example:
        wire edition edit 1 --story 12 --position 1 --pin
    """
    from aggregator.storage.audit import record_action
    from aggregator.storage.editions import move_entry

    move_entry(state.db, edition_id, story_id, position=position, section=section, pinned=pin)
    record_action(
        state.db,
        "cli",
        "edition entry changed",
        "edition",
        edition_id,
        story=story_id,
        position=position,
        section=section,
        pinned=pin,
    )
    click.echo(f"edition {edition_id}: story {story_id} updated")


@edition.command("intro")
@click.argument("edition_id", type=int)
@click.option("--lang", "language", required=True, help="Language of this intro (ISO 639-1).")
@click.argument("text")
@pass_state
def edition_intro(state, edition_id, language, text):
    """Set the edition's intro in one language (blank lines separate paragraphs).

    \b
    Example:
        wire edition intro 1 --lang de "Diese Woche: 87 Tage Hungerstreik."
    """
    from aggregator.storage.editions import save_intro

    check_language(state, language)
    save_intro(state.db, edition_id, language, text)
    click.echo(f"edition {edition_id}: intro in {language} saved")


@edition.command("headline")
@click.argument("story_id", type=int)
@click.option("--lang", "language", required=True, help="Language of the headline (ISO 639-1).")
@click.option("--headline", required=True, help="The headline in that language.")
@click.option("--summary", help="A one-line summary in that language.")
@click.option("--editor", default="cli", show_default=True)
@pass_state
def edition_headline(state, story_id, language, headline, summary, editor):
    """Give a story a headline (and summary) in one reader language.

    \b
    Example:
        wire edition headline 12 --lang fa --headline "روز ۸۷ اعتصاب غذا" --summary "..."
    """
    from aggregator.curation import translate_story

    check_language(state, language)
    translate_story(state.db, story_id, language, headline, summary, editor)
    click.echo(f"story {story_id}: headline in {language} saved")


@edition.command("approve")
@click.argument("edition_id", type=int)
@click.option("--at", "send_at", help="When to send (ISO 8601; default: now). `wire serve` sends it then.")
@pass_state
def edition_approve(state, edition_id, send_at):
    """Approve the edition for sending at a time; the scheduler (or `wire run-once`) sends it.

    \b
    Example:
        wire edition approve 1 --at 2026-11-23T07:00:00+01:00
    """
    from aggregator.exceptions import InvalidInput
    from newsletter.approval import approve_edition, send_time

    try:
        moment = send_time(send_at, state.config.zone)
    except InvalidInput as error:
        raise InvalidInput(f"--at: {error}") from None
    at = approve_edition(state.db, edition_id, moment)
    click.echo(f"edition {edition_id} approved, to be sent at {at}")


@edition.command("list")
@pass_state
def edition_list(state):
    """Every edition with its status and deliveries.

    \b
    Example:
        wire edition list
    """
    from aggregator.storage.editions import list_editions

    table(
        list_editions(state.db),
        [
            ("id", "id"),
            ("week", "week"),
            ("status", "status"),
            ("entry_count", "stories"),
            ("delivered", "delivered"),
            ("sent_at", "sent"),
        ],
    )
