"""The `wire` command: one thin command per verb over library calls.

A user's mistake (a bad URL, an unknown id, a bad config value) is one line on stderr
and exit status 2, never a traceback.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
from pathlib import Path

import click

from aggregator.config import Config, load_config
from aggregator.db import backup, open_db, utcnow
from aggregator.exceptions import InvalidInput, WireError

logger = logging.getLogger("wire")


class WireGroup(click.Group):
    """Turns WireError into one line on stderr and exit status 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except WireError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(2)


class State:
    """Configuration and database, opened lazily so that `--help` works without either."""

    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self._config: Config | None = None
        self._db = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def db(self):
        if self._db is None:
            self._db = open_db(self.config.db)
        return self._db


pass_state = click.make_pass_decorator(State)


@click.group(cls=WireGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="WIRE_CONFIG",
              help="TOML configuration file (default: ./wire.toml when present).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
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
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = State(config_path)


def _table(rows: list[dict], columns: list[tuple[str, str]], title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for _, header in columns:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*["" if row.get(key) is None else str(row.get(key)) for key, _ in columns])
    Console().print(table)


# ---------------------------------------------------------------- init and db
@cli.command()
@pass_state
def init(state):
    """Create the database and a wire.toml with the defaults, if missing.

    \b
    Example:
        wire init
    """
    path = Path(state.config_path or "wire.toml")
    if not path.exists():
        path.write_text("# Solidarity Wire configuration: every key has a default; see aggregator/config.py.\n"
                        f'db = "{state.config.db}"\nbase_url = "{state.config.base_url}"\n'
                        f'smtp_url = "{state.config.smtp_url}"\n', encoding="utf-8")
        click.echo(f"wrote {path}")
    state.db
    click.echo(f"database ready at {state.config.db}")


@cli.group()
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

    database = open_db(state.config.db, migrate=False)
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
    click.echo(str(backup(state.db, target)))


# ---------------------------------------------------------------- sources
@cli.group()
def sources():
    """Partners' feeds and sites."""


@sources.command("add")
@click.argument("url")
@click.option("--name", help="Name shown to editors (default: the feed's or page's title).")
@click.option("--kind", type=click.Choice(["feed", "site"]), help="Skip discovery and register as this kind.")
@click.option("--partner", help="Partner organisation (created if new; default: the name).")
@click.option("--language", help="Language the partner writes in (ISO 639-1), when the feed does not say.")
@click.option("--recipe", help='For a site without a feed, JSON: {"list_urls": [...], "link_selector": "h2 a", '
                                '"title_selector", "date_selector", "body_selector", "next_selector", "max_pages"}.')
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def sources_add(state, url, name, kind, partner, language, recipe, yes):
    """Register URL, finding its feed first; prints the new source id.

    \b
    Example:
        wire sources add https://partner.example/ --yes
        wire sources add https://partner.example/news/ --kind site --name "Partner news"
    """
    from aggregator.storage.partners import ensure_partner
    from aggregator.storage.sources import add_source
    from aggregator.urls import is_http_url
    from crawlers.feeds.discover import discover
    from crawlers.netguard import BlockedAddress

    if not is_http_url(url):
        raise InvalidInput(f"not an http(s) URL: {url!r}")
    parsed_recipe = _parse_recipe(recipe) if recipe else None
    if parsed_recipe:
        kind = "site"
    config = state.config
    title = ""
    if kind is None:
        try:
            found = discover(url, user_agent=f"SolidarityWire/0.1 (+{config.contact_url})",
                             allow_private=config.allow_private_networks, allowed_hosts=config.allowed_hosts)
        except (BlockedAddress, OSError) as error:
            raise InvalidInput(f"cannot register {url}: {error}") from None
        url, kind, title = found.url, found.kind, found.title
        click.echo(f"found: {kind} {url}" + (f" ({found.format})" if found.format else ""), err=True)
        for entry in found.latest:
            click.echo(f"  - {entry['published'] or 'no date'}  {entry['title']}", err=True)
        if not yes and not click.confirm("register it?", default=True, err=True):
            raise click.exceptions.Exit(1)
    name = name or title or url
    partner_id = ensure_partner(state.db, partner or name, website=url, language=language)
    click.echo(add_source(state.db, url, name, kind, partner_id=partner_id, language=language, recipe=parsed_recipe))


RECIPE_KEYS = {"list_urls", "link_selector", "title_selector", "date_selector", "body_selector", "next_selector",
               "max_pages"}


def _parse_recipe(text: str) -> dict:
    """Check a site recipe before it is stored: JSON object, known keys, valid CSS selectors."""
    from parsel import Selector

    try:
        recipe = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"--recipe: not valid JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(recipe, dict):
        raise InvalidInput("--recipe: expected a JSON object")
    unknown = set(recipe) - RECIPE_KEYS
    if unknown:
        raise InvalidInput(f"--recipe: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(RECIPE_KEYS))})")
    for key in RECIPE_KEYS - {"list_urls", "max_pages"}:
        if key in recipe:
            try:
                Selector(text="<html></html>").css(str(recipe[key]))
            except Exception as error:  # cssselect raises several kinds of errors
                raise InvalidInput(f"--recipe: {key} is not a CSS selector: {recipe[key]!r} ({error})") from None
    if "max_pages" in recipe and not (isinstance(recipe["max_pages"], int) and 0 < recipe["max_pages"] <= 50):
        raise InvalidInput(f"--recipe: max_pages must be a number from 1 to 50, got {recipe['max_pages']!r}")
    return recipe


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@pass_state
def sources_list(state, as_json):
    """Every source with its health: last fetch, status, failures, items in 7 and 30 days, last error.

    \b
    Example:
        wire sources list
    """
    from aggregator.polling import health
    from aggregator.storage.sources import list_sources

    now = utcnow()
    rows = list_sources(state.db)
    for row in rows:
        row["health"] = health(row, now, state.config.failing_after)
        row["error"] = f"{row['last_error']} — {row['last_error_hint']}" if row["last_error"] else ""
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        row["fetched"] = _relative(row["last_fetch_at"], now)
        row["next"] = _relative(row["next_fetch_at"], now)
    _table(rows, [("id", "id"), ("name", "name"), ("kind", "kind"), ("health", "health"), ("fetched", "fetched"),
                  ("last_status", "HTTP"), ("consecutive_failures", "fails"), ("items_7d", "7 d"),
                  ("items_30d", "30 d"), ("next", "next"), ("error", "last error")])


def _relative(moment: str | None, now) -> str:
    """'12 min ago', 'in 3 h': short enough for a table on a phone-sized terminal."""
    from aggregator.db import parse_iso

    if not moment:
        return "never"
    seconds = (parse_iso(moment) - now).total_seconds()
    size = abs(seconds)
    amount = (f"{size:.0f} s" if size < 90 else f"{size / 60:.0f} min" if size < 5400
              else f"{size / 3600:.0f} h" if size < 129600 else f"{size / 86400:.0f} d")
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


@sources.command("show")
@click.argument("source_id", type=int)
@pass_state
def sources_show(state, source_id):
    """Everything about one source.

    \b
    Example:
        wire sources show 3
    """
    from aggregator.storage.sources import get_source

    for key, value in get_source(state.db, source_id).items():
        click.echo(f"{key:22} {'' if value is None else value}")


def _set_status(state, source_id, status):
    from aggregator.storage.audit import record_action
    from aggregator.storage.sources import set_source_status

    set_source_status(state.db, source_id, status)
    record_action(state.db, "cli", f"source {status}", "source", source_id)
    click.echo(f"source {source_id}: {status}")


@sources.command("pause")
@click.argument("source_id", type=int)
@pass_state
def sources_pause(state, source_id):
    """Stop fetching a source (its items stay).

    \b
    Example:
        wire sources pause 3
    """
    _set_status(state, source_id, "paused")


@sources.command("resume")
@click.argument("source_id", type=int)
@pass_state
def sources_resume(state, source_id):
    """Fetch a paused source again, from now.

    \b
    Example:
        wire sources resume 3
    """
    _set_status(state, source_id, "active")


@sources.command("remove")
@click.argument("source_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def sources_remove(state, source_id, yes):
    """Delete a source and its items.

    \b
    Example:
        wire sources remove 3 --yes
    """
    from aggregator.storage.audit import record_action
    from aggregator.storage.sources import get_source, remove_source

    source = get_source(state.db, source_id)
    if not yes and not click.confirm(f"delete source {source_id} ({source['name']}) and its items?", err=True):
        raise click.exceptions.Exit(1)
    count = remove_source(state.db, source_id)
    record_action(state.db, "cli", "source removed", "source", source_id, url=source["url"], items=count)
    click.echo(f"removed source {source_id} and {count} item(s)")


# ---------------------------------------------------------------- crawl
@cli.command()
@click.option("--source", "source_ids", type=int, multiple=True, help="Fetch this source now, due or not (repeatable).")
@pass_state
def crawl(state, source_ids):
    """Fetch every due source (feeds and sites) in one crawl, then fold duplicates.

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
    _table([{"what": k.replace("_", " "), "count": v} for k, v in vars(report).items() if k != "errors"],
           [("what", ""), ("count", "")], title="crawl")
    for error in report.errors:
        click.echo(f"  ! {error}", err=True)


# ---------------------------------------------------------------- items
@cli.group()
def items():
    """Collected items."""


@items.command("list")
@click.option("--limit", default=30, show_default=True)
@click.option("--search", help="Full-text search (SQLite FTS5 syntax).")
@pass_state
def items_list(state, limit, search):
    """The newest items.

    \b
    Example:
        wire items list --search "hunger strike"
    """
    from aggregator.storage.items import list_items

    _table(list_items(state.db, search=search, limit=limit),
           [("id", "id"), ("story_id", "story"), ("published_at", "published"), ("language", "lang"),
            ("source_name", "source"), ("title", "title")])


def export_record(row: dict) -> dict:
    """The stable JSON form of an item for `wire items export` (fields scripts rely on)."""
    return {
        "id": row["id"], "story_id": row["story_id"], "source": row["source_name"], "source_id": row["source_id"],
        "url": row["url"], "canonical_url": row["canonical_url"], "guid": row["guid"], "title": row["title"],
        "author": row["author"], "published": row["published_at"], "fetched": row["fetched_at"],
        "language": row["language"], "summary": row["summary"], "text": row["text"],
        "tags": json.loads(row["tags"] or "[]"), "image_url": row["image_url"],
    }


@items.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
@pass_state
def items_export(state, fmt, output):
    """Write every item, one JSON object per line (or CSV).

    \b
    Example:
        wire items export --format jsonl > items.jsonl
    """
    from aggregator.storage.items import list_items

    rows = [export_record(row) for row in list_items(state.db)]
    if fmt == "jsonl":
        for row in rows:
            output.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        writer = csv.DictWriter(output, fieldnames=list(rows[0]) if rows else ["id"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "tags": " ".join(row["tags"])})


# ---------------------------------------------------------------- stories and people
@cli.group()
def stories():
    """Stories: the items that tell one piece of news, and editors' decisions on them."""


@stories.command("list")
@click.option("--limit", default=30, show_default=True)
@pass_state
def stories_list(state, limit):
    """The newest stories with how many partners reported them.

    \b
    Example:
        wire stories list
    """
    from aggregator.storage.stories import list_stories

    _table(list_stories(state.db)[:limit], [("id", "id"), ("item_count", "reports"), ("language", "lang"),
                                            ("last_published_at", "last report"), ("title", "title")])


@stories.command("show")
@click.argument("story_id", type=int)
@pass_state
def stories_show(state, story_id):
    """A story's face and every report of it ("also reported by"), with tags and their evidence.

    \b
    Example:
        wire stories show 12
    """
    from aggregator.storage.stories import get_story

    story = get_story(state.db, story_id)
    click.echo(f"story {story['id']}: {story['title']}")
    for item in story["items"]:
        face = "*" if item["id"] == story["representative_item_id"] else " "
        click.echo(f" {face} item {item['id']:>5}  {item['language'] or '??'}  {item['partner_name'] or item['source_name']}"
                   f"  {item['published_at'] or 'no date'}  {item['title']}")
    for row in state.db.query("SELECT tag, words FROM tag_evidence WHERE item_id = ?", [story["representative_item_id"]]):
        click.echo(f"   tag {row['tag']}: {', '.join(json.loads(row['words']))}")


@stories.command("rebuild")
@pass_state
def stories_rebuild(state):
    """Cluster every item again; editors' splits, merges and moves are kept.

    \b
    Example:
        wire stories rebuild
    """
    from aggregator.clustering import rebuild_stories

    config = state.config
    report = rebuild_stories(state.db, config.near_duplicate_threshold, config.containment_threshold,
                             config.story_window_days)
    click.echo(f"{report.items} items: {report.new_stories} stories; folded {report.exact} exact copies, "
               f"{report.near_duplicates} reposts, {report.across_languages} in other languages")


@stories.command("split")
@click.argument("item_id", type=int)
@click.option("--editor", default="cli", show_default=True)
@pass_state
def stories_split(state, item_id, editor):
    """Take an item out of its story into a story of its own (kept across rebuilds).

    \b
    Example:
        wire stories split 41
    """
    from aggregator.storage.pins import split_item

    click.echo(f"item {item_id} is now story {split_item(state.db, item_id, editor)}")


@stories.command("merge")
@click.argument("story_id", type=int)
@click.argument("other_id", type=int)
@click.option("--editor", default="cli", show_default=True)
@pass_state
def stories_merge(state, story_id, other_id, editor):
    """Make two stories one (kept across rebuilds).

    \b
    Example:
        wire stories merge 12 15
    """
    from aggregator.storage.pins import merge_stories

    click.echo(f"merged into story {merge_stories(state.db, story_id, other_id, editor)}")


@stories.command("move")
@click.argument("item_id", type=int)
@click.argument("story_id", type=int)
@click.option("--editor", default="cli", show_default=True)
@pass_state
def stories_move(state, item_id, story_id, editor):
    """Move an item into another story (kept across rebuilds).

    \b
    Example:
        wire stories move 41 12
    """
    from aggregator.storage.pins import move_item

    move_item(state.db, item_id, story_id, editor)
    click.echo(f"item {item_id} moved to story {story_id}")


@cli.group()
def people():
    """People named as prisoners, hunger strikers or defendants, across languages."""


@people.command("list")
@pass_state
def people_list(state):
    """Everyone indexed, with the number of stories that mention them.

    \b
    Example:
        wire people list
    """
    from aggregator.storage.people import list_people

    _table(list_people(state.db), [("id", "id"), ("name", "name"), ("stories", "stories"),
                                   ("mentions", "mentions"), ("languages", "languages"), ("last_seen", "last seen")])


@people.command("show")
@click.argument("name")
@pass_state
def people_show(state, name):
    """The stories that mention a person (any spelling: 'Sahin' finds 'Şahin').

    \b
    Example:
        wire people show "Mahir Ekinci"
    """
    from aggregator.storage.people import get_person

    person = get_person(state.db, name)
    click.echo(f"{person['name']}: {len(person['stories'])} stories")
    for story in person["stories"]:
        click.echo(f"  story {story['id']:>5}  {story['last_published_at'] or ''}  ({story['role']})  {story['title']}")


# ---------------------------------------------------------------- editions
@cli.group()
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
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Directory for <lang>.html and <lang>.txt.")
@click.option("--lang", "languages", multiple=True, help="Only these languages (default: all configured).")
@pass_state
def edition_render(state, edition_id, out, languages):
    """Render the edition to DIR/<lang>.html and DIR/<lang>.txt in every language.

    \b
    Example:
        wire edition render 1 --out build/edition
    """
    from newsletter.editions import render_to_files

    for path in render_to_files(state.db, state.config, edition_id, Path(out), list(languages) or None):
        click.echo(str(path))


@edition.command("send")
@click.argument("edition_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def edition_send(state, edition_id, yes):
    """Send the edition to every active subscriber in their language (resumes after an interruption).

    \b
    Example:
        wire edition send 1 --yes
    """
    from aggregator.storage.subscribers import list_recipients
    from newsletter.sending import send_edition

    count = len(list_recipients(state.db, edition_id))
    if not yes and not click.confirm(f"send edition {edition_id} to {count} subscriber(s)?", err=True):
        raise click.exceptions.Exit(1)
    report = send_edition(state.db, state.config, edition_id)
    click.echo(f"sent {report.sent}, failed {report.failed} "
               f"({', '.join(f'{k}: {v}' for k, v in sorted(report.languages.items()))})")
    for error in report.errors:
        click.echo(f"  ! {error}", err=True)


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
            click.echo(f"  {entry.position:>3}. story {entry.story_id} {pin}[{entry.language}] {entry.headline}"
                       f" ({1 + len(entry.reports)} reports)")
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
    record_action(state.db, "cli", "edition entry changed", "edition", edition_id, story=story_id,
                  position=position, section=section, pinned=pin)
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

    _check_language(state, language)
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
    from aggregator.storage.audit import record_action
    from aggregator.storage.stories import save_translation

    _check_language(state, language)
    save_translation(state.db, story_id, language, headline.strip(), (summary or "").strip() or None)
    record_action(state.db, editor, "headline translated", "story", story_id, language=language)
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
    from datetime import datetime

    from aggregator.db import iso
    from aggregator.storage.editions import get_edition, set_edition_status

    if get_edition(state.db, edition_id)["status"] in ("sending", "sent"):
        raise InvalidInput(f"edition {edition_id} is already being sent or sent")
    try:
        moment = datetime.fromisoformat(send_at) if send_at else utcnow()
    except ValueError:
        raise InvalidInput(f"--at: not an ISO 8601 time: {send_at!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=state.config.zone)
    set_edition_status(state.db, edition_id, "approved", scheduled_at=iso(moment))
    click.echo(f"edition {edition_id} approved, to be sent at {iso(moment)}")


@edition.command("list")
@pass_state
def edition_list(state):
    """Every edition with its status and deliveries.

    \b
    Example:
        wire edition list
    """
    from aggregator.storage.editions import list_editions

    _table(list_editions(state.db), [("id", "id"), ("week", "week"), ("status", "status"),
                                     ("entry_count", "stories"), ("delivered", "delivered"), ("sent_at", "sent")])


# ---------------------------------------------------------------- subscribers
@cli.group()
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

    _check_language(state, language)
    click.echo(add_subscriber(state.db, email, language))


def _check_language(state, language):
    if language not in state.config.languages:
        raise InvalidInput(f"language {language!r} is not one of the edition languages "
                           f"({', '.join(state.config.languages)})")


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

    _table(list_subscribers(state.db, status), [("id", "id"), ("email", "email"), ("language", "lang"),
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
    from aggregator.exceptions import ConflictError
    from aggregator.storage.subscribers import add_subscriber

    added, skipped = 0, []
    for line, row in enumerate(csv.DictReader(file), start=2):
        try:
            language = (row.get("language") or "en").strip()
            _check_language(state, language)
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

    writer = csv.writer(sys.stdout)
    writer.writerow(["email", "language", "status"])
    for row in list_subscribers(state.db):
        writer.writerow([row["email"], row["language"], row["status"]])


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


# ---------------------------------------------------------------- servers
@cli.command()
@click.option("--host", help="Interface (default: config host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: config port, 8000).")
@click.option("--schedule/--no-schedule", default=True, show_default=True,
              help="Crawl every crawl_interval, draft at draft_at, send approved editions on time.")
@pass_state
def serve(state, host, port, schedule):
    """Run the web app and the schedule until stopped.

    \b
    Example:
        wire serve --port 8000
    """
    from waitress import serve as waitress_serve

    from wire.scheduler import Scheduler
    from wire.web import create_app

    app = create_app(state.config)
    host, port = host or state.config.host, port or state.config.port
    if schedule:
        Scheduler(state.config).start()
    click.echo(f"serving on http://{host}:{port}/" + (" with the schedule" if schedule else ""), err=True)
    waitress_serve(app, host=host, port=port, threads=4)


@cli.command("run-once")
@pass_state
def run_once(state):
    """One cycle of the schedule, for cron or a systemd timer: crawl, draft if due, send what is approved.

    \b
    Example:
        wire run-once        # e.g. from cron: 0 */2 * * * cd /srv/wire && .venv/bin/wire run-once
    """
    from aggregator.db import parse_iso
    from aggregator.storage.editions import list_editions
    from wire.scheduler import run_cycle

    # the last draft is the newest edition's last change: cron keeps no state between runs
    last = max((row["updated_at"] for row in list_editions(state.db)), default=None)
    report = run_cycle(state.config, {"last_draft": parse_iso(last)}, force_crawl=True)
    click.echo(f"crawled: {report.new_items} new items; drafted: {report.drafted or '-'}; "
               f"sent: {', '.join(f'edition {k}: {v}' for k, v in report.sent.items()) or '-'}")
    for note in report.notes:
        click.echo(f"  {note}")


@cli.command()
@click.option("--port", type=int, default=8025, show_default=True)
@click.option("--maildir", type=click.Path(file_okay=False), default="data/maildir", show_default=True)
def mailsink(port, maildir):
    """Run a local SMTP server (aiosmtpd) that stores every message in a Maildir.

    \b
    Example:
        wire mailsink --port 8025 --maildir data/maildir
    """
    import time

    from wire.mailsink import MailSink

    with MailSink(maildir, port=port) as sink:
        click.echo(f"SMTP on {sink.url}, storing in {maildir}; Ctrl-C stops", err=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


@cli.command()
@click.option("--workdir", type=click.Path(file_okay=False), default="data/demo", show_default=True,
              help="Where the demo database, rendered files and Maildir go.")
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


def main():
    cli(prog_name="wire")


if __name__ == "__main__":
    main()
