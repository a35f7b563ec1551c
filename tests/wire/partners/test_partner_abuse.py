"""The registration form against abuse, one test per guard (each fails if its guard goes): rate limits per
client and per address, length limits naming the field, http(s) only, the same feed twice, the honeypot,
script payloads through every field, redirects to private addresses, bounded bytes and requests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aggregator import registrations as reg
from aggregator.db import utcnow
from aggregator.storage.registrations import get_partner, list_registrations
from tests.crawlers.test_site_check import EndlessServer
from tests.wire.partners.partner_helpers import (
    csrf,
    feed_site,
    fields,
    mail_body,
    make_site,
    register,
    send,
)

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
PAYLOAD = f'{SCRIPT}{IMG}<a href="javascript:alert(3)">x</a>'


@pytest.fixture
def site(tmp_path, mail_sink):
    app, config, db = make_site(
        tmp_path, mail_sink, PARTNER_LIMIT_PER_CLIENT="3 per hour", PARTNER_LIMIT_PER_ADDRESS="2 per day"
    )
    yield app, config, db
    db.conn.close()


def as_client(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def assert_inert(html: str) -> None:
    """No markup from a partner or a feed survives as markup: only escaped text."""
    assert "<script" not in html.lower()
    assert "<img src=x" not in html and "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
    assert 'href="javascript:' not in html


def test_rate_limit_per_client(site):
    app, _config, db = site
    client = as_client(app, "192.0.2.1")
    for _n in range(3):  # refused fields: no fetch, but each post counts
        assert register(client, fields("http://127.0.0.1:9", organisation="")).status_code == 400
    assert register(client, fields("http://127.0.0.1:9", organisation="")).status_code == 429
    assert register(as_client(app, "192.0.2.2"), fields("http://127.0.0.1:9", organisation="")).status_code == 400


def test_rate_limit_per_address(site, static_site):
    app, _config, db = site
    for n in range(2):
        feed = feed_site(static_site)
        assert register(as_client(app, f"192.0.2.{n}"), fields(feed.url)).status_code == 200
    feed = feed_site(static_site)
    assert register(as_client(app, "192.0.2.9"), fields(feed.url)).status_code == 429
    assert feed.requests == []  # refused before anything was fetched
    assert len(list_registrations(db)) == 2


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("organisation", "Name of your organisation"),
        ("website", "Website"),
        ("contact_email", "Contact e-mail"),
        ("feed_url", "Feed address"),
        ("countries", "Countries you report on"),
        ("description", "A few words about your organisation"),
    ],
)
def test_length_limit_on_every_field_names_the_field(site, field, label):
    app, _config, db = site
    value = {"website": "http://127.0.0.1/", "feed_url": "http://127.0.0.1/", "contact_email": "a@b.example"}
    long = value.get(field, "") + "a" * (reg.LIMITS[field] + 1)
    if field == "contact_email":
        long = "a" * reg.LIMITS[field] + "@b.example"
    answer = register(app.test_client(), fields("http://127.0.0.1:9", **{field: long}))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert f"{label}" in html and f"at most {reg.LIMITS[field]} characters" in html
    assert list_registrations(db) == []


def test_too_many_languages_are_refused(site):
    app, _config, _db = site
    answer = register(app.test_client(), fields("http://127.0.0.1:9", languages=list(reg.PARTNER_LANGUAGES)))
    assert answer.status_code == 400 and "Languages you publish in: at most 10." in answer.get_data(as_text=True)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://127.0.0.1/feed", "file:///etc/passwd", "gopher://x"])
@pytest.mark.parametrize("field", ["website", "feed_url"])
def test_only_http_and_https(site, static_site, field, url):
    app, _config, db = site
    feed = feed_site(static_site)
    answer = register(app.test_client(), fields(feed.url, **{field: url}))
    assert answer.status_code == 400 and "only addresses starting with http://" in answer.get_data(as_text=True)
    assert feed.requests == [] and list_registrations(db) == []


def test_the_same_feed_twice_is_recognised(site, static_site):
    app, config, db = site
    feed = feed_site(static_site)
    client = app.test_client()
    assert register(client, fields(feed.url)).status_code == 200
    spelled_otherwise = feed.url.upper().replace("HTTP://", "http://") + "//feed?utm_source=x"
    again = register(client, fields(feed.url, feed_url=spelled_otherwise, contact_email="other@example.org"))
    assert again.status_code == 409
    assert "This feed is already registered with us" in again.get_data(as_text=True)
    # found by autodiscovery from the website: the site check lands on the same feed
    (feed.root / "index.html").write_text(
        '<html><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head></html>'
    )
    other = as_client(app, "192.0.2.3")  # another client: this test is not about the per-client limit
    by_site = register(other, fields(feed.url, feed_url="", contact_email="third@example.org"))
    assert by_site.status_code == 409 and len(list_registrations(db)) == 1
    # never confirmed within the link's life, the first registration no longer holds the feed
    app.config["WIRE_CLOCK"] = lambda: utcnow() + timedelta(seconds=config.confirm_link_max_age + 60)
    assert register(other, fields(feed.url, contact_email="owner@example.org")).status_code == 200
    assert len(list_registrations(db)) == 2


def test_honeypot_filled_is_dropped_behind_the_usual_answer(site, mail_sink, static_site):
    app, _config, db = site
    feed = feed_site(static_site)
    answer = register(app.test_client(), fields(feed.url, company_fax="+33 1 23 45 67 89"))
    assert answer.status_code == 200 and "Check your e-mail" in answer.get_data(as_text=True)
    assert list_registrations(db) == [] and feed.requests == [] and mail_sink.messages() == []


def test_redirect_to_a_private_address_is_refused(site, static_site):
    app, _config, db = site
    trap = static_site({"/feed/": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")})
    answer = register(app.test_client(), fields(trap.url))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "We do not fetch this address" in html
    assert list_registrations(db) == []


def test_an_endless_body_is_cut_off(site):
    app, _config, db = site
    server = EndlessServer()
    try:
        answer = register(app.test_client(), fields(server.url))
    finally:
        server.close()
    assert answer.status_code == 400 and "too big for us to read" in answer.get_data(as_text=True)
    from crawlers.site_check import MAX_BYTES, MAX_REQUESTS

    assert server.requests <= MAX_REQUESTS and server.bytes_sent < 4 * MAX_BYTES
    assert list_registrations(db) == []


def test_script_payloads_in_every_field_stay_text(site, mail_sink, static_site):
    app, _config, db = site
    evil_feed = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>&lt;script&gt;x&lt;/script&gt;'
        b"</title><item><title>&lt;img src=x onerror=alert(2)&gt; Hunger strike &lt;script&gt;alert(1)&lt;/script&gt;"
        b"</title><link>javascript:alert(3)</link><pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>"
        b"</channel></rss>"
    )
    path = f"/feed/?q={SCRIPT}"
    feed = static_site({path: (200, {"Content-Type": "application/rss+xml"}, evil_feed)})
    client = app.test_client()
    data = fields(
        feed.url,
        organisation=PAYLOAD,
        website=f"{feed.url}/?x={SCRIPT}",
        feed_url=feed.url + path,
        countries=PAYLOAD,
        description=f"javascript:alert(4) {PAYLOAD}",
    )
    preview = register(client, data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert_inert(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text
    refused = register(client, dict(data, contact_email=f"{SCRIPT}@x"))  # the address field echoes back, escaped
    assert refused.status_code == 400
    assert_inert(refused.get_data(as_text=True))
    send(client, preview)
    [message] = mail_sink.messages()
    assert message.get_content_type() == "text/plain" and PAYLOAD in mail_body(message)
    row = list_registrations(db)[0]
    reg.confirm_registration(db, row["id"], utcnow())
    approved = reg.approve_registration(db, row["id"], "editor", utcnow())
    partner = get_partner(db, approved["partner_id"])
    db.execute(
        "INSERT INTO items (source_id, guid, url, canonical_url, title, fetched_at, updated_at, content_hash, tags, "
        "reprocess, language) SELECT id, 'g', 'javascript:alert(5)', 'javascript:alert(5)', ?, "
        "'2026-11-20T10:00:00+00:00', '2026-11-20T10:00:00+00:00', 'h', '[]', 0, 'en' FROM sources",
        [PAYLOAD],
    )
    page = client.get(f"/partners/page/{reg.page_code(app.config['SECRET_KEY'], partner)}")
    page_html = page.get_data(as_text=True)
    assert page.status_code == 200 and "&lt;script&gt;" in page_html
    assert_inert(page_html)
    assert csrf(client, "/partners/link")
