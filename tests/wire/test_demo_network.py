"""Tests for the demo partner network: real HTTP against the running servers.

What it tests: every partner site answers like a small real website (home, robots,
feeds, article pages with clutter, 404s), feeds parse with feedparser as their faults
intend (excerpts, windows-1254, malformed), conditional GET and gzip work, and the
ground truth (copies, edits, translations, relative dates) holds at a fixed clock.
"""

from __future__ import annotations

import gzip
import html
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import feedparser
import pytest
from markupsafe import escape as jinja_escape

from wire.demo.content import load_partners
from wire.demo.network import DemoNetwork

NOW = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)
SPECS = {spec.slug: spec for spec in load_partners()}
FEED_SLUGS = [slug for slug, spec in SPECS.items() if spec.feed is not None]
TURKISH_LETTERS = set("ğşıİçöü")


@pytest.fixture(scope="module")
def net():
    with DemoNetwork(now=NOW) as network:
        yield network


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, headers=None, method="GET", follow=True):
    """Return status, headers and raw body; HTTP errors are answers, not exceptions."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def parse_feed(url):
    status, headers, body = fetch(url)
    assert status == 200, url
    return feedparser.parse(body, response_headers={k.lower(): v for k, v in headers.items()})


def without_query(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def articles_of(net, slug):
    return [a for a in net.articles if a.partner == slug]


# -- the partners ----------------------------------------------------------------------


def test_partners_cover_the_required_languages_and_kinds(net):
    partners = net.partners
    assert len(partners) >= 9
    languages = {lang for p in partners for lang in p.languages}
    assert {"en", "de", "fr", "es", "tr", "fa"} <= languages
    formats = {p.feed_format for p in partners}
    assert {"rss2", "atom", "rdf", None} <= formats
    assert any(p.encoding == "windows-1254" for p in partners)
    assert len({urlsplit(p.home_url).port for p in partners}) == len(partners), "one server each"


def test_partner_lookup_and_site_description(net):
    site = net.partner("friends-of-ekinci")
    assert site.kind == "site" and site.feed_url is None and site.feed_format is None
    assert site.news_url.endswith("/news/")
    with pytest.raises(KeyError, match="known"):
        net.partner("no-such-partner")


@pytest.mark.parametrize("slug", SPECS)
def test_home_page_answers(net, slug):
    partner = net.partner(slug)
    status, headers, body = fetch(partner.home_url)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    page = body.decode("utf-8")
    assert f'lang="{partner.languages[0]}"' in page
    assert jinja_escape(partner.name) in page


@pytest.mark.parametrize("slug", SPECS)
def test_robots_allows_all_and_names_the_sitemap(net, slug):
    partner = net.partner(slug)
    status, _, body = fetch(partner.home_url + "robots.txt")
    text = body.decode()
    assert status == 200
    assert "User-agent: *" in text and "Disallow:\n" in text
    if partner.sitemap_url:
        assert f"Sitemap: {partner.sitemap_url}" in text
        assert fetch(partner.sitemap_url)[0] == 200
    else:
        assert "Sitemap:" not in text


def test_unknown_path_is_404_and_missing_slash_redirects(net):
    partner = net.partner("across-walls")
    assert fetch(partner.home_url + "no/such/page/")[0] == 404
    status, headers, _ = fetch(partner.home_url + "feed", follow=False)
    assert status == 301 and headers["Location"] == partner.feed_url


# -- feeds -----------------------------------------------------------------------------


@pytest.mark.parametrize("slug", FEED_SLUGS)
def test_feed_yields_one_entry_per_article(net, slug):
    feed = parse_feed(net.partner(slug).feed_url)
    articles = articles_of(net, slug)
    assert len(feed.entries) == len(articles)
    assert {without_query(e.link) for e in feed.entries} == {a.url for a in articles}
    by_url = {a.url: a for a in articles}
    for entry in feed.entries:
        article = by_url[without_query(entry.link)]
        assert entry.title == article.title
        if entry.get("published_parsed"):
            published = datetime(*entry.published_parsed[:6], tzinfo=UTC)
            assert published == article.published


def test_feed_formats_are_what_they_claim(net):
    versions = {slug: parse_feed(net.partner(slug).feed_url).version for slug in FEED_SLUGS}
    expected = {"rss2": "rss20", "atom": "atom10", "rdf": "rss10"}
    for slug, version in versions.items():
        assert version == expected[net.partner(slug).feed_format], slug


def test_wordpress_feed_has_excerpts_only_with_tracking_links(net):
    partner = net.partner("across-walls")
    feed = parse_feed(partner.feed_url)
    assert not feed.bozo
    for entry in feed.entries:
        assert "content" not in entry
        assert entry.summary.endswith("[…]")
        assert "utm_source=rss" in entry.link
    status, _, body = fetch(partner.home_url)
    discovery = re.search(r'<link rel="alternate" type="application/rss\+xml"[^>]*href="([^"]+)"', body.decode())
    assert discovery and discovery.group(1) == partner.feed_url
    # the full text lives on the article page only
    article = articles_of(net, "across-walls")[0]
    page = fetch(feed.entries[0].link)[2].decode()
    assert jinja_escape(article.body_text.split("\n\n")[-1]) in page


def test_atom_feeds_carry_full_content(net):
    for slug in ("gefangeneninfo-altwerder", "simposio-prigionieri"):
        feed = parse_feed(net.partner(slug).feed_url)
        by_url = {a.url: a for a in articles_of(net, slug)}
        for entry in feed.entries:
            last_paragraph = by_url[entry.link].body_text.split("\n\n")[-1]
            assert html.escape(last_paragraph, quote=False) in entry.content[0].value


def test_windows_1254_feed_decodes_turkish_letters(net):
    partner = net.partner("umut-aileleri")
    status, headers, body = fetch(partner.feed_url)
    assert headers["Content-Type"] == "text/xml"  # vague: no charset
    assert body.startswith(b'<?xml version="1.0" encoding="windows-1254"?>')
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    feed = feedparser.parse(body, response_headers={k.lower(): v for k, v in headers.items()})
    assert feed.encoding == "windows-1254"
    titles = [e.title for e in feed.entries]
    assert "Gazeteci İlknur Şahin 9 ay sonra tahliye edildi" in titles
    text = " ".join(titles + [e.summary for e in feed.entries])
    assert TURKISH_LETTERS <= set(text)
    assert {a.title for a in articles_of(net, "umut-aileleri")} == set(titles)


def test_malformed_feed_is_bozo_but_yields_real_news(net):
    partner = net.partner("red-valdeluna")
    status, headers, body = fetch(partner.feed_url)
    assert b"Presas & presos" in body  # the unescaped ampersand
    feed = feedparser.parse(body, response_headers={k.lower(): v for k, v in headers.items()})
    assert feed.bozo == 1
    assert feed.entries
    by_url = {a.url: a for a in articles_of(net, "red-valdeluna")}
    for entry in feed.entries:
        article = by_url[without_query(entry.link)]
        assert entry.title == article.title
        assert len(entry.summary) > 200
    assert any(not e.get("published_parsed") for e in feed.entries), "one date is unreadable"


def test_octet_stream_feed_still_parses(net):
    partner = net.partner("pistgiri")
    status, headers, _ = fetch(partner.feed_url)
    assert headers["Content-Type"] == "application/octet-stream"
    feed = parse_feed(partner.feed_url)
    assert {e.title for e in feed.entries} == {a.title for a in articles_of(net, "pistgiri")}


def test_persian_partner_is_right_to_left_with_latin_names(net):
    partner = net.partner("hambastegi")
    page = fetch(partner.home_url)[2].decode()
    assert '<html lang="fa" dir="rtl">' in page
    feed = parse_feed(partner.feed_url)
    assert all(e.summary.endswith("…") and "content" not in e for e in feed.entries)
    assert any(re.search(r"\(Nasrin Alavi\)", e.title) for e in feed.entries)
    article = next(a for a in articles_of(net, "hambastegi") if a.story)
    assert "%D8" in article.url  # Persian slug, percent-encoded
    assert fetch(article.url)[0] == 200


def test_rdf_partner_links_its_feed_only_from_the_footer(net):
    partner = net.partner("murs-ouverts")
    page = fetch(partner.home_url)[2].decode()
    assert 'rel="alternate"' not in page
    assert f'<a href="{partner.feed_url}">' in page


def test_site_without_feed_has_paginated_news_and_a_sitemap(net):
    partner = net.partner("friends-of-ekinci")
    home = fetch(partner.home_url)[2].decode()
    assert "application/rss+xml" not in home and "application/atom+xml" not in home
    for path in ("feed/", "rss.xml", "atom.xml", "feed.xml", "index.rdf", "feed"):
        assert fetch(partner.home_url + path)[0] == 404, path
    links = set()
    for page in (1, 2):
        status, _, body = fetch(partner.news_url + (f"?page={page}" if page > 1 else ""))
        assert status == 200
        found = re.findall(r'href="(/news/[^"?]+\.html)"', body.decode())
        links |= {partner.home_url.rstrip("/") + path for path in found}
    assert 'href="/news/?page=2"' in fetch(partner.news_url)[2].decode()
    assert fetch(partner.news_url + "?page=3")[0] == 404
    urls = {a.url for a in articles_of(net, "friends-of-ekinci")}
    assert links == urls
    sitemap = fetch(partner.sitemap_url)[2].decode()
    assert all(f"<loc>{url}</loc>" in sitemap for url in urls)


# -- article pages ---------------------------------------------------------------------

CLUTTER = ("share_on", "reply", "login_to_comment", "related", "cookie_accept", "newsletter_button")


@pytest.mark.parametrize("slug", SPECS)
def test_article_pages_are_complete_and_cluttered(net, slug):
    from wire.demo.content import load_chrome

    labels = load_chrome()[SPECS[slug].language]
    for article in articles_of(net, slug):
        status, _, body = fetch(article.url)
        page = body.decode()
        assert status == 200
        assert f'<link rel="canonical" href="{article.url}">' in page
        assert re.findall(r"<h1[^>]*>(.*?)</h1>", page) == [jinja_escape(article.title)]
        stamps = re.findall(r'<time[^>]* datetime="([^"]+)"', page)
        meta = re.findall(r'<meta property="article:published_time" content="([^"]+)"', page)
        assert [datetime.fromisoformat(s) for s in stamps + meta] == [article.published] * 2
        for paragraph in article.body_text.split("\n\n"):
            assert f"<p>{jinja_escape(paragraph)}</p>" in page
        for key in CLUTTER:
            assert jinja_escape(labels[key]) in page, (article.url, key)


def test_network_site_has_a_subscribe_to_be_informed_box(net):
    page = fetch(net.partner("across-walls").home_url)[2].decode()
    assert "Subscribe to be informed" in page


# -- HTTP behaviour --------------------------------------------------------------------


@pytest.mark.parametrize("slug", FEED_SLUGS)
def test_feeds_answer_conditional_get_with_304(net, slug):
    url = net.partner(slug).feed_url
    status, headers, body = fetch(url)
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert status == 200 and etag and last_modified
    assert fetch(url, {"If-None-Match": etag})[0] == 304
    assert fetch(url, {"If-Modified-Since": last_modified})[0] == 304
    assert fetch(url, {"If-None-Match": '"stale"'})[0] == 200
    older = datetime.strptime(last_modified, "%a, %d %b %Y %H:%M:%S GMT") - timedelta(hours=1)
    assert fetch(url, {"If-Modified-Since": older.strftime("%a, %d %b %Y %H:%M:%S GMT")})[0] == 200


def test_gzip_only_when_asked(net):
    url = net.partner("open-cell").feed_url
    _, plain_headers, plain = fetch(url)
    assert "Content-Encoding" not in plain_headers
    _, headers, body = fetch(url, {"Accept-Encoding": "gzip, deflate"})
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == plain
    assert headers["ETag"] == plain_headers["ETag"]


def test_requests_are_recorded(net):
    partner = net.partner("murs-ouverts")
    net.requests.clear()
    fetch(partner.feed_url, {"User-Agent": "SolidarityWireTest/1.0", "If-None-Match": '"x"'})
    fetch(partner.home_url + "missing", {"User-Agent": "SolidarityWireTest/1.0"})
    seen = net.requests.for_partner("murs-ouverts")
    assert [(r.method, r.path, r.status) for r in seen] == [("GET", "/index.rdf", 200), ("GET", "/missing", 404)]
    assert seen[0].headers["User-Agent"] == "SolidarityWireTest/1.0"
    assert seen[0].headers["If-None-Match"] == '"x"'
    assert seen[0] == ("murs-ouverts", "GET", "/index.rdf", seen[0].headers, 200)


# -- the ground truth ------------------------------------------------------------------


def test_press_release_republished_by_three_partners(net):
    story = net.stories()["hs-ekinci-day-87"]
    by_relation = {}
    for article in story:
        by_relation.setdefault(article.relation, []).append(article)
    original = by_relation["original"][0]
    verbatim = by_relation["verbatim"][0]
    edited = by_relation["edited"][0]
    assert len({original.partner, verbatim.partner, edited.partner}) == 3
    assert verbatim.body_text == original.body_text
    assert verbatim.title != original.title
    assert edited.title != original.title
    original_sentences = set(re.split(r"(?<=[.!?])\s+", original.body_text.replace("\n\n", " ")))
    edited_sentences = set(re.split(r"(?<=[.!?])\s+", edited.body_text.replace("\n\n", " ")))
    assert len(original_sentences - edited_sentences) == 1, "one sentence dropped"
    assert len(edited_sentences - original_sentences) == 1, "one sentence added"
    assert all(a.published > original.published for a in story if a is not original)
    # the verbatim copy credits and links its source
    page = fetch(verbatim.url)[2].decode()
    assert f'<a href="{original.url}">' in page


def test_trial_told_in_turkish_and_german(net):
    story = net.stories()["trial-karahan"]
    assert {a.language for a in story} == {"tr", "de"}
    assert len({a.partner for a in story}) == 2
    for article in story:
        text = article.body_text
        shared = ("Zeynep Karahan", "Akdere", "Grup Çınaraltı", "14.", "11", "15", "22", "6", "7")
        for token in shared:
            assert token in text, (article.language, token)


def test_un_statement_told_in_english_and_persian(net):
    story = net.stories()["un-hrc-nasrin-alavi"]
    assert {a.language for a in story} == {"en", "fa"}
    assert all("Nasrin Alavi" in a.body_text and "Hanna Virtanen" in a.body_text for a in story)


def test_dates_are_relative_to_the_fixed_now(net):
    for slug in SPECS:
        articles = articles_of(net, slug)
        assert 4 <= len(articles) <= 8, slug
        ages = [NOW - a.published for a in articles]
        assert all(timedelta(0) < age <= timedelta(days=40) for age in ages), slug
        recent = [age for age in ages if age <= timedelta(days=6)]
        assert len(recent) > len(ages) / 2, slug
        assert any(age >= timedelta(days=8) for age in ages), slug
    assert any(NOW - a.published >= timedelta(days=10) for a in net.articles)
    assert all(a.published.tzinfo is not None for a in net.articles)


def test_article_bodies_are_realistic_length(net):
    for article in net.articles:
        words = len(article.body_text.split())
        assert 120 <= words <= 400, (article.url, words)
        assert article.body_text.count("\n\n") >= 2, article.url


def test_live_clock_keeps_a_current_week():
    with DemoNetwork() as live:
        now = live.now()
        assert now.minute == 0 and now.second == 0 and now.tzinfo is not None
        assert datetime.now(UTC) - now < timedelta(hours=1)
        newest = max(a.published for a in live.articles)
        assert now - newest < timedelta(days=1)


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware"):
        DemoNetwork(now=datetime(2024, 3, 6, 12, 0))


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 29, 23, 30, tzinfo=UTC),  # Monday 00:30 in Berlin: the week has just begun
        datetime(2026, 11, 30, 5, 0, tzinfo=UTC),
        datetime(2026, 12, 3, 12, 0, tzinfo=UTC),  # Thursday: ages are kept as written
    ],
)
def test_every_run_has_a_current_week(now):
    """Articles meant to be this week's fall in the current week whenever the demo runs, in their order."""
    from newsletter.weeks import week_bounds, week_of
    from wire.demo.content import DEMO_ZONE, load_partners

    start, end = week_bounds(week_of(now, DEMO_ZONE), DEMO_ZONE)
    articles = [article for partner in load_partners() for article in partner.articles]
    recent = sorted((a for a in articles if a.hours_ago < 7 * 24), key=lambda a: a.hours_ago)
    old = [a for a in articles if a.hours_ago >= 7 * 24]
    assert recent and old
    dates = [a.published(now) for a in recent]
    assert all(start <= d <= now for d in dates)
    assert dates == sorted(dates, reverse=True)  # the youngest stays the newest
    assert all(a.published(now) < start for a in old)
    if now - start > timedelta(hours=150):
        assert all(a.published(now) == now - timedelta(hours=a.hours_ago) for a in articles)
