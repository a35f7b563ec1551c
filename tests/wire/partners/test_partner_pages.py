"""The partner pages over Flask's test client, with real HTTP sites on loopback and a real SMTP server (aiosmtpd):
register -> preview -> send -> confirm by the e-mailed link -> approval -> the partner's page and its changes."""

from __future__ import annotations

import re

import pytest

from aggregator import registrations as reg
from aggregator.db import utcnow
from aggregator.storage.registrations import get_partner, list_registrations, partner_sources
from tests.wire.partners.partner_helpers import (
    csrf,
    feed_site,
    fields,
    link_path,
    mail_body,
    make_site,
    register,
    send,
)


@pytest.fixture
def site(tmp_path, mail_sink):
    app, config, db = make_site(tmp_path, mail_sink)
    yield app, config, db
    db.conn.close()


def approved_partner(app, db, static_site, lang: str = "en"):
    """A partner registered (in `lang`) and approved through the library, and its page path."""
    feed = feed_site(static_site)
    client = app.test_client()
    send(client, register(client, fields(feed.url), lang=lang), lang=lang)
    row = list_registrations(db)[0]
    reg.confirm_registration(db, row["id"], utcnow())
    row = reg.approve_registration(db, row["id"], "editor", utcnow())
    partner = get_partner(db, row["partner_id"])
    return client, partner, f"/partners/page/{reg.page_code(app.config['SECRET_KEY'], partner)}", feed


def test_register_preview_send_and_confirm(site, mail_sink, static_site):
    app, _config, db = site
    feed = feed_site(static_site)
    client = app.test_client()
    form = client.get("/partners/register?lang=es").get_data(as_text=True)
    assert 'lang="es"' in form and 'name="company_fax"' in form
    preview = register(client, fields(feed.url), lang="es")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "Rassemblement devant le consulat samedi" in html and "RSS" in html
    assert html.index("Rassemblement devant") < html.index("Grève de la faim, jour douze")  # newest first
    assert "2026-11-20" in html
    [row] = list_registrations(db)
    assert (row["status"], row["found_url"], row["ui_language"]) == ("previewed", feed.url + "/feed/", "es")
    assert mail_sink.messages() == []  # nothing is sent before the partner confirms the preview
    assert send(client, preview, lang="es").status_code == 200
    [message] = mail_sink.messages()
    assert message["To"] == "contact@comite.example" and message["Content-Language"] == "es"
    assert "Someone, hopefully you" not in mail_body(message)  # Spanish, not the English source
    path = link_path(message, "confirm")
    assert list_registrations(db)[0]["status"] == "unconfirmed"
    assert client.get(path).status_code == 200 and list_registrations(db)[0]["status"] == "unconfirmed"  # a GET only
    done = client.post(path, data={"csrf_token": csrf(client, path)})
    assert done.status_code == 200 and list_registrations(db)[0]["status"] == "pending"


def test_a_forged_or_expired_confirmation_link_is_refused(site, mail_sink, static_site):
    app, config, db = site
    feed = feed_site(static_site)
    client = app.test_client()
    send(client, register(client, fields(feed.url)))
    path = link_path(mail_sink.messages()[0], "confirm")
    assert client.get(path[:-3] + "abc").status_code == 404
    from datetime import timedelta

    app.config["WIRE_CLOCK"] = lambda: utcnow() + timedelta(seconds=config.confirm_link_max_age + 60)
    assert client.get(path).status_code == 404
    assert list_registrations(db)[0]["status"] == "unconfirmed"


def test_the_partner_page_shows_sources_and_changes_them(site, mail_sink, static_site):
    app, _config, db = site
    client, partner, page, feed = approved_partner(app, db, static_site)
    html = client.get(page).get_data(as_text=True)
    assert "Comité de soutien" in html and feed.url + "/feed/" in html
    assert client.get(page).headers["Cache-Control"] == "no-store"
    [source] = partner_sources(db, partner["id"], utcnow())
    other = feed_site(static_site, path="/actualites.xml")
    changed = client.post(
        page,
        data={
            "action": "change",
            "source_id": source["id"],
            "feed_url": other.url + "/actualites.xml",
            "csrf_token": csrf(client, page),
        },
    )
    assert changed.status_code == 200 and "Rassemblement devant le consulat" in changed.get_data(as_text=True)
    assert partner_sources(db, partner["id"], utcnow())[0]["url"] == other.url + "/actualites.xml"
    persian = feed_site(static_site, path="/fa.xml")
    client.post(
        page,
        data={"action": "add", "feed_url": persian.url + "/fa.xml", "language": "fa", "csrf_token": csrf(client, page)},
    )
    assert [s["language"] for s in partner_sources(db, partner["id"], utcnow())] == ["fr", "fa"]
    withdrawn = client.post(
        page, data={"action": "withdraw", "source_id": source["id"], "csrf_token": csrf(client, page)}
    )
    assert "Nothing was deleted" in withdrawn.get_data(as_text=True)
    rows = partner_sources(db, partner["id"], utcnow())
    assert [(s["status"], bool(s["withdrawn_at"])) for s in rows] == [("paused", True), ("active", False)]


def test_a_partner_cannot_touch_another_partners_source(site, mail_sink, static_site):
    app, _config, db = site
    client, partner, page, _feed = approved_partner(app, db, static_site)
    from aggregator.storage.sources import add_source, get_source

    stranger = add_source(db, "http://127.0.0.1:9/stranger.xml", "Stranger", "feed")
    answer = client.post(page, data={"action": "withdraw", "source_id": stranger, "csrf_token": csrf(client, page)})
    assert answer.status_code == 200 and get_source(db, stranger)["status"] == "active"


def test_a_new_link_by_email_revokes_the_old_one(site, mail_sink, static_site):
    app, _config, db = site
    client, partner, page, _feed = approved_partner(app, db, static_site)
    before = len(mail_sink.messages())
    asked = client.post(
        "/partners/link", data={"email": "Contact@Comite.example", "csrf_token": csrf(client, "/partners/link")}
    )
    assert asked.status_code == 200
    unknown = client.post(
        "/partners/link", data={"email": "nobody@example.org", "csrf_token": csrf(client, "/partners/link")}
    )
    assert unknown.get_data(as_text=True) == asked.get_data(as_text=True)  # tells nobody who is a partner
    messages = mail_sink.messages()  # a Maildir keeps no order: the new link is the one mail that carries one
    [new_link] = [m for m in messages if "/partners/page/" in mail_body(m)]
    assert len(messages) == before + 1 and new_link["Content-Language"] == "en"
    assert client.get(page).status_code == 404  # the old link stopped working
    assert client.get(link_path(new_link, "page")).status_code == 200


def test_every_partner_page_has_a_title_and_direction(site, static_site):
    app, _config, _db = site
    client = app.test_client()
    for path in ("/partners/register", "/partners/link"):
        for lang, direction in (("en", "ltr"), ("fa", "rtl"), ("ar", "rtl"), ("eu", "ltr")):
            html = client.get(f"{path}?lang={lang}").get_data(as_text=True)
            assert f'<html lang="{lang}" dir="{direction}">' in html
            assert "<title> ·" not in html
            if lang != "en":  # translated, not the English source
                assert "Register your organisation" not in html and "Your partner page" not in html


@pytest.mark.parametrize("feed_url", ["", "ftp://files.example/feed", "http://x.example/" + "a" * 1000])
@pytest.mark.parametrize("action", ["change", "add"])
def test_a_bad_feed_address_on_the_partner_page_is_said_and_changes_nothing(site, static_site, action, feed_url):
    app, _config, db = site
    client, partner, page, feed = approved_partner(app, db, static_site)
    [source] = partner_sources(db, partner["id"], utcnow())
    data = {"action": action, "source_id": source["id"], "feed_url": feed_url, "csrf_token": csrf(client, page)}
    answer = client.post(page, data=data)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert (
        '<p class="error" role="alert">'
        "Please give an address starting with http:// or https://, of one of your feeds.</p>" in html
    )
    assert [s["url"] for s in partner_sources(db, partner["id"], utcnow())] == [feed.url + "/feed/"]


def test_the_preview_names_the_languages_in_the_page_language(site, static_site):
    """Language names, not codes, joined by the catalog's list separator (Persian has its own comma)."""
    from newsletter.i18n import language_name, translations

    app, _config, _db = site
    client = app.test_client()
    html = register(client, fields(feed_site(static_site).url, languages=["fr", "tr"]), lang="fa").get_data(
        as_text=True
    )
    comma = translations("fa").pgettext("list separator", ", ")
    assert comma == "، " and f"<dd>{language_name('fr', 'fa')}{comma}{language_name('tr', 'fa')}</dd>" in html


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (None, "unreachable"),
        (200, "problems"),
        (304, "problems"),
        (401, "refused"),
        (403, "refused"),
        (400, "refused"),
        (404, "not_found"),
        (410, "not_found"),
        (429, "temporary"),
        (500, "temporary"),
        (503, "temporary"),
    ],
)
def test_why_a_fetch_failed_is_sorted_by_what_the_partner_can_do(status, kind):
    from wire.web.partners import FETCH_ERRORS, fetch_error_kind

    assert fetch_error_kind(status) == kind and kind in FETCH_ERRORS


def test_a_failing_feed_is_explained_to_its_partner_in_their_language(site, mail_sink, static_site):
    """A real crawl of a feed that now answers 404: the page says so in Spanish; the crawler's words follow."""
    from crawlers.run import crawl_in_subprocess
    from newsletter.i18n import translations
    from wire.web.partners import FETCH_ERRORS

    app, config, db = site
    client, partner, path, feed = approved_partner(app, db, static_site, lang="es")
    feed.routes["/feed/"] = (404, {"Content-Type": "text/html"}, b"<p>Not found</p>")  # the partner moved it
    crawl_in_subprocess(config, source_ids=[s["id"] for s in partner_sources(db, partner["id"], utcnow())])
    [source] = partner_sources(db, partner["id"], utcnow())
    assert (source["last_status"], bool(source["last_error"])) == (404, True)

    html = client.get(path).get_data(as_text=True)
    explained = translations("es").gettext(FETCH_ERRORS["not_found"]) % {"status": 404}
    assert explained != FETCH_ERRORS["not_found"] % {"status": 404} and explained in html
    assert '<small class="detail" lang="en" dir="ltr">' in html  # the crawler's English, marked as English
    assert source["last_error_hint"] not in html  # written for editors ("run `wire sources add`")


def test_the_header_links_of_a_page_opened_from_an_emailed_link_keep_its_language(site, static_site):
    """The partner page opened from its link (no ?lang, a browser asking for English) is in the
    partner's language, and so are the pages its header links to."""
    app, _config, db = site
    client, _partner, path, _feed = approved_partner(app, db, static_site, lang="fa")
    html = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in html
    header = html.split("<header", 1)[1].split("</header>", 1)[0]
    links = re.findall(r'<a[^>]* href="([^"]+)"', header)
    assert len(links) >= 5  # the site's name and four pages
    assert all(link.endswith("?lang=fa") for link in links), links
