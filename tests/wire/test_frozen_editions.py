"""Sent means frozen: an edition sent into a real SMTP server (aiosmtpd) stays exactly as the messages held
it on the archive page and in the Atom feed, after editors merge its stories and a headline changes;
edits of a sent edition are refused; "Read in your browser" answers while the edition is still going out."""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
import sqlite3
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from aggregator.clustering import cluster_new_items
from aggregator.curation import merge_stories
from aggregator.db import iso, utcnow
from aggregator.storage.editions import get_edition
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source
from aggregator.storage.stories import get_story, save_translation
from aggregator.storage.subscribers import add_subscriber, get_subscriber
from aggregator.text import content_hash
from newsletter.editions import draft_edition
from newsletter.sending import send_edition
from tests.conftest import LiveServer, make_config

ATOM = "{http://www.w3.org/2005/Atom}"

#: (partner, language, title, text): the first two are one press release reposted, the others stand alone.
REPORTS = [
    (
        "Kanun Hamrah",
        "en",
        "Day 60 of the hunger strike in Aldbridge prison",
        "Prisoners in Aldbridge high-security prison entered the sixtieth day of their hunger strike against "
        "isolation. Their lawyers asked the court for an urgent health check; a doctor said they need vitamin B1.",
    ),
    (
        "Open Cell",
        "en",
        "Aldbridge hunger strikers reach day 60",
        "Prisoners in Aldbridge high-security prison entered the sixtieth day of their hunger strike against "
        "isolation. Their lawyers asked the court for an urgent health check; a doctor said they need vitamin B1.",
    ),
    (
        "Hambastegi",
        "fa",
        "تجمع در برابر کنسولگری برای زندانیان سیاسی",
        "روز شنبه خانواده‌ها و دوستان زندانیان سیاسی در برابر کنسولگری گرد آمدند و آزادی آنان را خواستند.",
    ),
    (
        "Gefangeneninfo Altwerder",
        "de",
        "Prozessbeobachtung in Altwerder: Urteil vertagt",
        "Das Gericht in Altwerder hat das Urteil gegen die drei Angeklagten auf Dezember vertagt. "
        "Beobachterinnen aus vier Ländern verfolgten die Verhandlung.",
    ),
]


def seed_week(db, site_url: str) -> dict[str, int]:
    """Four partners' reports of this week, clustered: three stories, one of them reported twice."""
    now = iso(utcnow())
    stories = {}
    for n, (partner, language, title, text) in enumerate(REPORTS):
        source = add_source(db, f"{site_url}/feed{n}.xml", partner, "feed")
        url = f"{site_url}/article{n}.html"
        save_item(
            db,
            {
                "source_id": source,
                "url": url,
                "canonical_url": url,
                "title": title,
                "text": text,
                "summary": text[:120],
                "language": language,
                "published_at": now,
                "content_hash": content_hash(title, text),
            },
        )
    cluster_new_items(db)
    for row in db.query("SELECT id, story_id, title FROM items ORDER BY id"):
        stories[row["title"]] = row["story_id"]
    return stories


@pytest.fixture
def partner_site(static_site):
    site = static_site()
    for n, (partner, language, title, _text) in enumerate(REPORTS):
        (site.root / f"article{n}.html").write_text(
            f'<!doctype html><html lang="{language}"><title>{title}</title><h1>{title}</h1><p>{partner}</p></html>',
            encoding="utf-8",
        )
    return site


def _messages(maildir) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
        for m in mailbox.Maildir(str(maildir), create=False)
    ]


def _parts(message) -> tuple[str, str]:
    return (message.get_body(("html",)).get_content(), message.get_body(("plain",)).get_content())


def _get(url: str) -> tuple[int, str, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8"), dict(response.headers.items())


def test_a_sent_edition_stays_as_the_messages_held_it(tmp_path, mail_sink, partner_site, unset_server):
    from wire.web import create_app

    config = make_config(tmp_path, base_url=unset_server.url, smtp_url=mail_sink.url)
    from aggregator.db import open_db

    db = open_db(config.db)
    stories = seed_week(db, partner_site.url)
    assert len(set(stories.values())) == 3
    edition_id = draft_edition(db, config)
    readers = {
        language: add_subscriber(db, f"reader.{language}@example.org", language) for language in ("en", "fa", "de")
    }
    report = send_edition(db, config, edition_id)
    assert report.sent == 3
    week = get_edition(db, edition_id)["week"]
    received = {m["Content-Language"]: m for m in _messages(mail_sink.maildir)}
    assert set(received) == {"en", "fa", "de"}

    # editors change the week's stories after sending: a merge (which empties and removes a story)
    # and new headlines, from the editor and from a partner's corrected title
    persian, german = stories[REPORTS[2][2]], stories[REPORTS[3][2]]
    survivor = merge_stories(db, german, persian, "editor@example.org")
    gone = persian if survivor == german else german
    assert get_story(db, gone)["item_count"] == 0, "a story a sent edition refers to is kept, never deleted"
    aldbridge = stories[REPORTS[0][2]]
    save_translation(db, aldbridge, "de", "Hungerstreik in Aldbridge: Tag 61")
    db.execute("UPDATE items SET title = 'Corrected: the Aldbridge strike' WHERE story_id = ?", [aldbridge])
    with pytest.raises(sqlite3.IntegrityError):  # no cascade from stories: a delete is refused outright
        db.execute("DELETE FROM stories WHERE id = ?", [gone])

    live = unset_server
    live.app = create_app(config)
    feeds = {}
    for language, message in received.items():
        html, text = _parts(message)
        token = get_subscriber(db, readers[language])["token"]
        assert token in html and token in text
        public = html.replace(token, "")  # the archive carries no reader's token
        status, page, headers = _get(f"{live.url}/editions/{week}/{language}")
        assert status == 200
        assert page.strip() == public.strip(), f"{language}: the archive page differs from the message"
        assert "Corrected" not in page and "Tag 61" not in page
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        # "Read in your browser" in the message leads to that page
        archive_link = re.search(r'href="([^"]+/editions/[^"]+)"', html).group(1)
        assert archive_link == f"{config.base_url}/editions/{week}/{language}"
        status, body, _ = _get(f"{live.url}/editions/{language}.atom")
        feeds[language] = ET.fromstring(body.encode("utf-8"))
        entry = feeds[language].find(f"{ATOM}entry")
        assert entry.find(f"{ATOM}title").text == message["Subject"]
        assert entry.find(f"{ATOM}content").text.strip() == public.strip()
        assert entry.find(f"{ATOM}link").get("href") == f"{config.base_url}/editions/{week}/{language}"
    db.conn.close()


def _wire(tmp_path, config, *args):
    env = {"WIRE_DB": str(config.db), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "wire", *args], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
    )


def test_a_sent_edition_cannot_be_edited_from_the_cli(tmp_path, mail_sink, partner_site):
    from aggregator.db import open_db

    config = make_config(tmp_path, smtp_url=mail_sink.url)
    db = open_db(config.db)
    stories = seed_week(db, partner_site.url)
    edition_id = draft_edition(db, config)
    add_subscriber(db, "reader@example.org", "en")
    story = stories[REPORTS[0][2]]
    assert (
        _wire(tmp_path, config, "edition", "intro", str(edition_id), "--lang", "en", "Before sending").returncode == 0
    )
    send_edition(db, config, edition_id)
    for args in (
        ("edition", "edit", str(edition_id), "--story", str(story), "--position", "2"),
        ("edition", "intro", str(edition_id), "--lang", "de", "Diese Woche"),
        ("edition", "headline", str(story), "--lang", "fa", "--headline", "روز ۶۰"),
    ):
        result = _wire(tmp_path, config, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "is sent" in lines[0] and f"edition {edition_id}" in lines[0], lines
    assert get_edition(db, edition_id)["intros"] == {"en": "Before sending"}
    db.conn.close()


def test_read_in_your_browser_while_the_edition_is_still_being_sent(tmp_path, mail_sink, partner_site):
    """Half the readers have it: their "Read in your browser" link works before the rest are sent."""
    from aggregator.db import open_db
    from wire.web import create_app

    config = make_config(tmp_path, smtp_url=mail_sink.url)
    db = open_db(config.db)
    seed_week(db, partner_site.url)
    edition_id = draft_edition(db, config)
    for n in range(4):
        add_subscriber(db, f"reader{n}@example.org", "fa" if n % 2 else "en")
    assert send_edition(db, config, edition_id, limit=2).sent == 2
    assert get_edition(db, edition_id)["status"] != "sent"
    with LiveServer(create_app(config)) as live:
        for message in _messages(mail_sink.maildir):
            html, _text = _parts(message)
            link = re.search(r'href="([^"]+/editions/[^"]+)"', html).group(1)
            status, page, _ = _get(link.replace(config.base_url.rstrip("/"), live.url))
            assert status == 200 and page.strip()
        # the archive lists only editions that went out to everyone
        _, index, _ = _get(f"{live.url}/editions/")
        assert get_edition(db, edition_id)["week"] not in index
    db.conn.close()
