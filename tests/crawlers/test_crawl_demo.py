"""The crawl end to end over real HTTP on loopback, against the bundled demo partner network."""

import pytest

from aggregator.db import open_db
from aggregator.storage.partners import ensure_partner
from aggregator.storage.sources import add_source, list_sources
from crawlers.run import crawl_in_subprocess
from tests.conftest import make_config

CLUTTER = ("Leave a reply", "Log in to comment", "Share on", "cookie", "Related posts")


def register(db, network):
    ids = {}
    for partner in network.partners:
        partner_id = ensure_partner(db, partner.name, website=partner.home_url, language=partner.languages[0])
        url = partner.feed_url if partner.kind == "feed" else partner.home_url
        ids[partner.slug] = add_source(
            db, url, partner.name, partner.kind, partner_id=partner_id, language=partner.languages[0]
        )
    return ids


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, demo_network):
    """One crawl of the whole demo network, then a second crawl of every source."""
    config = make_config(tmp_path_factory.mktemp("crawl"))
    db = open_db(config.db)
    ids = register(db, demo_network)
    first = crawl_in_subprocess(config)
    second = crawl_in_subprocess(config, source_ids=list(ids.values()))
    return config, db, ids, first, second


def test_every_partner_is_fetched(crawled, demo_network):
    config, db, ids, first, _ = crawled
    assert first.sources_fetched == len(demo_network.partners)
    assert first.sources_failed == 0
    counts = {row["id"]: row["items_total"] for row in list_sources(db)}
    for slug, source_id in ids.items():
        assert counts[source_id] > 0, f"{slug}: no items"


def test_items_have_titles_dates_languages_and_clean_text(crawled, demo_network):
    _, db, ids, _, _ = crawled
    expected = {a.url.split("?")[0].rstrip("/"): a for a in demo_network.articles}
    rows = list(db.query("SELECT * FROM items"))
    assert len(rows) >= len(demo_network.partners) * 3
    for row in rows:
        assert row["title"] and row["published_at"] and row["language"], row["url"]
        assert not any(word in (row["text"] or "") for word in CLUTTER), row["url"]
        article = expected.get(row["canonical_url"].rstrip("/"))
        if article is not None:
            assert row["title"] == article.title
            assert row["language"] == article.language, (row["url"], row["language_source"])


def test_excerpt_feed_items_get_their_full_text(crawled, demo_network):
    _, db, ids, _, _ = crawled
    excerpt_partners = [p for p in demo_network.partners if p.kind == "feed" and p.feed_format == "rss2"]
    texts = [
        row["text"]
        for p in excerpt_partners
        for row in db.query("SELECT text FROM items WHERE source_id = ?", [ids[p.slug]])
    ]
    assert texts and all(not t.rstrip().endswith(("…", "[…]", "...")) for t in texts)
    assert max(len(t) for t in texts) > 600


def test_second_crawl_adds_nothing_and_uses_conditional_get(crawled, demo_network):
    _, db, _, first, second = crawled
    feeds = sum(1 for p in demo_network.partners if p.kind == "feed")
    assert second.items_new == 0
    assert second.sources_not_modified >= feeds - 1  # a malformed feed may lack validators
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == first.items_new


def test_loopback_is_refused_without_the_allowance(tmp_path, demo_network):
    config = make_config(tmp_path, allow_private_networks=False)
    db = open_db(config.db)
    register(db, demo_network)
    report = crawl_in_subprocess(config)
    assert report.items_new == 0
    assert report.sources_failed == len(demo_network.partners)
    errors = {row["last_error"] for row in db.query("SELECT last_error FROM sources")}
    assert all("loopback/private/reserved address; refused" in e for e in errors), errors


def test_reposts_and_translations_become_one_story_and_nothing_else_merges(crawled, demo_network):
    from aggregator.urls import canonical_url

    _, db, _, _, _ = crawled
    story_of = {row["canonical_url"]: row["story_id"] for row in db.query("SELECT canonical_url, story_id FROM items")}
    label = {}
    for article in demo_network.articles:
        story = story_of.get(canonical_url(article.url))
        assert story is not None, article.url
        label.setdefault(story, set()).add(article.story or article.url)
    merged_wrongly = {story: keys for story, keys in label.items() if len(keys) > 1}
    assert not merged_wrongly
    for key, articles in demo_network.stories().items():
        stories = {story_of[canonical_url(a.url)] for a in articles}
        assert len(stories) == 1, f"{key}: split over {stories}"
