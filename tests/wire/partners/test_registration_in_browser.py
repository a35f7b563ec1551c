"""Partner registration in Chromium, end to end, on one app and one SMTP server for the module.

A partner of the demo network (served on loopback; the tests' private-address allowance lets
the site check and the crawler reach it, and nothing but 127.0.0.1) registers its website,
sees the preview of what we read, sends it, confirms by the link in the e-mail read from
aiosmtpd, an editor approves (the library call `wire partners approve` makes), the source is
crawled for real (Scrapy in its own process), and the partner page, opened from the approval
e-mail, shows the items. The form runs in English (the whole path), Spanish and Persian
(register, preview, confirm; Persian right to left), on a phone-sized screen.
"""

from __future__ import annotations

import re
import urllib.parse
from email import policy
from email.parser import BytesParser

import pytest

from aggregator import registrations as reg
from aggregator.db import open_db, utcnow
from aggregator.storage.registrations import get_partner, list_registrations
from crawlers.run import crawl_in_subprocess
from newsletter.partner_mail import decision_message, page_url, send_message
from tests.conftest import LiveServer, make_config

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The web app on a free port, with its SMTP server; (config, db, server, sink) for the whole module."""
    from wire.mailsink import MailSink
    from wire.web import create_app

    folder = tmp_path_factory.mktemp("portal")
    with MailSink(folder / "maildir") as sink:
        app = create_app(make_config(folder, smtp_url=sink.url))
        with LiveServer(app) as server:
            config = make_config(folder, smtp_url=sink.url, base_url=server.url)
            app.config["WIRE"] = config  # links in e-mails point at this server
            db = open_db(config.db)
            yield config, db, server, sink, app
            db.conn.close()


def mail_to(sink, address: str):
    for raw in sink.messages():
        message = BytesParser(policy=policy.default).parsebytes(bytes(raw))
        if message["To"] == address:
            return message
    raise AssertionError(f"no mail to {address}")


def link_in(message, kind: str) -> str:
    return re.search(rf"https?://\S+/partners/{kind}/\S+", message.get_body(("plain",)).get_content()).group(0)


def layout_ok(page, language: str) -> None:
    rtl = language in ("fa", "ar")
    assert page.evaluate("document.documentElement.lang") == language
    assert page.evaluate("document.documentElement.dir") == ("rtl" if rtl else "ltr")
    assert page.evaluate("getComputedStyle(document.querySelector('main h1')).direction") == ("rtl" if rtl else "ltr")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page overflows"


def fill_and_check(page, server, partner, language: str, email: str) -> None:
    """Open the form in `language`, fill it for the demo partner, and send it to the site check."""
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(f"{server.url}/partners/register?lang={language}")
    layout_ok(page, language)
    assert page.eval_on_selector("#website", "el => getComputedStyle(el).direction") == "ltr"
    assert page.is_hidden("#company_fax") or page.evaluate(
        "document.querySelector('#company_fax').getBoundingClientRect().right < 0 "
        "|| document.querySelector('#company_fax').getBoundingClientRect().left > window.innerWidth"
    )
    page.fill("#organisation", partner.name)
    page.fill("#website", partner.home_url)
    page.fill("#contact_email", email)
    for code in partner.languages:
        page.check(f"input[name=languages][value={code}]")
    page.fill("#countries", "—")
    page.click("form.partner-form button[type=submit]")
    page.wait_for_selector("section.site-report")
    layout_ok(page, language)


def send_and_confirm(page, db, sink, email: str, language: str) -> dict:
    page.click("main form button[type=submit]")  # "send my registration"
    page.wait_for_selector("main p[role=status]")
    message = mail_to(sink, email)
    assert message["Content-Language"] == language
    page.goto(link_in(message, "confirm"))
    layout_ok(page, language)
    row = next(r for r in list_registrations(db) if r["contact_email"] == email)
    assert row["status"] == "unconfirmed"  # opening the link is not confirming
    page.click("main form button[type=submit]")
    page.wait_for_selector("main p.done")
    return next(r for r in list_registrations(db) if r["contact_email"] == email)


def test_register_confirm_approve_crawl_and_see_the_items(served, page, demo_network, artifacts):
    config, db, server, sink, app = served
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    partner = demo_network.partner("across-walls")
    email = "contact@across-walls.example"
    fill_and_check(page, server, partner, "en", email)
    report = page.inner_text("section.site-report")
    assert "RSS" in report and partner.feed_url in report  # found from the website by autodiscovery
    titles = page.eval_on_selector_all("ol.preview-items li bdi.title", "els => els.map(e => e.textContent)")
    assert 1 <= len(titles) <= 5
    page.screenshot(path=str(artifacts / "partner-preview-en-375.png"), full_page=True)
    row = send_and_confirm(page, db, sink, email, "en")
    assert row["status"] == "pending"

    approved = reg.approve_registration(db, row["id"], "editor", utcnow())  # what `wire partners approve` does
    partner_row = get_partner(db, approved["partner_id"])
    send_message(
        config, decision_message(config, approved, page_url(config, app.config["SECRET_KEY"], partner_row), utcnow())
    )
    [source] = [s for s in db.query("SELECT * FROM sources WHERE partner_id = ?", [partner_row["id"]])]
    assert source["url"] == partner.feed_url
    crawled = crawl_in_subprocess(config, source_ids=[source["id"]])
    assert crawled.sources_fetched == 1 and crawled.items_new > 0

    page.goto(link_in(approval_mail(sink, email), "page"))
    layout_ok(page, "en")
    shown = page.eval_on_selector_all("ol.partner-items li bdi.title", "els => els.map(e => e.textContent)")
    stored = [r["title"] for r in db.query("SELECT title FROM items WHERE source_id = ?", [source["id"]])]
    assert shown and set(shown) <= set(stored)
    assert page.inner_text(f"#source-{source['id']}").count(partner.feed_url) == 1
    page.screenshot(path=str(artifacts / "partner-page-en-375.png"), full_page=True)
    assert all(urllib.parse.urlsplit(url).hostname == "127.0.0.1" for url in requested), requested


def approval_mail(sink, email):
    for raw in sink.messages():
        message = BytesParser(policy=policy.default).parsebytes(bytes(raw))
        if message["To"] == email and "/partners/page/" in message.get_body(("plain",)).get_content():
            return message
    raise AssertionError(f"no approval mail to {email}")


@pytest.mark.parametrize(("language", "slug"), [("es", "red-valdeluna"), ("fa", "hambastegi")])
def test_the_form_in_spanish_and_persian(served, page, demo_network, artifacts, language, slug):
    config, db, server, sink, _app = served
    partner = demo_network.partner(slug)
    email = f"contacto@{slug}.example"
    fill_and_check(page, server, partner, language, email)
    assert page.inner_text("section.site-report").count(partner.feed_url) == 1
    # the partner's own text keeps its direction inside the page's: Persian titles read right to left
    if language == "fa":
        direction = page.eval_on_selector("ol.preview-items li bdi.title", "el => getComputedStyle(el).direction")
        assert direction == "rtl"
    page.screenshot(path=str(artifacts / f"partner-preview-{language}-375.png"), full_page=True)
    row = send_and_confirm(page, db, sink, email, language)
    assert (row["status"], row["ui_language"]) == ("pending", language)
