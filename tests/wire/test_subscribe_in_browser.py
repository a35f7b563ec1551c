"""Sign-up and preferences in Chromium: the whole path of a reader, reading the confirmation from aiosmtpd.

subscribe -> confirmation e-mail (in the chosen language) -> confirm button -> preferences page
-> pause, language -> unsubscribe -> resubscribe, in English, Turkish and Persian; and the
subscribe and preferences pages in en, fa and ar at 375 and 800 px: lang and dir on <html>,
right-to-left text where it belongs, no horizontal overflow, nothing from another host.
"""

from __future__ import annotations

import re
import urllib.parse
from email import policy
from email.parser import BytesParser

import pytest

from aggregator.storage.subscribers import add_subscriber, find_by_email, get_subscriber
from tests.conftest import LiveServer, make_config

RTL = {"fa", "ar"}


@pytest.fixture
def served(tmp_path, mail_sink):
    from aggregator.db import open_db
    from wire.web import create_app

    app = create_app(make_config(tmp_path, smtp_url=mail_sink.url))
    with LiveServer(app) as server:
        config = make_config(tmp_path, smtp_url=mail_sink.url, base_url=server.url)
        app.config["WIRE"] = config  # links in e-mails point at this server
        server.outbox = app.extensions["wire_outbox"]  # the form's requests are carried out by this thread
        database = open_db(config.db)
        yield config, database, server
        database.conn.close()


def _confirmation(mail_sink, address):
    for raw in mail_sink.messages():
        message = BytesParser(policy=policy.default).parsebytes(bytes(raw))
        if message["To"] == address:
            return message
    raise AssertionError(f"no mail to {address}")


def _submit(page, selector):
    """Click a form's button or a link and wait for the page it leads to (evaluating mid-navigation finds no
    document: CI once read `document.documentElement` as null right after a link was clicked)."""
    with page.expect_navigation():
        page.click(selector)


def _layout_ok(page, language):
    assert page.evaluate("document.documentElement.lang") == language
    assert page.evaluate("document.documentElement.dir") == ("rtl" if language in RTL else "ltr")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page overflows"
    direction = page.evaluate("getComputedStyle(document.querySelector('main h1')).direction")
    assert direction == ("rtl" if language in RTL else "ltr")


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "tr", "fa"])
def test_subscribe_confirm_preferences_unsubscribe(served, page, mail_sink, artifacts, language):
    config, db, server = served
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    address = f"reader.{language}@example.org"
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{server.url}/subscribe?lang={language}")
    _layout_ok(page, language)
    page.fill("#email", address)
    assert page.eval_on_selector("#language", "el => el.value") == language
    _submit(page, "form.stacked button[type=submit]")
    page.wait_for_selector("main p.done[role=status]")  # "check your inbox", whatever the address
    _layout_ok(page, language)
    assert server.outbox.wait_idle(20)  # the pending row and the mail are made off the request
    assert find_by_email(db, address)["status"] == "pending"

    message = _confirmation(mail_sink, address)
    assert message["Content-Language"] == language
    link = re.search(r"https?://\S+/subscribe/confirm/\S+", message.get_body(("plain",)).get_content()).group(0)
    assert urllib.parse.urlsplit(link).netloc == urllib.parse.urlsplit(server.url).netloc
    page.goto(link)
    _layout_ok(page, language)
    assert find_by_email(db, address)["status"] == "pending"  # opening the link is not consent
    _submit(page, "main form button[type=submit]")
    row = find_by_email(db, address)
    assert row["status"] == "active" and row["consent_source"] == "web" and row["consent_at"]
    page.screenshot(path=str(artifacts / f"subscribe-confirmed-{language}.png"), full_page=True)

    _submit(page, f"a[href='/subscription/{row['token']}']")
    _layout_ok(page, language)
    _submit(page, "button[value=pause]")
    assert get_subscriber(db, row["id"])["paused_at"]
    _submit(page, "button[value=resume]")
    assert get_subscriber(db, row["id"])["paused_at"] is None
    page.select_option("#language", "ar")
    _submit(page, "button[value=language]")
    _layout_ok(page, "ar")  # pages behind the personal link follow the reader's choice
    assert get_subscriber(db, row["id"])["language"] == "ar"

    _submit(page, f"a[href='/unsubscribe/{row['token']}']")
    _submit(page, "main form button[type=submit]")
    assert get_subscriber(db, row["id"])["status"] == "unsubscribed"
    _submit(page, f"a[href='/subscription/{row['token']}']")
    _submit(page, "button[value=resubscribe]")
    assert get_subscriber(db, row["id"])["status"] == "active"
    assert all(urllib.parse.urlsplit(url).hostname == "127.0.0.1" for url in requested), requested


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "fa", "ar"])
@pytest.mark.parametrize("width", [375, 800])
def test_subscriber_pages_layout(served, page, artifacts, language, width):
    config, db, server = served
    row = get_subscriber(db, add_subscriber(db, f"layout.{language}@example.org", language))
    page.set_viewport_size({"width": width, "height": 900})
    pages = {
        "subscribe": f"/subscribe?lang={language}",
        "preferences": f"/subscription/{row['token']}?lang={language}",
        "delete": f"/subscription/{row['token']}/delete?lang={language}",
        "help": f"/subscription/?lang={language}",
    }
    for name, path in pages.items():
        response = page.goto(server.url + path)
        assert response.status == 200, path
        _layout_ok(page, language)
        assert page.title().strip()
        if name != "subscribe" and name != "help":
            assert response.headers["cache-control"] == "no-store"
        # the address field reads left to right even on a right-to-left page
        if page.query_selector("#email"):
            assert page.eval_on_selector("#email", "el => getComputedStyle(el).direction") == "ltr"
        page.screenshot(path=str(artifacts / f"subscriber-{name}-{language}-{width}.png"), full_page=True)
    # the Accept-Language header alone chooses the page language too
    context = page.context.browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
    other = context.new_page()
    other.goto(server.url + "/subscribe")
    assert other.evaluate("document.documentElement.lang") == language
    context.close()
