"""The edition as readers see it: every language in Chromium at 375 and 800 px, the archive, the Atom
feeds, one-click unsubscribe, and sending to a real SMTP server. Runs on the demo network over HTTP."""

import email
import email.policy
import html
import mailbox
import re
import urllib.parse
import urllib.request

import feedparser
import pytest

from aggregator.config import DEFAULT_LANGUAGES
from aggregator.db import open_db
from aggregator.storage.subscribers import add_subscriber, get_subscriber
from crawlers.run import crawl_in_subprocess
from newsletter.editions import draft_edition, render_to_files
from newsletter.sending import send_edition
from tests.conftest import LiveServer, make_config
from tests.crawlers.test_crawl_demo import register
from wire.mailsink import MailSink


@pytest.fixture(scope="module")
def world(tmp_path_factory, demo_network):
    """The demo network crawled, an edition drafted, the web app serving, the edition sent to six readers."""
    from wire.web import create_app

    tmp = tmp_path_factory.mktemp("edition")
    # bound before rendering: links in the edition point at the live app
    with LiveServer() as live, MailSink(tmp / "maildir") as sink:
        config = make_config(tmp, base_url=live.url, smtp_url=sink.url)
        db = open_db(config.db)
        register(db, demo_network)
        crawl_in_subprocess(config)
        edition_id = draft_edition(db, config)
        files = render_to_files(db, config, edition_id, tmp / "out")
        readers = {
            language: add_subscriber(db, f"reader.{language}@example.org", language)
            for language in ("en", "fa", "tr", "de", "ar", "es")
        }
        report = send_edition(db, config, edition_id)
        live.app = create_app(config)
        yield {
            "config": config,
            "db": db,
            "edition": edition_id,
            "files": files,
            "readers": readers,
            "report": report,
            "sink": sink,
            "url": live.url,
        }


def test_sending_reaches_every_reader_once_in_their_language(world):
    messages = [
        email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
        for m in mailbox.Maildir(str(world["sink"].maildir), create=False)
    ]
    assert world["report"].sent == len(messages) == 6
    assert sorted(m["Content-Language"] for m in messages) == sorted(world["readers"])
    assert all(m["To"] == f"reader.{m['Content-Language']}@example.org" for m in messages)


def test_edition_files_in_all_twelve_languages(world):
    names = {path.name for path in world["files"]}
    assert names == {f"{language}.{suffix}" for language in DEFAULT_LANGUAGES for suffix in ("html", "txt")}


@pytest.mark.browser
@pytest.mark.parametrize("language", DEFAULT_LANGUAGES)
def test_edition_in_chromium(world, page, artifacts, language):
    html = next(p for p in world["files"] if p.name == f"{language}.html")
    for width in (375, 800):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(html.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{language} overflows at {width}"
        )
        direction = page.evaluate("document.documentElement.dir")
        assert direction == ("rtl" if language in ("fa", "ar") else "ltr")
        align = page.locator("h2").first.evaluate("el => getComputedStyle(el.closest('div')).textAlign")
        assert align == ("right" if language in ("fa", "ar") else "left")
        page.screenshot(path=str(artifacts / f"edition-{language}-{width}.png"), full_page=True)
    links = sorted(set(page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")))
    assert links
    for link in links:
        # the rendered file is no reader's message: its token placeholder leads where the archive's links do
        link = link.replace("/unsubscribe/SUBSCRIBER-TOKEN", "/unsubscribe/").replace(
            "/subscription/SUBSCRIBER-TOKEN", "/subscription/"
        )
        assert urllib.parse.urlsplit(link).hostname == "127.0.0.1", link
        with urllib.request.urlopen(link, timeout=10) as response:
            assert response.status == 200, link


def test_archive_pages_and_feeds(world):
    base = world["url"]
    index = urllib.request.urlopen(f"{base}/editions/").read().decode()
    week = world["db"].execute("SELECT week FROM editions").fetchone()[0]
    assert week in index
    persian = urllib.request.urlopen(f"{base}/editions/{week}/fa").read().decode()
    assert 'dir="rtl"' in persian and "SUBSCRIBER-TOKEN" not in persian
    assert "example.org" not in persian  # no subscriber data in the archive
    # every link on the archive's edition page answers, "Change language" included
    for link in sorted({html.unescape(h) for h in re.findall(r'href="([^"]+)"', persian)}):
        assert urllib.parse.urlsplit(link).hostname == "127.0.0.1", link
        with urllib.request.urlopen(link, timeout=10) as response:
            assert response.status == 200, link
    for language in DEFAULT_LANGUAGES:
        body = urllib.request.urlopen(f"{base}/editions/{language}.atom").read()
        feed = feedparser.parse(body)
        assert not feed.bozo, (language, feed.get("bozo_exception"))
        assert feed.version == "atom10" and len(feed.entries) == 1
        assert feed.entries[0].link == f"{base}/editions/{week}/{language}"
        # RFC 4287's required elements (no feed validator installs from PyPI or Debian to check it for us)
        import xml.etree.ElementTree as ET

        atom = "{http://www.w3.org/2005/Atom}"
        root = ET.fromstring(body)
        for element in ("id", "title", "updated", "author"):
            assert root.find(atom + element) is not None, element
        for entry in root.findall(atom + "entry"):
            for element in ("id", "title", "updated", "link", "summary"):
                assert entry.find(atom + element) is not None, element
            assert entry.find(atom + "updated").text.endswith("+00:00")


def test_unsubscribe_in_one_click_and_from_the_browser(world, page):
    db = world["db"]
    reader = get_subscriber(db, world["readers"]["tr"])
    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click to the link
    request = urllib.request.Request(
        f"{world['url']}/unsubscribe/{reader['token']}", method="POST", data=b"List-Unsubscribe=One-Click"
    )
    assert urllib.request.urlopen(request).status == 200
    assert get_subscriber(db, reader["id"])["status"] == "unsubscribed"
    other = get_subscriber(db, world["readers"]["es"])
    page.goto(f"{world['url']}/unsubscribe/{other['token']}")
    assert get_subscriber(db, other["id"])["status"] == "active"  # a GET (a link scanner) changes nothing
    page.get_by_role("button", name="Unsubscribe").click()
    assert page.locator("p.done").inner_text().startswith("You are unsubscribed")
    assert get_subscriber(db, other["id"])["status"] == "unsubscribed"
    page.goto(f"{world['url']}/unsubscribe/not-a-real-token-at-all")
    assert "not valid" in page.locator("p.error").inner_text()
