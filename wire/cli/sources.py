"""`wire sources`: partners' feeds and sites, and their health."""

from __future__ import annotations

import json

import click

from aggregator.exceptions import ConflictError, InvalidInput
from wire.cli.output import relative, table
from wire.cli.state import pass_state


@click.group()
def sources():
    """Partners' feeds and sites."""


@sources.command("add")
@click.argument("url")
@click.option("--name", help="Name shown to editors (default: the feed's or page's title).")
@click.option("--kind", type=click.Choice(["feed", "site"]), help="Skip discovery and register as this kind.")
@click.option("--partner", help="Partner organisation (created if new; default: the name).")
@click.option("--language", help="Language the partner writes in (ISO 639-1), when the feed does not say.")
@click.option(
    "--recipe",
    help='For a site without a feed, JSON: {"list_urls": [...], "link_selector": "h2 a", '
    '"title_selector", "date_selector", "body_selector", "next_selector", "max_pages"}.',
)
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
    from crawlers.recipes import parse_recipe

    if not is_http_url(url):
        raise InvalidInput(f"not an http(s) URL: {url!r}")
    parsed_recipe = parse_recipe(recipe) if recipe else None
    if parsed_recipe:
        kind = "site"
    config = state.config
    title = ""
    if kind is None:
        try:
            found = discover(
                url,
                user_agent=f"SolidarityWire/0.1 (+{config.contact_url})",
                allow_private=config.allow_private_networks,
                allowed_hosts=config.allowed_hosts,
            )
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


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@pass_state
def sources_list(state, as_json):
    """Every source with its health: last fetch, status, failures, items in 7 and 30 days, last error.

    \b
    Example:
        wire sources list
    """
    from aggregator.db import utcnow
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
        row["fetched"] = relative(row["last_fetch_at"], now)
        row["next"] = relative(row["next_fetch_at"], now)
    table(
        rows,
        [
            ("id", "id"),
            ("name", "name"),
            ("kind", "kind"),
            ("health", "health"),
            ("fetched", "fetched"),
            ("last_status", "HTTP"),
            ("consecutive_failures", "fails"),
            ("items_7d", "7 d"),
            ("items_30d", "30 d"),
            ("next", "next"),
            ("error", "last error"),
        ],
    )


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


@sources.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Read the file and report; change nothing.")
@pass_state
def sources_import(state, file, dry_run):
    """Register every feed of an OPML file (the list another reader exports), without fetching them.

    Like Miniflux and FreshRSS, the import does not fetch: a list of two hundred feeds would
    wait on every slow or dead site, and a feed's problems show in `wire sources list` after
    its first crawl. Each outline with an xmlUrl (in folders too) becomes a feed source, as
    `wire sources add URL --kind feed` would make it; htmlUrl becomes the partner's website.
    Feeds already registered or listed twice (same canonical URL) are skipped. Every problem
    is reported by line number, and everything readable is imported (exit status 1 when
    anything was skipped; 2 when nothing in the file is readable).

    \b
    Example:
        wire sources import feeds.opml --dry-run
        wire sources import feeds.opml
    """
    from aggregator.opml import BadOpml, Problem, plan_import, read_opml
    from aggregator.storage.audit import record_action
    from aggregator.storage.partners import ensure_partner
    from aggregator.storage.sources import add_source, list_sources

    try:
        data = click.get_binary_stream("stdin").read() if file == "-" else open(file, "rb").read()
    except OSError as error:
        raise InvalidInput(f"cannot read {file}: {error.strerror or error}") from None
    try:
        opml = read_opml(data)
    except BadOpml as error:
        raise InvalidInput(f"{file}: {error}") from None
    new, skipped = plan_import(opml.feeds, [row["url"] for row in list_sources(state.db)])
    problems = opml.problems + skipped
    imported = 0
    if not dry_run:
        for feed in new:
            partner_id = ensure_partner(
                state.db, feed.partner or feed.name, website=feed.website, language=feed.language
            )
            try:
                add_source(state.db, feed.url, feed.name, "feed", partner_id=partner_id, language=feed.language)
            except ConflictError as error:  # registered by someone else since the plan was made
                problems.append(Problem(feed.line, f"{error}: skipped"))
                continue
            imported += 1
        record_action(state.db, "cli", "sources imported", "source", None, file=file, imported=imported)
    problems.sort(key=lambda problem: problem.line)
    if dry_run:
        click.echo(f"dry run: {len(new)} would be imported, {len(skipped)} skipped; nothing changed")
    else:
        click.echo(f"imported {imported}, skipped {len(opml.feeds) - imported}")
    for problem in problems:
        click.echo(f"  ! {problem}", err=True)
    return 1 if problems else 0


@sources.command("export")
@click.option(
    "--out", "out", default="-", type=click.Path(dir_okay=False, allow_dash=True), help="File (default: stdout)."
)
@pass_state
def sources_export(state, out):
    """Write every feed source as OPML 2.0, for another reader or for `wire sources import`.

    Sites without a feed (scraped by a recipe) have no place in OPML and are left out, with
    their count on stderr. Names, languages and partners come back with an import.

    \b
    Example:
        wire sources export --out feeds.opml
        wire sources export > feeds.opml
    """
    from aggregator.db import utcnow
    from aggregator.opml import write_opml
    from aggregator.storage.partners import partner_websites
    from aggregator.storage.sources import list_sources
    from wire.cli.output import write_lines

    rows = list_sources(state.db)
    websites = partner_websites(state.db)
    feeds = [{**row, "partner_website": websites.get(row["partner_id"])} for row in rows if row["kind"] == "feed"]
    data = write_opml(feeds, f"{state.config.site_name}: sources", utcnow())
    write_lines([data.decode("utf-8")], out)
    if len(feeds) < len(rows):
        click.echo(f"{len(rows) - len(feeds)} site source(s) not exported (OPML lists feeds only)", err=True)
