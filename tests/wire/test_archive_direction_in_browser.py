"""The archive's edition page (`/editions/<week>/<lang>`) in Chromium at phone and desktop width: the
mixed edition of tests/newsletter is stored as partners' items, sent into a real SMTP server and served
from its frozen copy; Persian and Arabic read right to left in every block, foreign runs are isolated,
and the parts of the meta and "also reported by" lines appear in reading order; English is the control."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aggregator.clustering import cluster_new_items
from aggregator.curation import move_item
from aggregator.db import open_db
from aggregator.storage.editions import get_edition, save_intro
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source
from aggregator.storage.stories import save_translation
from aggregator.storage.subscribers import add_subscriber
from aggregator.text import content_hash
from newsletter.compose import Edition
from newsletter.editions import draft_edition
from newsletter.sending import send_edition
from tests.conftest import LiveServer, make_config
from tests.direction_checks import NOT_RTL, PARTS, out_of_order
from tests.newsletter.conftest import mixed_edition
from wire.mailsink import MailSink

LANGUAGES = ("fa", "ar", "en")
EDITOR = "editor@example.org"


def _item(db, sources: dict[str, int], partner: str, language: str, url: str, title: str, text: str, published):
    if partner not in sources:
        sources[partner] = add_source(db, f"https://feeds.example/{len(sources)}.xml", partner, "feed")
    _, item_id = save_item(
        db,
        {
            "source_id": sources[partner],
            "url": url,
            "canonical_url": url,
            "title": title,
            "text": text,
            "summary": text,
            "language": language,
            "published_at": published,
            "content_hash": content_hash(title, text),
        },
    )
    return item_id


def store_edition(db, edition: Edition) -> None:
    """Each entry of `edition` as partners' items: the face with its text, each report a short repost of it,
    moved into the face's story as an editor would; translations and intros as the editors wrote them."""
    sources: dict[str, int] = {}
    groups = []
    for entry in edition.entries:
        face = _item(
            db, sources, entry.source, entry.language, entry.url, entry.headline, entry.summary, entry.published
        )
        reports = [
            _item(db, sources, r.source, r.language, r.url, f"{r.source}: {entry.headline}", r.title, entry.published)
            for r in entry.reports
        ]
        groups.append((face, reports, entry))
    cluster_new_items(db)
    for face, reports, entry in groups:
        story = db.execute("SELECT story_id FROM items WHERE id = ?", [face]).fetchone()[0]
        for report in reports:
            if db.execute("SELECT story_id FROM items WHERE id = ?", [report]).fetchone()[0] != story:
                move_item(db, report, story, EDITOR)
        for language, texts in entry.translations.items():
            save_translation(db, story, language, texts["headline"], texts.get("summary"))


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """The mixed edition drafted, sent to a reader per language into aiosmtpd, and the archive serving it."""
    from wire.web import create_app

    tmp = tmp_path_factory.mktemp("archive-direction")
    edition = mixed_edition()
    with LiveServer() as live, MailSink(tmp / "maildir") as sink:
        config = make_config(tmp, base_url=live.url, smtp_url=sink.url)
        db = open_db(config.db)
        store_edition(db, edition)
        edition_id = draft_edition(db, config, week=edition.week, now=datetime(2026, 11, 29, 12, tzinfo=UTC))
        for language, intro in edition.intros.items():
            save_intro(db, edition_id, language, intro)
        for language in LANGUAGES:
            add_subscriber(db, f"reader.{language}@example.org", language)
        assert send_edition(db, config, edition_id).sent == len(LANGUAGES)
        assert get_edition(db, edition_id)["status"] == "sent"
        live.app = create_app(config)
        yield {"url": f"{live.url}/editions/{edition.week}", "entries": len(edition.entries)}
        db.conn.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 800])
@pytest.mark.parametrize("language", LANGUAGES)
def test_archive_page_reads_in_the_editions_direction_and_lines_in_reading_order(
    archive, page, artifacts, language, width
):
    direction = "ltr" if language == "en" else "rtl"
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(f"{archive['url']}/{language}")
    assert response is not None and response.status == 200
    page.screenshot(path=str(artifacts / f"archive-direction-{language}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"overflows at {width}"
    assert page.evaluate("document.documentElement.dir") == direction
    if direction == "rtl":
        assert page.evaluate(NOT_RTL, language) == [], f"not right to left at {width} px"
    meta = page.evaluate(PARTS, "p.meta")
    also = page.evaluate(PARTS, "p.also")
    assert len(meta) == archive["entries"] and all(len(parts) >= 2 for parts in meta)
    assert sorted(len(parts) for parts in also) == [2, 2, 4]  # the label, then each partner
    assert out_of_order(meta, direction) == [], f"meta line at {width} px"
    assert out_of_order(also, direction) == [], f"'also reported by' at {width} px"
    # the mixed line of the issue: "The Open Cell · 29 <month> · in English", each part whole and in order
    open_cell = next([part["text"] for part in parts] for parts in meta if parts[0]["text"] == "The Open Cell")
    assert open_cell[1].startswith("29 ") and len(open_cell) == (2 if language == "en" else 3)
