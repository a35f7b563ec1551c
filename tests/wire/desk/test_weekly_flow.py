"""The editors' weekly evening in Chromium, as issue 12 asks: log in, filter the inbox by Turkish, select five
stories, translate one headline into Persian, compose, preview in Persian (the Persian headline in the preview,
right to left), approve, send; the messages arrive in a real SMTP server (aiosmtpd) and the Persian readers'
messages carry the Persian headline.

Everything is real: the app served by waitress on loopback, Chromium through Playwright, the sending code of
`wire edition send` running in the background thread the desk starts. The week's reports are stored through
the library as the crawler stores them (invented partners in four languages, seven Turkish stories)."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import pytest

from aggregator.db import iso, utcnow
from aggregator.storage.editions import find_edition
from aggregator.storage.items import get_item, save_item
from aggregator.storage.sources import add_source
from aggregator.storage.stories import create_story
from aggregator.storage.subscribers import add_subscriber
from aggregator.text import content_hash
from newsletter.weeks import week_bounds, week_of
from tests.conftest import make_config
from tests.wire.desk.conftest import make_editor

pytestmark = pytest.mark.browser

PERSIAN = "روز ۸۷ اعتصاب غذای ماهر اکینجی در زندان کوزی‌کنت"
#: (partner, language, title): seven Turkish stories, and three in other languages that the filter leaves out
REPORTS = [
    ("Umut Tutsak Aileleri", "tr", "Mahir Ekinci açlık grevinin 87. gününde: sağlık durumu kritik"),
    ("Umut Tutsak Aileleri", "tr", "Kuzeykent Cezaevi önünde ailelerden oturma eylemi"),
    ("Dayanışma Ağı", "tr", "Tecrit koşullarına karşı 12 tutsak açlık grevine başladı"),
    ("Dayanışma Ağı", "tr", "Gazeteci İlknur Şahin 9 ay sonra tahliye edildi"),
    ("Özgür Tutsak Komitesi", "tr", "Beş öğrencinin davası 14 Aralık'a ertelendi"),
    ("Özgür Tutsak Komitesi", "tr", "Avukatlar cezaevi ziyaret yasağını mahkemeye taşıdı"),
    ("Özgür Tutsak Komitesi", "tr", "Hasta tutsak Hasan Demir için acil tahliye çağrısı"),
    ("Open Cell", "en", "Aldbridge hunger strikers reach day 60"),
    ("Gefangeneninfo Altwerder", "de", "Prozessbeobachtung in Altwerder: Urteil vertagt"),
    ("Hambastegi", "fa", "تجمع در برابر کنسولگری برای زندانیان سیاسی"),
]
READERS = [("khanande1@example.org", "fa"), ("khanande2@example.org", "fa"), ("okur@example.org", "tr")]


@pytest.fixture
def config(tmp_path, mail_sink):
    return make_config(tmp_path, smtp_url=mail_sink.url)


def store_week(db, config) -> None:
    """The week's reports, one story each, published between Monday 00:00 (local) and now."""
    now = utcnow()
    start, _ = week_bounds(week_of(now, config.zone), config.zone)
    sources: dict[str, int] = {}
    for n, (partner, language, title) in enumerate(REPORTS):
        if partner not in sources:
            sources[partner] = add_source(db, f"http://{len(sources)}.partners.invalid/feed/", partner, "feed")
        url = f"http://partners.invalid/{n}.html"
        text = f"{title}. " * 4
        _, item_id = save_item(
            db,
            {
                "source_id": sources[partner],
                "url": url,
                "canonical_url": url,
                "title": title,
                "text": text,
                "summary": text[:200],
                "language": language,
                "published_at": iso(now - (now - start) * (n + 1) / (len(REPORTS) + 2)),
                "content_hash": content_hash(title, text),
                "tags": ["hunger-strike"] if n % 2 == 0 else ["solidarity-action"],
            },
        )
        create_story(db, get_item(db, item_id))
    for address, language in READERS:
        add_subscriber(db, address, language)


def test_the_weekly_flow_from_inbox_to_the_readers_mailboxes(browser, live_app, db, config, mail_sink):
    from playwright.sync_api import expect

    store_week(db, config)
    editor = make_editor(db, email="redakte@example.org")
    context = browser.new_context(base_url=live_app.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        # log in
        page.goto("/login")
        page.fill("input[name=email]", editor.email)
        page.fill("input[name=password]", editor.password)
        page.click("form.stacked button[type=submit]")
        page.wait_for_url(re.compile(r"/desk/$"))

        # filter the inbox by Turkish
        page.select_option("form.filters select[name=language]", "tr")
        page.click("form.filters button[type=submit]")
        page.wait_for_url(re.compile(r"language=tr"))
        stories = page.locator("form#triage article.story")
        expect(stories).to_have_count(7)
        for meta in page.locator("form#triage article.story ul.items .meta").all_inner_texts():
            assert " · tr · " in meta

        # select five stories (checkboxes and the bulk button)
        checked = []
        for n in range(5):
            story = stories.nth(n)
            checked.append(story.locator("h2 a").inner_text())
            story.locator("input[name=story]").check()
        page.click("form#triage .bulk button[name=action][value=select]")
        expect(page.locator(".flash")).to_contain_text("5")
        week = week_of(utcnow(), config.zone)
        edition = find_edition(db, week)
        assert edition is not None and len(edition["entries"]) == 5

        # translate one headline into Persian, on the story's page
        page.click(f'form#triage article.story h2 a:text-is("{checked[0]}")')
        page.wait_for_url(re.compile(r"/desk/stories/\d+$"))
        persian_form = page.locator("form#translation-fa")
        persian_form.locator("input[name=headline]").fill(PERSIAN)
        persian_form.locator("button[type=submit]:not(.suggest)").click()
        expect(page.locator("form#translation-fa input[name=headline]")).to_have_value(PERSIAN)

        # compose: the composer holds the five, in sections; move one up
        page.click("header.desk nav a:text-is('Composer')")
        page.wait_for_url(re.compile(r"/desk/editions/\d+"))
        expect(page.locator("li.composer-entry")).to_have_count(5)
        shown = sorted(page.locator("li.composer-entry .headline").all_inner_texts())
        assert shown == sorted(checked)
        movable = page.locator("li.composer-entry:not(:first-child) button[name=move][value=up]").first
        moved = movable.locator("xpath=ancestor::li[1]").get_attribute("data-story")
        movable.click()
        page.wait_for_url(re.compile(rf"#story-{moved}$"))
        # drag and drop (desk-composer.js): the last story of a section dropped onto its first
        section = page.locator("section.composer-section").filter(has=page.locator("li.composer-entry >> nth=1"))
        entries = section.first.locator("li.composer-entry")
        first, last = entries.first.get_attribute("data-story"), entries.last.get_attribute("data-story")
        with page.expect_navigation():
            entries.last.drag_to(entries.first)
        order = [e["story_id"] for e in find_edition(db, week)["entries"]]
        assert order.index(int(last)) < order.index(int(first))

        # preview in Persian: the Persian headline inside the frame, right to left
        page.click("section.composer-preview nav.languages a[lang=fa]")
        page.wait_for_url(re.compile(r"preview=fa"))
        frame = page.frame_locator("iframe.email-preview")
        headline = frame.get_by_text(PERSIAN, exact=True)
        expect(headline).to_be_visible()
        assert headline.evaluate("element => getComputedStyle(element).direction") == "rtl"
        assert frame.locator("html").get_attribute("dir") == "rtl"

        # approve for a time, then send now
        soon = (utcnow() + timedelta(days=1)).astimezone(config.zone).strftime("%Y-%m-%dT%H:%M")
        page.fill("#send-at", soon)
        page.click("section.composer-send form.stacked button:text-is('Approve for this time')")
        expect(page.locator("h1 .edition-status")).to_have_class(re.compile("status-approved"))
        page.check("form.send-now input[name=confirm]")
        page.click("form.send-now button[type=submit]")
        page.wait_for_url(re.compile(r"/progress$"))
        # the page follows the send by itself (desk-composer.js polls status.json)
        expect(page.locator('#send-progress [data-status="sent"]')).to_be_visible(timeout=60_000)
        expect(page.locator('#send-progress [data-field="sent"]')).to_have_text(str(len(READERS)))
    finally:
        context.close()

    # the messages arrived in the SMTP server: the Persian readers' with the Persian headline
    messages = {
        m["To"]: email.message_from_bytes(m.as_bytes(), policy=email.policy.default) for m in mail_sink.messages()
    }
    assert sorted(messages) == sorted(address for address, _ in READERS)
    for address, language in READERS:
        message = messages[address]
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert message["Content-Language"] == language
        if language == "fa":
            assert PERSIAN in html and PERSIAN in text
        else:
            assert PERSIAN not in html and checked[0] in html
