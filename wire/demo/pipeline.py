"""`wire demo`: the whole pipeline, offline, on the bundled demo partner network.

Everything runs on 127.0.0.1: the partners' sites, a real SMTP server, the crawl in its
own process. The demo's database, rendered files and Maildir stay in the work directory
so that `wire --config <workdir>/wire.toml serve` shows the result.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from aggregator.config import load_config
from aggregator.db import open_db
from aggregator.storage.items import count_items
from aggregator.storage.partners import ensure_partner
from aggregator.storage.sources import add_source, count_sources
from aggregator.storage.stories import count_stories
from aggregator.storage.subscribers import add_subscriber
from crawlers.run import crawl_in_subprocess
from newsletter.editions import draft_edition, render_to_files
from newsletter.sending import send_edition
from wire.cli.output import command_name  # `.venv/bin/wire` when `wire` is not on the PATH
from wire.demo.network import DemoNetwork
from wire.mailsink import MailSink

#: Demo readers: invented addresses on a reserved domain, one per language the demo shows.
DEMO_SUBSCRIBERS = (
    ("reader.en@demo.invalid", "en"),
    ("leserin.de@demo.invalid", "de"),
    ("okur.tr@demo.invalid", "tr"),
    ("khanande.fa@demo.invalid", "fa"),
    ("lectora.es@demo.invalid", "es"),
    ("lecteur.fr@demo.invalid", "fr"),
)


@dataclass
class DemoResult:
    sources: int
    items: int
    duplicates_folded: int
    stories: int
    edition_id: int
    languages: list[str]
    delivered: int
    rendered: list[Path]
    maildir: Path
    config_path: Path
    seconds: float


def demo_config_text(db: Path, smtp_url: str) -> str:
    return (
        "# Written by `wire demo`: the demo's own database and settings.\n"
        f'db = "{db}"\n'
        f'smtp_url = "{smtp_url}"\n'
        "allow_private_networks = true  # the demo partners live on 127.0.0.1\n"
        'allowed_hosts = ["127.0.0.1"]   # and nothing else is ever fetched\n'
        "crawl_delay = 0.0\ncrawl_per_host = 8\nsend_rate = 0.0\n"
    )


def run_pipeline(workdir: Path) -> DemoResult:
    """Run every step; return the figures. The work directory is emptied first."""
    started = time.monotonic()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    db_path, maildir, config_path = workdir / "wire.db", workdir / "maildir", workdir / "wire.toml"
    with DemoNetwork() as network, MailSink(maildir) as sink:
        config_path.write_text(demo_config_text(db_path.resolve(), sink.url), encoding="utf-8")
        config = load_config(config_path, environ={})
        db = open_db(config.db)
        for partner in network.partners:
            partner_id = ensure_partner(db, partner.name, website=partner.home_url, language=partner.languages[0])
            url = (partner.feed_url if partner.kind == "feed" else None) or partner.home_url
            add_source(db, url, partner.name, partner.kind, partner_id=partner_id, language=partner.languages[0])
        report = crawl_in_subprocess(config)
        edition_id = draft_edition(db, config)
        languages = list(config.languages)
        rendered = render_to_files(db, config, edition_id, workdir / "edition", languages)
        for email, language in DEMO_SUBSCRIBERS:
            add_subscriber(db, email, language)
        sent = send_edition(db, config, edition_id)
        stories, items, sources = count_stories(db), count_items(db), count_sources(db)
    return DemoResult(
        sources=sources,
        items=items,
        duplicates_folded=report.duplicates_folded,
        stories=stories,
        edition_id=edition_id,
        languages=languages,
        delivered=sent.sent,
        rendered=rendered,
        maildir=maildir,
        config_path=config_path,
        seconds=time.monotonic() - started,
    )


def run_demo(workdir: Path) -> DemoResult:
    console = Console()
    with console.status("running the demo: partner sites, crawl, stories, edition, mail…"):
        result = run_pipeline(workdir)
    table = Table(title="Solidarity Wire demo", show_header=False)
    table.add_column("what")
    table.add_column("value")
    for what, value in (
        ("sources", result.sources),
        ("items", result.items),
        ("duplicates folded", result.duplicates_folded),
        ("stories", result.stories),
        ("edition", result.edition_id),
        ("edition languages", " ".join(result.languages)),
        ("messages delivered", result.delivered),
        ("time", f"{result.seconds:.1f} s"),
    ):
        table.add_row(what, str(value))
    console.print(table)
    console.print(f"rendered: {result.rendered[0].parent}/ ({len(result.rendered)} files: <lang>.html and <lang>.txt)")
    for path in result.rendered:
        if path.stem in ("en", "fa"):
            console.print(f"  {path}")
    console.print(f"maildir:  {result.maildir}")
    console.print(f"see it:   {command_name()} --config {result.config_path} serve")
    return result
