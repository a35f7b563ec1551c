"""Partner registration in Chromium, end to end, in English, Spanish and Persian, on one app and one SMTP server.

A partner of the demo network (served on loopback; the tests' private-address allowance lets
the site check and the crawler reach it, and nothing but 127.0.0.1) opens the form in its
language on a phone-sized screen, first gets its mistakes told (a wrong field; an address
where there is no feed), then registers its website, sees the preview of what we read,
sends it, confirms by the link in the e-mail read from aiosmtpd, an editor approves with
`wire partners approve` (the real command, whose e-mail carries the page link), the source
is crawled for real (Scrapy in its own process), and the partner page, opened from the
approval e-mail, shows the items and tells a wrong feed address in the partner's language; a new
page link asked for from there comes by e-mail in that language too, and opens the page.

Every string the partner reads is compared with the app's own catalogs (newsletter/locales),
never with English written here; in Spanish and Persian a catalog entry that is missing (the
English source shown instead) fails the test, and so does any English sentence of the
catalog left on a page or in an e-mail. The browser asks for English (`Accept-Language`) all
along: the pages behind the e-mailed links must speak the language of the form regardless.
"""

from __future__ import annotations

import re
import urllib.parse
from email import policy
from email.parser import BytesParser
from functools import cache

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from aggregator.db import open_db
from aggregator.storage.registrations import list_registrations
from crawlers.run import crawl_in_subprocess
from newsletter import i18n
from tests.conftest import LiveServer, make_config
from wire.cli import cli
from wire.web.partners import FIELD_ERRORS, LABELS, PROBLEMS

pytestmark = pytest.mark.browser

#: (language of the form, demo partner that writes in it)
PARTNERS = [("en", "across-walls"), ("es", "red-valdeluna"), ("fa", "hambastegi")]
NOT_HTTP = "ftp://files.example/feed.xml"


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
            # every language's five posts come from 127.0.0.1; the limits have their own tests (test_partner_abuse.py)
            app.config["PARTNER_LIMIT_PER_CLIENT"] = "100 per hour"
            db = open_db(config.db)
            yield config, db, server, sink
            db.conn.close()


# -- the catalogs, as the partner reads them -----------------------------------------------------------------------


def catalog(language: str):
    """`_(msgid, **values)`: the message as the app shows it in `language`; outside English, translated or a failure."""
    translations = i18n.translations(language)

    def _(message: str, **values) -> str:
        text = translations.gettext(message)
        assert language == "en" or text != message, f"{message!r} is not translated into {language}"
        return text % values if values else text

    return _


@cache
def english_sentences(language: str) -> tuple[str, ...]:
    """The catalog's English phrases (two words or more, between placeholders) that `language` translates otherwise."""
    with open(i18n.LOCALES_DIR / "messages.pot", "rb") as file:
        template = read_po(file)
    translations = i18n.translations(language)
    phrases = set()
    for message in template:
        if not isinstance(message.id, str) or not message.id or translations.gettext(message.id) == message.id:
            continue
        for phrase in re.split(r"%\(\w+\)[sd]", message.id):
            phrase = phrase.strip(" .,:;()—-")
            if len(phrase.split()) >= 2:
                phrases.add(phrase)
    return tuple(sorted(phrases))


def english_left(text: str, language: str) -> list[str]:
    """The catalog's English phrases that `text` still shows although `language` has its own words for them."""
    return [] if language == "en" else [phrase for phrase in english_sentences(language) if phrase in text]


def page_speaks(page, language: str) -> None:
    """The page is in `language`: `lang` and `dir` on <html>, the direction applied, no English left, no overflow."""
    rtl = language in ("fa", "ar")
    assert page.evaluate("document.documentElement.lang") == language
    assert page.evaluate("document.documentElement.dir") == ("rtl" if rtl else "ltr")
    assert page.evaluate("getComputedStyle(document.querySelector('main h1')).direction") == ("rtl" if rtl else "ltr")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page overflows"
    shown = page.evaluate("document.title") + "\n" + page.inner_text("body")
    assert english_left(shown, language) == [], f"English left on {page.url}"


def submit(page, selector: str) -> None:
    """Click a form's button and wait for the page it answers with (evaluating mid-navigation finds no document)."""
    with page.expect_navigation():
        page.click(selector)


def assert_one_line(page, selector: str) -> None:
    """Dates and language codes are never broken over two lines on the phone-sized screen."""
    broken = page.eval_on_selector_all(
        selector, "els => els.filter(e => e.getClientRects().length > 1).map(e => e.textContent)"
    )
    assert broken == [], broken


def text(page, selector: str) -> str:
    return " ".join(page.inner_text(selector).split())


# -- the e-mails ---------------------------------------------------------------------------------------------------


def mails_to(sink, address: str) -> list:
    messages = [BytesParser(policy=policy.default).parsebytes(bytes(raw)) for raw in sink.messages()]
    return [message for message in messages if message["To"] == address]


def mail_with(sink, address: str, kind: str):
    """The one mail to `address` that carries a /partners/<kind>/ link (a Maildir keeps no order)."""
    [message] = [m for m in mails_to(sink, address) if f"/partners/{kind}/" in m.get_body(("plain",)).get_content()]
    return message


def link_in(message, kind: str) -> str:
    return re.search(rf"https?://\S+/partners/{kind}/\S+", message.get_body(("plain",)).get_content()).group(0)


def mail_speaks(message, language: str, subject: str, *sentences: str) -> None:
    body = message.get_body(("plain",)).get_content()
    assert message["Content-Language"] == language
    assert message["Subject"] == subject
    for sentence in sentences:
        assert sentence in body, sentence
    assert english_left(subject + "\n" + re.sub(r"https?://\S+", "", body), language) == []


# -- the flow ------------------------------------------------------------------------------------------------------


def fill(page, partner, email: str, feed_url: str = "") -> None:
    page.fill("#organisation", partner.name)
    page.fill("#website", partner.home_url)
    page.fill("#contact_email", email)
    page.fill("#feed_url", feed_url)
    for code in partner.languages:
        page.check(f"input[name=languages][value={code}]")
    page.fill("#countries", "—")


def mistakes_are_told(page, server, partner, email: str, language: str) -> None:
    """A wrong field and an address with no feed behind it: each said in the form's language, nothing typed lost."""
    _ = catalog(language)
    fill(page, partner, "not an address", NOT_HTTP)
    submit(page, "form.partner-form button[type=submit]")
    page_speaks(page, language)
    assert text(page, "main div.error[role=alert] p") == _("Please correct the fields marked below.")
    assert text(page, "#feed_url-error") == _(FIELD_ERRORS["not_http"], field=_(LABELS["feed_url"]))
    assert text(page, "#contact_email-error") == _(FIELD_ERRORS["not_email"], field=_(LABELS["contact_email"]))
    assert page.get_attribute("#feed_url", "aria-invalid") == "true"
    assert (page.input_value("#organisation"), page.input_value("#feed_url")) == (partner.name, NOT_HTTP)
    assert page.is_checked(f"input[name=languages][value={partner.languages[0]}]")

    page.fill("#contact_email", email)
    page.fill("#feed_url", urllib.parse.urljoin(partner.home_url, "/no-feed-here/"))  # the site answers 404
    submit(page, "form.partner-form button[type=submit]")
    page_speaks(page, language)
    assert text(page, "main div.error[role=alert] > p") == _("We could not read anything at this address:")
    assert text(page, "main div.error[role=alert] li") == _(PROBLEMS["http_error"])


def register_and_preview(page, server, partner, email: str, language: str, artifacts) -> None:
    _ = catalog(language)
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(f"{server.url}/partners/register?lang={language}")
    page_speaks(page, language)
    assert text(page, "main h1") == _("Register your organisation")
    assert page.title().startswith(_("Register your organisation"))
    assert text(page, "label[for=feed_url]") == _(LABELS["feed_url"])
    assert text(page, "form.partner-form button[type=submit]") == _("Check my feed")
    assert page.eval_on_selector("#website", "el => getComputedStyle(el).direction") == "ltr"
    assert page.is_hidden("#company_fax") or page.evaluate(
        "document.querySelector('#company_fax').getBoundingClientRect().right < 0 "
        "|| document.querySelector('#company_fax').getBoundingClientRect().left > window.innerWidth"
    )
    mistakes_are_told(page, server, partner, email, language)

    page.fill("#feed_url", "")  # just the website: the feed is found by autodiscovery
    submit(page, "form.partner-form button[type=submit]")
    page_speaks(page, language)
    assert text(page, "main h1") == _("What we can read")
    report = page.inner_text("section.site-report")
    assert "RSS" in report and report.count(partner.feed_url) == 1
    headings = page.eval_on_selector_all("section.site-report h2", "els => els.map(e => e.textContent.trim())")
    assert headings[:2] == [_("Feeds we found"), _("The latest items")]
    titles = page.eval_on_selector_all("ol.preview-items li bdi.title", "els => els.map(e => e.textContent)")
    assert 1 <= len(titles) <= 5
    problems = page.eval_on_selector_all(
        "ul.problems li", "els => els.map(e => [e.dataset.problem, e.textContent.trim()])"
    )
    assert all(shown == _(PROBLEMS[code]) for code, shown in problems), problems
    languages = text(page, "dl.registration dd:nth-of-type(4)")
    assert languages == i18n.language_name(partner.languages[0], language)  # named, not a code
    if language == "fa":  # the partner's own text keeps its direction inside the page's
        direction = page.eval_on_selector("ol.preview-items li bdi.title", "el => getComputedStyle(el).direction")
        assert direction == "rtl"
    assert_one_line(page, ".site-report .note bdi")
    assert text(page, "main form button[type=submit]") == _("Send my registration")
    page.screenshot(path=str(artifacts / f"partner-preview-{language}-375.png"), full_page=True)


def send_and_confirm(page, config, db, sink, partner, email: str, language: str) -> dict:
    _ = catalog(language)
    submit(page, "main form button[type=submit]")  # "send my registration"
    page_speaks(page, language)
    assert text(page, "main h1") == _("Check your e-mail")
    message = mail_with(sink, email, "confirm")
    mail_speaks(
        message,
        language,
        _("Confirm your registration with %(name)s", name=config.site_name),
        _("Feed or site: %(url)s", url=partner.feed_url),
        _("To confirm your address, open this link and press the button:"),
    )
    page.goto(link_in(message, "confirm"))  # no ?lang in the link: the registration's language
    page_speaks(page, language)
    assert text(page, "main h1") == _("Confirm your address")
    row = next(r for r in list_registrations(db) if r["contact_email"] == email)
    assert row["status"] == "unconfirmed"  # opening the link is not confirming
    assert text(page, "main form button[type=submit]") == _("Confirm my address")
    submit(page, "main form button[type=submit]")
    page_speaks(page, language)
    assert text(page, "main p.done") == _(
        "Thank you: your address is confirmed. An editor will look at your registration and we will write to you."
    )
    return next(r for r in list_registrations(db) if r["contact_email"] == email)


def approve(config, server, sink, registration_id: int) -> None:
    """What an editor does: `wire partners approve`, on the app's database, mailing through the app's SMTP server."""
    environment = {"WIRE_DB": str(config.db), "WIRE_SMTP_URL": sink.url, "WIRE_BASE_URL": server.url}
    result = CliRunner().invoke(
        cli, ["partners", "approve", str(registration_id)], env=environment | {"WIRE_CONFIG": None}
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("language", "slug"), PARTNERS)
def test_register_confirm_approve_crawl_and_see_the_items(served, page, demo_network, artifacts, language, slug):
    config, db, server, sink = served
    _ = catalog(language)
    page.set_extra_http_headers({"Accept-Language": "en-US,en;q=0.9"})  # the browser's own language is English
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    partner = demo_network.partner(slug)
    email = f"contact@{slug}.example"

    register_and_preview(page, server, partner, email, language, artifacts)
    row = send_and_confirm(page, config, db, sink, partner, email, language)
    assert (row["status"], row["ui_language"]) == ("pending", language)

    approve(config, server, sink, row["id"])
    approval = mail_with(sink, email, "page")
    mail_speaks(
        approval,
        language,
        _("Your registration with %(name)s is approved", name=config.site_name),
        _("Your partner page shows what we read from you and lets you change it:"),
    )
    partner_id = next(r for r in list_registrations(db) if r["id"] == row["id"])["partner_id"]
    [source] = list(db.query("SELECT * FROM sources WHERE partner_id = ?", [partner_id]))
    assert source["url"] == partner.feed_url
    crawled = crawl_in_subprocess(config, source_ids=[source["id"]])
    assert crawled.sources_fetched == 1 and crawled.items_new > 0

    page.goto(link_in(approval, "page"))
    page_speaks(page, language)
    assert text(page, "main h1").startswith(_("Your partner page"))
    headings = page.eval_on_selector_all("main > h2", "els => els.map(e => e.textContent.trim())")
    assert headings == [_("Your feeds"), _("Add a feed or a language"), _("What we collected from you lately")]
    assert f"{_('Status')}: {_('collected')}" in text(page, f"#source-{source['id']}")
    shown = page.eval_on_selector_all("ol.partner-items li bdi.title", "els => els.map(e => e.textContent)")
    stored = [r["title"] for r in db.query("SELECT title FROM items WHERE source_id = ?", [source["id"]])]
    assert shown and set(shown) <= set(stored)
    assert page.inner_text(f"#source-{source['id']}").count(partner.feed_url) == 1
    if language == "fa":
        direction = page.eval_on_selector("ol.partner-items li bdi.title", "el => getComputedStyle(el).direction")
        assert direction == "rtl"
    last_read = page.eval_on_selector(f"#source-{source['id']} .last-read", "el => getComputedStyle(el).direction")
    assert last_read == "ltr"  # "2026-11-30 01:16 UTC", not reordered by a right-to-left page
    assert_one_line(page, f"#source-{source['id']} .last-read, ol.partner-items .note bdi")
    page.screenshot(path=str(artifacts / f"partner-page-{language}-375.png"), full_page=True)

    # a wrong address for the feed is said in the partner's language, and changes nothing
    page.fill(f"#feed-{source['id']}", NOT_HTTP)
    submit(page, f"#source-{source['id']} button[value=change]")
    page_speaks(page, language)
    error = _("Please give an address starting with http:// or https://, of one of your feeds.")
    assert text(page, "main p.error[role=alert]") == error
    assert next(db.query("SELECT url FROM sources WHERE id = ?", [source["id"]]))["url"] == partner.feed_url

    # the page's way to a new link keeps the partner's language
    with page.expect_navigation():
        page.click("main a[href*='/partners/link']")
    page_speaks(page, language)
    assert text(page, "main h1") == _("Your partner page")
    assert text(page, "main form button[type=submit]") == _("Send me my link")
    page.fill("#email", email)
    submit(page, "main form button[type=submit]")
    page_speaks(page, language)
    assert text(page, "main p[role=status]") == _(
        "If this address belongs to a partner, we have sent it a new link. Older links no longer work."
    )
    subject = _("Your partner page at %(name)s", name=config.site_name)
    [renewed] = [message for message in mails_to(sink, email) if message["Subject"] == subject]
    mail_speaks(renewed, language, subject, _("Older links no longer work. Keep this one to your organisation."))
    page.goto(link_in(renewed, "page"))
    page_speaks(page, language)
    assert text(page, "main h1").startswith(_("Your partner page"))
    assert all(urllib.parse.urlsplit(url).hostname == "127.0.0.1" for url in requested), requested
