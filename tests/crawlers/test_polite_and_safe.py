"""Politeness and safety over real HTTP: conditional GET, Retry-After, 410, permanent redirects,
robots.txt, size and decompression limits, broken feeds, and backoff that never drops a source."""

import gzip
from datetime import timedelta

import pytest

from aggregator.db import open_db, parse_iso
from aggregator.storage.sources import add_source, get_source
from crawlers.run import crawl_in_subprocess
from tests.conftest import make_config


def rss(title: str) -> bytes:
    items = "".join(
        f"<item><title>{title} {n}</title><link>http://127.0.0.1/{title}/{n}</link>"
        f"<guid>{title}-{n}</guid><description>{'Solidarity news. ' * 60}</description>"
        f"<content:encoded><![CDATA[<p>{'A long article about the trial. ' * 40}</p>]]></content:encoded>"
        f"<pubDate>Thu, 19 Nov 2026 1{n}:00:00 GMT</pubDate></item>"
        for n in range(3)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>{title}</title>'
        f"{items}</channel></rss>"
    ).encode()


def conditional(handler):
    if handler.headers.get("If-None-Match") == '"v1"':
        return 304, {"ETag": '"v1"'}, b""
    return (
        200,
        {"Content-Type": "application/rss+xml", "ETag": '"v1"', "Last-Modified": "Thu, 19 Nov 2026 12:00:00 GMT"},
        rss("ok"),
    )


ROUTES = {
    "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"),
    "/ok.xml": (200, {}, conditional),
    "/gone.xml": (410, {}, b"gone"),
    "/busy.xml": (503, {"Retry-After": "7200"}, b"busy"),
    "/slow.xml": (429, {"Retry-After": "5400"}, b"slow down"),
    "/moved.xml": (301, {"Location": "/new-home.xml"}, b""),
    "/new-home.xml": (200, {"Content-Type": "application/rss+xml"}, rss("moved")),
    "/bomb.xml": (
        200,
        {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
        gzip.compress(b"<rss>" + b" " * 3_000_000 + b"</rss>"),
    ),
    "/huge.xml": (200, {"Content-Type": "application/rss+xml"}, b"<rss>" + b" " * 1_500_000 + b"</rss>"),
    "/broken.xml": (200, {"Content-Type": "text/html"}, b"<html><body>Maintenance</body></html>"),
    "/private/feed.xml": (200, {"Content-Type": "application/rss+xml"}, rss("private")),
    "/missing.xml": (404, {}, b"not found"),
}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    from tests.conftest import StaticSite

    root = tmp_path_factory.mktemp("site")
    site = StaticSite(root, ROUTES)
    config = make_config(tmp_path_factory.mktemp("db"), max_response_bytes=1_000_000, max_backoff=6 * 3600)
    db = open_db(config.db)
    ids = {
        path: add_source(db, site.url + path, path, "feed")
        for path in ROUTES
        if path != "/robots.txt" and path != "/new-home.xml"
    }
    first = crawl_in_subprocess(config)
    second = crawl_in_subprocess(config, source_ids=list(ids.values()))
    yield db, ids, first, second, site
    site.close()


def source(outcome, path):
    db, ids, *_ = outcome
    return get_source(db, ids[path])


def test_conditional_get_sends_validators_and_counts_304(outcome):
    db, ids, first, second, site = outcome
    ok = source(outcome, "/ok.xml")
    assert ok["etag"] == '"v1"' and ok["last_modified"] == "Thu, 19 Nov 2026 12:00:00 GMT"
    sent = [headers for path, headers in site.requests if path == "/ok.xml"]
    assert sent[-1].get("If-None-Match") == '"v1"'
    assert sent[-1].get("If-Modified-Since") == "Thu, 19 Nov 2026 12:00:00 GMT"
    assert ok["not_modified_count"] == 1 and second.sources_not_modified >= 1
    assert second.items_new == 0


def test_gone_pauses_the_source(outcome):
    gone = source(outcome, "/gone.xml")
    assert gone["status"] == "paused" and "410 Gone" in gone["last_error"]


@pytest.mark.parametrize("path, seconds", [("/busy.xml", 7200), ("/slow.xml", 5400)])
def test_retry_after_is_honoured(outcome, path, seconds):
    row = source(outcome, path)
    wait = parse_iso(row["next_fetch_at"]) - parse_iso(row["last_fetch_at"])
    assert wait >= timedelta(seconds=seconds)
    assert row["last_error_hint"]


def test_permanent_redirect_updates_the_stored_url(outcome):
    db, ids, first, second, site = outcome
    moved = source(outcome, "/moved.xml")
    assert moved["url"] == site.url + "/new-home.xml"
    assert db.execute("SELECT count(*) FROM items WHERE source_id = ?", [moved["id"]]).fetchone()[0] == 3


@pytest.mark.parametrize(
    "path, words",
    [
        ("/bomb.xml", "too big"),
        ("/huge.xml", "too big"),
        ("/broken.xml", "no feed found"),
        ("/private/feed.xml", "robots.txt forbids"),
        ("/missing.xml", "not found (404)"),
    ],
)
def test_each_failure_is_a_readable_error_on_its_source(outcome, path, words):
    row = source(outcome, path)
    assert words in row["last_error"], row["last_error"]
    assert row["consecutive_failures"] >= 1 and row["status"] == "active"


def test_robots_txt_is_obeyed(outcome):
    db, ids, first, second, site = outcome
    assert not [path for path, _ in site.requests if path.startswith("/private/")]
    assert db.execute("SELECT count(*) FROM items WHERE source_id = ?", [ids["/private/feed.xml"]]).fetchone()[0] == 0


def test_one_bad_source_never_stops_the_others(outcome):
    db, ids, first, second, site = outcome
    assert first.items_new == 6  # ok.xml and the moved feed, three items each
    assert first.sources_failed >= 7


def test_backoff_is_capped_and_the_source_stays_polled(outcome):
    row = source(outcome, "/missing.xml")
    assert row["consecutive_failures"] == 2
    wait = parse_iso(row["next_fetch_at"]) - parse_iso(row["last_fetch_at"])
    assert timedelta(0) < wait <= timedelta(hours=6)


def test_a_host_name_resolving_to_loopback_is_refused_when_connecting(tmp_path, static_site):
    """`localhost` passes the URL check (it is a name, not an address); the resolver refuses 127.0.0.1."""
    site = static_site({"/feed.xml": (200, {"Content-Type": "application/rss+xml"}, rss("local"))})
    port = site.url.rsplit(":", 1)[1]
    config = make_config(tmp_path, allow_private_networks=False, allowed_hosts="")
    db = open_db(config.db)
    source_id = add_source(db, f"http://localhost:{port}/feed.xml", "rebinding", "feed")
    report = crawl_in_subprocess(config)
    row = get_source(db, source_id)
    assert report.items_new == 0 and not site.requests
    assert "localhost resolves to 127.0.0.1, a loopback/private/reserved address; refused" in row["last_error"]


def test_items_without_links_or_guids_are_kept_once_each(tmp_path, static_site):
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Bulletin</title>'
        + "".join(
            f"<item><title>Notice {n}</title><description>Visiting hours changed at prison {n}.</description></item>"
            for n in range(3)
        )
        + "</channel></rss>"
    ).encode()
    site = static_site({"/feed.xml": (200, {"Content-Type": "application/rss+xml"}, body)})
    config = make_config(tmp_path)
    db = open_db(config.db)
    source = add_source(db, site.url + "/feed.xml", "bulletin", "feed")
    first = crawl_in_subprocess(config)
    second = crawl_in_subprocess(config, source_ids=[source])
    urls = [row[0] for row in db.execute("SELECT canonical_url FROM items ORDER BY id")]
    assert first.items_new == 3 and second.items_new == 0
    assert len(set(urls)) == 3 and all("/feed.xml#item-" in url for url in urls)
    assert [path for path, _ in site.requests if path != "/robots.txt"] == ["/feed.xml", "/feed.xml"]
