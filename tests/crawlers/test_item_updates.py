"""What real partners send, crawled twice or more over loopback: the update policy and partners' credit.

The cases come from the web, not from the demo: a WordPress feed that carries excerpts only
and answers 200 to every request (no ETag, no Last-Modified), an article whose partner
edits it after publishing, two partners that list the same article URL, a feed that
lists another partner's article with forged text, a page declaring another partner's
article (or `javascript:`) as its canonical URL, and PHP-Nuke style `?sid=` article URLs.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest

from aggregator.db import open_db
from aggregator.storage.items import list_revisions
from aggregator.storage.sources import add_source
from crawlers.run import crawl_in_subprocess
from tests.conftest import StaticSite, make_config

STRIKE = (
    "Mahir Ekinci has now refused food for 144 days in the high-security prison of Edirne. "
    "His lawyers visited him on Tuesday and found him unable to stand without help. "
    "The prison doctor refused to transfer him to a civilian hospital, and the family "
    "asks for an independent medical examination before it is too late. "
)
EDITED = (
    "Mahir Ekinci was transferred to the civilian hospital of Edirne on Thursday after "
    "150 days of hunger strike, his lawyers said. A court will hear the appeal against his "
    "sentence next month; the family thanks everyone who wrote letters to the ministry. "
)
TRIAL = (
    "The trial of the eleven musicians of Grup Yorum resumed in Istanbul on Monday. Observers "
    "from five countries attended the hearing, which the court adjourned to February. "
)


def article(title: str, body: str, canonical: str | None = None) -> bytes:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    paragraphs = "".join(f"<p>{body} ({n})</p>" for n in range(4))
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title} | Red Aid</title>{link}"
        f'<meta property="article:published_time" content="2026-11-20T10:00:00+00:00"></head>'
        f"<body><header><nav><a href=/>Home</a></nav></header><article><h1>{title}</h1>{paragraphs}"
        f"</article><footer>Leave a reply</footer></body></html>"
    ).encode()


def wordpress_feed(entries: list[tuple[str, str, str]]) -> bytes:
    """An excerpt-only WordPress feed: title, link, a 55-word excerpt ending in [&#8230;], no full content."""
    items = "".join(
        f"<item><title>{title}</title><link>{escape(link)}</link>"
        f'<guid isPermaLink="false">{escape(link)}#p</guid>'
        f"<pubDate>Fri, 20 Nov 2026 10:00:00 +0000</pubDate>"
        f"<description><![CDATA[{excerpt} [&#8230;]]]></description></item>"
        for title, link, excerpt in entries
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Partner</title>'
        f"<link>http://127.0.0.1/</link>{items}</channel></rss>"
    ).encode()


class Partner:
    """A partner site whose pages and feed the test can change between crawls; answers 200 every time."""

    def __init__(self, tmp_path, name: str):
        root = tmp_path / name
        root.mkdir()
        self.site = StaticSite(root)
        self.routes = self.site.routes
        self.url = self.site.url

    def page(self, path: str, body: bytes) -> str:
        self.routes[path] = (200, {"Content-Type": "text/html; charset=utf-8"}, body)
        return self.url + path

    def feed(self, body: bytes) -> str:
        self.routes["/feed/"] = (200, {"Content-Type": "application/rss+xml; charset=UTF-8"}, body)
        return self.url + "/feed/"

    def fetched(self, path: str) -> int:
        return sum(1 for requested, _ in self.site.requests if requested == path)


@pytest.fixture
def world(tmp_path):
    config = make_config(tmp_path)
    partners = []

    def partner(name):
        partners.append(Partner(tmp_path, name))
        return partners[-1]

    yield config, open_db(config.db), partner
    for p in partners:
        p.site.close()


def items_of(db, source_id):
    return list(db.query("SELECT * FROM items WHERE source_id = ? ORDER BY id", [source_id]))


def test_excerpt_feed_answering_200_keeps_the_full_text_and_saves_nothing_again(world):
    config, db, partner = world
    red = partner("red")
    link = red.page("/2026/11/20/day-144/", article("Day 144 of the hunger strike", STRIKE))
    source = add_source(
        db, red.feed(wordpress_feed([("Day 144 of the hunger strike", link, STRIKE[:300])])), "Red Aid", "feed"
    )
    crawl_in_subprocess(config, source_ids=[source])
    [first] = items_of(db, source)
    assert len(first["text"]) > 1000, "the page's full text is stored, not the excerpt"
    crawl_in_subprocess(config, source_ids=[source])
    [second] = items_of(db, source)
    assert second["text"] == first["text"]
    assert second["updated_at"] == first["updated_at"], "an unchanged entry is not saved again"
    assert list_revisions(db, first["id"]) == []
    assert red.fetched("/2026/11/20/day-144/") == 1, "an unchanged entry's page is not fetched again"


def test_a_real_edit_is_a_revision_and_the_item_is_indexed_and_clustered_again(world):
    config, db, partner = world
    red, other = partner("red"), partner("other")
    link = red.page("/day-144/", article("Day 144 of the hunger strike", STRIKE))
    source = add_source(
        db, red.feed(wordpress_feed([("Day 144 of the hunger strike", link, STRIKE[:300])])), "Red Aid", "feed"
    )
    # another partner already reports the story the edit will turn into
    other_link = other.page("/transfer/", article("Hunger striker moved to hospital", EDITED))
    other_source = add_source(
        db,
        other.feed(wordpress_feed([("Hunger striker moved to hospital", other_link, EDITED[:300])])),
        "Other",
        "feed",
    )
    crawl_in_subprocess(config)
    [before] = items_of(db, source)
    [theirs] = items_of(db, other_source)
    assert before["story_id"] != theirs["story_id"]
    people_before = {
        row["name"]
        for row in db.query(
            "SELECT people.name FROM people JOIN people_mentions m ON m.person_id = people.id WHERE m.item_id = ?",
            [before["id"]],
        )
    }
    red.page("/day-144/", article("Hunger striker moved to hospital", EDITED))
    red.feed(wordpress_feed([("Hunger striker moved to hospital", link, EDITED[:300])]))
    crawl_in_subprocess(config, source_ids=[source])
    [after] = items_of(db, source)
    assert after["title"] == "Hunger striker moved to hospital"
    assert "civilian hospital" in after["text"] and len(after["text"]) > 1000
    [revision] = list_revisions(db, after["id"])
    assert revision["title"] == "Day 144 of the hunger strike" and "144 days" in revision["text"]
    assert after["story_id"] == theirs["story_id"], "the edited item moves to the story it now tells"
    tags = db.execute("SELECT count(*) FROM tag_evidence WHERE item_id = ?", [after["id"]]).fetchone()[0]
    assert tags >= 1
    assert people_before is not None  # mentions are recomputed from the new text, none left from the old
    stale = db.execute(
        "SELECT count(*) FROM people_mentions m JOIN people p ON p.id = m.person_id "
        "WHERE m.item_id = ? AND p.name NOT IN (SELECT name FROM people WHERE ? LIKE '%' || name || '%')",
        [after["id"], after["title"] + "\n" + after["text"]],
    ).fetchone()[0]
    assert stale == 0


def test_an_excerpt_never_replaces_a_longer_text(world):
    """Even when the excerpt itself changed (a typo fixed) and the page cannot be fetched any more."""
    config, db, partner = world
    red = partner("red")
    link = red.page("/day-144/", article("Day 144 of the hunger strike", STRIKE))
    feed_url = red.feed(wordpress_feed([("Day 144 of the hunger strike", link, STRIKE[:300])]))
    source = add_source(db, feed_url, "Red Aid", "feed")
    crawl_in_subprocess(config, source_ids=[source])
    [first] = items_of(db, source)
    red.routes["/day-144/"] = (503, {}, b"busy")
    red.feed(wordpress_feed([("Day 144 of the hunger strike", link, STRIKE[:280].replace("Edirne", "Edirne,"))]))
    crawl_in_subprocess(config, source_ids=[source])
    [second] = items_of(db, source)
    assert second["text"] == first["text"]


def test_two_partners_with_one_url_are_two_items_in_one_story(world):
    config, db, partner = world
    red, network = partner("red"), partner("network")
    link = red.page("/day-144/", article("Day 144 of the hunger strike", STRIKE))
    a = add_source(
        db, red.feed(wordpress_feed([("Day 144 of the hunger strike", link, STRIKE[:300])])), "Red Aid", "feed"
    )
    b = add_source(db, network.feed(wordpress_feed([("Red Aid: day 144", link, STRIKE[:300])])), "Network", "feed")
    crawl_in_subprocess(config)
    crawl_in_subprocess(config)
    [ours], [theirs] = items_of(db, a), items_of(db, b)
    assert ours["id"] != theirs["id"]
    assert ours["title"] == "Day 144 of the hunger strike" and theirs["title"] == "Red Aid: day 144"
    assert ours["story_id"] == theirs["story_id"], "one story, reported by both partners"
    assert list_revisions(db, ours["id"]) == [] and list_revisions(db, theirs["id"]) == []


def test_no_partner_can_write_over_another(world):
    """A hostile feed lists the victim's URL with forged text; a hostile page declares the victim's
    article as its canonical URL; another declares `javascript:`. The victim's item never changes."""
    config, db, partner = world
    red, hostile = partner("red"), partner("hostile")
    link = red.page("/day-144/", article("Day 144 of the hunger strike", STRIKE))
    victim = add_source(
        db, red.feed(wordpress_feed([("Day 144 of the hunger strike", link, STRIKE[:300])])), "Red Aid", "feed"
    )
    crawl_in_subprocess(config, source_ids=[victim])
    [before] = items_of(db, victim)
    forged = hostile.page(
        "/forged/", article("Hunger strike ended", "The strike is over, all is well. " * 30, canonical=link)
    )
    script = hostile.page(
        "/script/", article("A page with a script canonical", TRIAL * 6, canonical="javascript:alert(1)")
    )
    attacker = add_source(
        db,
        hostile.feed(
            (
                "<rss version='2.0'><channel><title>H</title>"
                f"<item><title>Hunger strike ended</title><link>{link}</link>"
                f"<description>The strike is over, all is well. The family thanks the prison.</description>"
                "<content:encoded xmlns:content='http://purl.org/rss/1.0/modules/content/'><![CDATA["
                + "<p>The strike is over, all is well.</p>"
                * 40
                + "]]></content:encoded></item>"
                f"<item><title>Hunger strike ended</title><link>{forged}</link><description>short</description></item>"
                f"<item><title>Script</title><link>{script}</link><description>short</description></item>"
                "</channel></rss>"
            ).encode()
        ),
        "Hostile",
        "feed",
    )
    for _ in range(2):
        crawl_in_subprocess(config, source_ids=[attacker])
    [after] = items_of(db, victim)
    assert (after["title"], after["text"], after["canonical_url"], after["updated_at"]) == (
        before["title"],
        before["text"],
        before["canonical_url"],
        before["updated_at"],
    )
    assert list_revisions(db, before["id"]) == []
    theirs = items_of(db, attacker)
    assert len(theirs) == 3, "the attacker's entries are the attacker's own items"
    assert all(not row["canonical_url"].startswith("javascript") for row in theirs)
    forged_row = next(row for row in theirs if row["url"] == forged)
    assert forged_row["canonical_url"] != link, "a page cannot claim another site's article as its canonical"


def test_sid_article_urls_are_distinct_articles(world):
    config, db, partner = world
    nuke = partner("nuke")
    links = [
        nuke.page(f"/modules.php?name=News&file=article&sid={n}", article(title, body))
        for n, (title, body) in ((12, ("Day 144 of the hunger strike", STRIKE)), (13, ("The trial resumed", TRIAL * 6)))
    ]
    source = add_source(
        db,
        nuke.feed(wordpress_feed([("Day 144", links[0], STRIKE[:300]), ("The trial resumed", links[1], TRIAL)])),
        "Nuke",
        "feed",
    )
    crawl_in_subprocess(config, source_ids=[source])
    rows = items_of(db, source)
    assert len(rows) == 2
    assert {row["canonical_url"].rsplit("sid=", 1)[1] for row in rows} == {"12", "13"}


def test_an_item_sqlite_refuses_is_dropped_alone_and_counted(world):
    """Writes wait in the crawl's queue and run later (`crawlers/batch.py`): an item that fails to
    be stored there must fail alone. The failure is SQLite's own, raised by a trigger of the test's."""
    config, db, partner = world
    red = partner("red")
    entries = []
    for n, title in enumerate(["Day 144 of the hunger strike", "Refused by the database", "The trial resumed"]):
        entries.append((title, red.page(f"/2026/11/2{n}/p/", article(title, STRIKE if n != 2 else TRIAL)), STRIKE))
    body = wordpress_feed(entries)
    red.routes["/feed/"] = (200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, body)
    source = add_source(db, red.url + "/feed/", "Red Aid", "feed")
    db.execute(
        "CREATE TRIGGER refuse_one BEFORE INSERT ON items WHEN new.title = 'Refused by the database' "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    )
    report = crawl_in_subprocess(config, source_ids=[source])
    assert sorted(item["title"] for item in items_of(db, source)) == sorted([entries[0][0], entries[2][0]])
    assert report.items_new == 2 and report.items_dropped == 1
    row = db.execute("SELECT etag, last_error FROM sources WHERE id = ?", [source]).fetchone()
    assert row[0] == '"v1"'  # the source's validators are stored after its items, as always
