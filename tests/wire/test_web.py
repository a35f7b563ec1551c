"""The public site: health, this week's stories in the reader's language, /about, headers of every page,
and every page in Debian's Chromium at phone and desktop width in en, de, tr, ku, fa and ar."""

import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from aggregator.db import iso, utcnow
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source
from aggregator.storage.stories import save_translation
from aggregator.storage.subscribers import add_subscriber, get_subscriber
from aggregator.text import content_hash
from newsletter.editions import draft_edition
from newsletter.sending import send_edition
from tests.wire.test_frozen_editions import REPORTS, seed_week

PAGE_LANGUAGES = ("en", "de", "tr", "ku", "fa", "ar")
RTL = ("fa", "ar")


def _seed(db):
    source = add_source(db, "http://127.0.0.1:1/feed/", "Kanun Hamrah", "feed")
    now = iso(utcnow())
    for n, (title, language) in enumerate(
        [
            ("Day 60 of the hunger strike in Aldbridge", "en"),
            ("<script>alert('x')</script> Vigil at the consulate", "en"),
            ("اعتصاب غذای زندانیان سیاسی در روز شصتم", "fa"),
        ]
    ):
        save_item(
            db,
            {
                "source_id": source,
                "url": f"http://127.0.0.1:1/{n}",
                "canonical_url": f"http://127.0.0.1:1/{n}",
                "title": title,
                "text": title,
                "summary": f"Summary {n}",
                "language": language,
                "published_at": now,
                "content_hash": content_hash(title, str(n)),
            },
        )
    from aggregator.clustering import cluster_new_items

    cluster_new_items(db)


def _get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8"), error.headers


def test_health(live_app, db):
    with urllib.request.urlopen(f"{live_app.url}/health") as response:
        body = json.loads(response.read())
    assert body["status"] == "ok" and body["schema_version"] >= 1


def test_home_page_one_entry_per_story_with_also_reported_by_and_no_ids(live_app, db, partner_site):
    stories = seed_week(db, partner_site.url)
    status, page, _ = _get(live_app.url + "/")
    assert status == 200
    assert page.count('<li class="story">') == len(set(stories.values())) == 3
    assert REPORTS[0][2] in page and REPORTS[1][2] not in page  # the repost is not an entry of its own
    also = re.search(r'<p class="also">(.*?)</p>', page, re.S).group(1)
    assert "Open Cell" in also and f"{partner_site.url}/article1.html" in also
    assert not re.search(r"story \d|data-\w*-id|item \d", page), "no internal ids on public pages"


def test_home_page_language_from_the_query_then_accept_language(live_app, db, partner_site):
    stories = seed_week(db, partner_site.url)
    save_translation(db, stories[REPORTS[0][2]], "tr", "Aldbridge'de açlık grevinin 60. günü")
    for query, header, lang, direction, title in [
        ("", {}, "en", "ltr", "This week"),
        ("", {"Accept-Language": "tr-TR,tr;q=0.9,en;q=0.5"}, "tr", "ltr", "Bu hafta"),
        ("?lang=fa", {"Accept-Language": "de"}, "fa", "rtl", "این هفته"),
        ("?lang=xx", {"Accept-Language": "ar"}, "ar", "rtl", "هذا الأسبوع"),
    ]:
        status, page, headers = _get(live_app.url + "/" + query, header)
        assert status == 200
        assert f'<html lang="{lang}" dir="{direction}">' in page
        assert f"<title>{title} · Solidarity Wire</title>" in page
    _, turkish, _ = _get(live_app.url + "/?lang=tr")
    assert "Aldbridge&#39;de açlık grevinin 60. günü" in turkish  # the editor's headline in the reader's language
    _, only_persian, _ = _get(live_app.url + "/?lang=en&only=fa")
    assert only_persian.count('<li class="story">') == 1 and REPORTS[2][2] in only_persian


@pytest.mark.parametrize("language", PAGE_LANGUAGES)
def test_about_page_is_localised_and_names_the_crawler(live_app, config, language):
    status, page, _ = _get(f"{live_app.url}/about?lang={language}")
    assert status == 200 and f'lang="{language}"' in page
    assert f"SolidarityWire/0.1 (+{config.contact_url})" in page
    assert "User-agent: SolidarityWire" in page
    if language != "en":
        assert "Who we are" not in page, "the page reads in the reader's language"


def test_the_crawler_names_the_about_page(config):
    from crawlers.settings import settings_for

    assert config.contact_url.endswith("/about")
    assert config.contact_url in settings_for(config)["USER_AGENT"]


def test_headers_of_every_page(live_app, config, db, partner_site, mail_sink):
    """Every page: a CSP with frame-ancestors 'none'; pages that carry a reader's token: no-store."""
    seed_week(db, partner_site.url)
    token = get_subscriber(db, add_subscriber(db, "reader@example.org", "de"))["token"]
    week = _sent_week(db, config, mail_sink)
    pages = [
        "/",
        "/about",
        "/editions/",
        f"/editions/{week}/de",
        "/editions/de.atom",
        "/subscription/",
        "/unsubscribe/",
        f"/subscription/{token}",
        f"/unsubscribe/{token}",
        "/health",
    ]
    for path in pages:
        status, _, headers = _get(live_app.url + path)
        assert status == 200, path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert (headers.get("Cache-Control") == "no-store") == (token in path), path


def _sent_week(db, config, mail_sink) -> str:
    """Draft this week's edition and send it (into aiosmtpd); return its ISO week."""
    from dataclasses import replace

    config = replace(config, smtp_url=mail_sink.url)
    edition_id = draft_edition(db, config)
    send_edition(db, config, edition_id)
    return db.execute("SELECT week FROM editions WHERE id = ?", [edition_id]).fetchone()[0]


@pytest.fixture
def partner_site(static_site):
    site = static_site()
    for n, (partner, language, title, _text) in enumerate(REPORTS):
        (site.root / f"article{n}.html").write_text(
            f'<!doctype html><html lang="{language}"><title>{title}</title><h1>{title}</h1><p>{partner}</p></html>',
            encoding="utf-8",
        )
    return site


@pytest.mark.browser
def test_this_weeks_stories_page_in_chromium(live_app, db, page, artifacts):
    _seed(db)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_app.url + "/?lang=en")
    assert page.title() == "This week · Solidarity Wire"
    titles = page.locator("li.story h2").all_inner_texts()
    assert len(titles) == 3
    assert "<script>alert('x')</script> Vigil at the consulate" in titles  # shown as text, never run
    persian = page.locator("li.story h2[lang=fa]")
    assert persian.get_attribute("dir") == "rtl"
    assert persian.evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no horizontal overflow
    assert all(url.startswith(live_app.url) for url in requested), requested  # nothing from another host
    page.screenshot(path=str(artifacts / "this-week-375.png"), full_page=True)


#: Elements that hold text; in fa and ar each is right to left unless it is a marked foreign run.
TEXT_DIRECTIONS = """() => {
  const out = [];
  for (const el of document.body.querySelectorAll('h1,h2,p,li,a,label,button,th,td,option,small,code,pre,bdi')) {
    if (!el.textContent.trim()) continue;
    const foreign = el.closest('[dir="ltr"],[dir="auto"],bdi,code,pre,[lang]:not([lang=""]):not(html)');
    const own = foreign && foreign.getAttribute('lang') === document.documentElement.lang;
    out.push({tag: el.tagName, text: el.textContent.trim().slice(0, 40), dir: getComputedStyle(el).direction,
              foreign: !!foreign && !own});
  }
  return out;
}"""


@pytest.fixture
def served(tmp_path):
    """The web app on a port known before anything is rendered, so that base_url links point at it."""
    from aggregator.db import open_db
    from tests.conftest import LiveServer, make_config
    from wire.web import create_app

    with LiveServer() as server:
        config = make_config(tmp_path, base_url=server.url, contact_url=f"{server.url}/about")
        database = open_db(config.db)
        server.app = create_app(config)
        yield config, database, server
    database.conn.close()


@pytest.mark.browser
@pytest.mark.parametrize("language", PAGE_LANGUAGES)
def test_every_page_in_chromium(served, page, artifacts, partner_site, mail_sink, language):
    """Every page at 375 and 800 px: lang and dir on <html>, a localised title, no overflow, right to left
    in fa and ar, nothing from another host, and every link on it answers."""
    config, db, live_app = served
    seed_week(db, partner_site.url)
    token = get_subscriber(db, add_subscriber(db, f"reader.{language}@example.org", language))["token"]
    week = _sent_week(db, config, mail_sink)
    pages = {
        "home": "/",
        "about": "/about",
        "archive": "/editions/",
        "edition": f"/editions/{week}/{language}",
        "preferences-help": "/subscription/",
        "unsubscribe-help": "/unsubscribe/",
        "preferences": f"/subscription/{token}",
        "unsubscribe": f"/unsubscribe/{token}",
    }
    requested, links = [], set()
    page.on("request", lambda request: requested.append(request.url))
    english_titles = {}
    for name, path in pages.items():
        url = live_app.url + path + ("" if name == "edition" else f"?lang={language}")
        for width in (375, 800):
            page.set_viewport_size({"width": width, "height": 900})
            assert page.goto(url).status == 200, url
            assert page.evaluate("document.documentElement.lang") == language, (name, url)
            assert page.evaluate("document.documentElement.dir") == ("rtl" if language in RTL else "ltr"), name
            assert page.title().strip(), name
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
                f"{name} overflows at {width}"
            )
            if name != "edition" and language in RTL:
                wrong = [e for e in page.evaluate(TEXT_DIRECTIONS) if e["dir"] != "rtl" and not e["foreign"]]
                assert not wrong, (name, wrong)
            page.screenshot(path=str(artifacts / f"page-{name}-{language}-{width}.png"), full_page=True)
        links |= set(page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"))
        if name != "edition":
            english_titles[name] = page.title()
    if language != "en":
        page.goto(live_app.url + "/?lang=en")
        assert page.title() not in english_titles.values(), "page titles come from the catalogs"
    assert all(urllib.parse.urlsplit(url).hostname == "127.0.0.1" for url in requested), requested
    for link in sorted(links):
        assert urllib.parse.urlsplit(link).hostname == "127.0.0.1", link
        status, _, _ = _get(link)
        assert status == 200, link
