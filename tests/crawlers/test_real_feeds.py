"""Every entry of every real feed, as feedparser reads it: RSParser's test feeds crawled over loopback.

Every RSS, Atom, RDF and JSON Feed file of ../shared/corpus/rsparser (news sites, a
classifieds RDF feed, release and blog Atom feeds, podcasts, WordPress feeds) is served on
127.0.0.1, registered as a feed source and crawled once, all in one crawl. The stored items
are compared with feedparser's own reading of the same bytes (served with the same headers):
the number of entries, and for each entry its title, link and date.

- The article links point at real hosts; `allowed_hosts = 127.0.0.1` makes the network guard
  refuse them before any DNS lookup or traffic, so every item keeps the feed's own text.
- feedparser 6.0 does not read JSON Feed; for the .json files the reference is the JSON Feed
  1.1 spec read directly (`url`, `title`, `id`, `date_published` or `date_modified`, dates
  through feedparser's own date parser). Two .json files are no JSON Feed at all
  (ScriptingNews.json is RSS written as JSON, allthis-partial.json is cut off mid-string):
  the reference reads no entries from them, and the source must carry a readable error.
- Link: an entry with an http(s) link is stored with exactly that link as `items.url`; an
  entry without one (a JSON Feed item with only an `id`) is stored under a content address
  below the feed's URL, with its id kept as `guid`, and is matched by that guid.
- Title: compared after whitespace folding. Where the stored title differs, it agrees only
  if one of the door's documented rules (`clean_title`) explains the difference exactly, and
  each such title is counted under its rule: entities a feed escaped twice are decoded (13
  titles: WordPress-made JSON Feeds write "&amp;" and "&#8217;" into plain-text titles, an
  Atom feed "&#8217;" into a text title; feedparser keeps them as written, readers want
  "&" and "’"), invisible characters are dropped (1: a BOM inside a Dutch title), tags are
  dropped from a title that is HTML (1: livemint's `<span class="webrupee">₹</span>`). A
  title that merely mentions tags stays as it is ("Die Rückkehr von <i> und <b>", a JSON
  Feed title, which is plain text). Entries with no title are compared specially and
  counted apart: the stored title must be the start of the entry's own text
  (`summarise(text, 90)`), or, with no text either, the item's address.
- Date: `published_parsed`, else `updated_parsed`, to the second, in UTC.

The figures are printed (`pytest -s`): 100 % on counts, links and dates and on titles (with
the rules above) is asserted, and the door's rules may explain at most 2 % of titles.
"""

from __future__ import annotations

import calendar
import collections
import html
import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import feedparser
import pytest

from aggregator.db import open_db
from aggregator.storage.sources import add_source, get_source
from aggregator.text import clean_title, summarise
from aggregator.urls import CONTENT_FRAGMENT, is_http_url
from crawlers.feeds.parse import parse_feed, unreliable_guids
from crawlers.run import crawl_in_subprocess
from tests.conftest import CORPUS, StaticSite, make_config

RESOURCES = CORPUS / "rsparser" / "Tests" / "RSParserTests" / "Resources"
CONTENT_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".xml": "application/xml",
    ".json": "application/feed+json",
}
NOT_FEEDS = {"ScriptingNews.json": "JSON without a jsonfeed.org version", "allthis-partial.json": "not valid JSON"}


def fold(text: str | None) -> str:
    return " ".join((text or "").split())


def utc_seconds(parsed) -> str | None:
    """A feedparser time tuple as ISO 8601 UTC to the second, as items.published_at stores it."""
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).isoformat()


def reference_entries(body: bytes, headers: dict[str, str]) -> list[dict]:
    """feedparser's reading (the JSON Feed spec's for .json): id, title, link, date of each entry."""
    if headers["content-type"] == "application/feed+json":
        try:
            feed = json.loads(body.decode("utf-8-sig"))
        except ValueError:
            return []
        if "jsonfeed.org/version/" not in str(feed.get("version", "")):
            return []
        return [
            {
                "id": str(item["id"]) if item.get("id") is not None else None,
                "title": item.get("title") or "",
                "link": item.get("url") or (str(item.get("id")) if is_http_url(str(item.get("id"))) else ""),
                "date": utc_seconds(
                    feedparser.datetimes._parse_date(item.get("date_published") or "")
                    or feedparser.datetimes._parse_date(item.get("date_modified") or "")
                ),
            }
            for item in feed.get("items") or []
            if isinstance(item, dict)
        ]
    parsed = feedparser.parse(body, response_headers=headers)
    # an entry without a link is at its id when the id is an http(s) URL (RSS 1.0's rdf:about, Atom ids)
    return [
        {
            "id": entry.get("id"),
            "title": entry.get("title") or "",
            "link": entry.get("link") or (entry.get("id") if is_http_url(entry.get("id")) else ""),
            "date": utc_seconds(entry.get("published_parsed") or entry.get("updated_parsed")),
        }
        for entry in parsed.entries
    ]


def pair(entries: list[dict], rows: list[dict]) -> list[tuple[dict, dict | None]]:
    """Each reference entry with its stored item: by link (by guid among equal links), by guid without a link."""
    unused = list(rows)
    pairs = []
    for entry in entries:
        if is_http_url(entry["link"]):
            candidates = [row for row in unused if row["url"] == entry["link"]]
            candidates.sort(key=lambda row: row["guid"] != entry["id"])
        else:
            candidates = [row for row in unused if entry["id"] and row["guid"] == entry["id"]]
        row = candidates[0] if candidates else None
        if row is not None:
            unused.remove(row)
        pairs.append((entry, row))
    return pairs


#: Characters the door drops from every text (controls, bidi overrides, zero-width, BOM); ZWNJ, ZWJ
#: and the direction marks LRM, RLM and ALM are spelling and stay.
KEPT_FORMAT_CHARACTERS = "\u200c\u200d\u200e\u200f\u061c"


def door_reading(title: str) -> tuple[str, list[str]]:
    """feedparser's title as the door documents cleaning it, and which of its rules changed anything."""
    rules = []
    decoded = html.unescape(html.unescape(title))
    if decoded != title:
        rules.append("entities escaped twice, decoded")
    visible = "".join(
        ch for ch in decoded if unicodedata.category(ch) not in ("Cc", "Cf") or ch in KEPT_FORMAT_CHARACTERS + "\n\t"
    )
    if visible != decoded:
        rules.append("invisible characters dropped")
    text = re.sub(r"<[^<>]+>", "", visible) if re.search(r"</\w+\s*>", visible) else visible
    if text != visible:
        rules.append("tags of an HTML title dropped")
    return fold(text), rules


def title_reading(entry: dict, row: dict) -> str | None:
    """'exact', 'untitled' (titled from its text), a door rule that explains the difference, or None."""
    if not fold(entry["title"]):
        return "untitled" if row["title"] == (summarise(row["text"] or "", 90) or row["canonical_url"]) else None
    if fold(row["title"]) == fold(entry["title"]):
        return "exact"
    cleaned, rules = door_reading(entry["title"])
    return " + ".join(rules) if rules and fold(row["title"]) == cleaned else None


def link_agrees(entry: dict, row: dict, feed_url: str) -> bool:
    if is_http_url(entry["link"]):
        return row["url"] == entry["link"]
    return row["url"].startswith(f"{feed_url}#{CONTENT_FRAGMENT}") and row["guid"] == entry["id"]


def date_agrees(entry: dict, row: dict) -> bool:
    return row["published_at"] == entry["date"]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, corpus):
    files = sorted(path for path in RESOURCES.iterdir() if path.suffix in CONTENT_TYPES)
    routes = {
        f"/feeds/{path.name}": (200, {"Content-Type": CONTENT_TYPES[path.suffix]}, path.read_bytes()) for path in files
    }
    site = StaticSite(tmp_path_factory.mktemp("feeds"), routes)
    config = make_config(tmp_path_factory.mktemp("db"))
    db = open_db(config.db)
    feeds = {}
    for path in files:
        url = f"{site.url}/feeds/{path.name}"
        headers = {"content-type": CONTENT_TYPES[path.suffix], "content-location": url}
        feeds[path.name] = {
            "url": url,
            "source": add_source(db, url, path.name, "feed"),
            "entries": reference_entries(path.read_bytes(), headers),
        }
    report = crawl_in_subprocess(config)
    for feed in feeds.values():
        feed["rows"] = list(db.query("SELECT * FROM items WHERE source_id = ? ORDER BY id", [feed["source"]]))
        feed["pairs"] = pair(feed["entries"], feed["rows"])
    yield {"config": config, "db": db, "site": site, "feeds": feeds, "report": report}
    site.close()


@pytest.fixture(scope="module")
def figures(crawled):
    """Agreement per field and overall, printed with every disagreement."""
    counts = titles = links = dates = total = 0
    readings: collections.Counter = collections.Counter()
    misses = []
    feeds = crawled["feeds"]
    for name, feed in feeds.items():
        entries, rows = feed["entries"], feed["rows"]
        counts += len(rows) == len(entries)
        if len(rows) != len(entries):
            misses.append(f"{name}: {len(rows)} stored, feedparser reads {len(entries)}")
        for entry, row in feed["pairs"]:
            total += 1
            if row is None:
                misses.append(f"{name}: entry {entry['id'] or entry['link']!r} not stored")
                continue
            reading = title_reading(entry, row)
            readings[reading or "disagrees"] += 1
            titles += reading is not None
            if reading not in (None, "exact", "untitled"):
                misses.append(f"{name}: title {row['title']!r} for {fold(entry['title'])!r} ({reading})")
            elif reading is None:
                misses.append(f"{name}: title {row['title']!r} != {fold(entry['title'])!r}")
            if link_agrees(entry, row, feed["url"]):
                links += 1
            else:
                misses.append(f"{name}: link {row['url']!r} (guid {row['guid']!r}) != {entry['link']!r}")
            if date_agrees(entry, row):
                dates += 1
            else:
                misses.append(f"{name}: date {row['published_at']!r} != {entry['date']!r} ({row['title'][:40]!r})")
    stored = sum(len(feed["rows"]) for feed in feeds.values())
    result = {
        "feeds": len(feeds),
        "entries": total,
        "count": counts / len(feeds),
        "title": titles / total,
        "link": links / total,
        "date": dates / total,
        "title_exact": readings["exact"] / total,
        "overall": (titles + links + dates) / (3 * total),
        "readings": readings,
        "misses": misses,
    }
    print(
        f"\n{len(feeds)} feeds, {total} entries (feedparser's reading), {stored} items stored: "
        f"counts agree on {counts}/{len(feeds)} feeds; "
        f"titles {result['title']:.1%} (exact {result['title_exact']:.1%}; {dict(readings)}), "
        f"links {result['link']:.1%}, dates {result['date']:.1%}; overall {result['overall']:.1%}"
    )
    for miss in misses:
        print("  ", miss)
    return result


def test_every_entry_of_every_feed_is_stored(crawled, figures):
    assert figures["count"] == 1.0, "\n".join(m for m in figures["misses"] if "stored" in m)
    assert crawled["report"].items_new == sum(len(feed["entries"]) for feed in crawled["feeds"].values())


def test_links_agree_with_feedparser(figures):
    assert figures["link"] == 1.0, "\n".join(m for m in figures["misses"] if ": link " in m)


def test_dates_agree_with_feedparser(figures):
    assert figures["date"] == 1.0, "\n".join(m for m in figures["misses"] if ": date " in m)


def test_titles_agree_with_feedparser(figures):
    # agreement: equal after whitespace folding, or untitled and titled from its own text, or different
    # only by one of the door's documented rules, each counted by name (see the module docstring)
    disagreements = "\n".join(m for m in figures["misses"] if ": title " in m and " != " in m)
    assert figures["title"] >= 0.99, disagreements
    assert figures["readings"]["untitled"] and figures["readings"]["disagrees"] == 0, disagreements
    assert figures["readings"]["exact"] + figures["readings"]["untitled"] >= 0.98 * figures["entries"]


def test_files_that_are_no_json_feed_are_a_readable_error_on_their_source(crawled):
    for name, reason in NOT_FEEDS.items():
        feed = crawled["feeds"][name]
        assert feed["entries"] == [] and feed["rows"] == []
        assert reason in (get_source(crawled["db"], feed["source"])["last_error"] or "")


def test_second_crawl_stores_nothing_new_and_changes_nothing(crawled, figures):
    db = crawled["db"]
    before = list(db.query("SELECT * FROM items ORDER BY id"))
    sources = [feed["source"] for feed in crawled["feeds"].values()]
    report = crawl_in_subprocess(crawled["config"], source_ids=sources)
    after = list(db.query("SELECT * FROM items ORDER BY id"))
    assert (report.items_new, report.items_updated) == (0, 0)
    assert report.items_unchanged == sum(len(feed["rows"]) for feed in crawled["feeds"].values())
    assert db.execute("SELECT count(*) FROM item_revisions").fetchone()[0] == 0
    assert [(row["id"], row["title"], row["url"], row["text"], row["updated_at"]) for row in after] == [
        (row["id"], row["title"], row["url"], row["text"], row["updated_at"]) for row in before
    ]


# --- Edge-case feeds we wrote, one per shape (tests/data/feeds/, each file says what it tests) ---

FEEDS = Path(__file__).resolve().parents[1] / "data" / "feeds"
ADDRESSED = "content address"  # the entry has no http(s) link: stored under the feed's URL, its id as guid


def long_feed(count: int) -> bytes:
    """An RSS 2.0 archive of `count` entries, an hour apart, newest first (a partner's whole history)."""
    items = "".join(
        f"<item><title>Bulletin {n}: prison news</title><link>https://archive.example/bulletin/{n}</link>"
        f"<guid>https://archive.example/bulletin/{n}</guid><description>Bulletin number {n}.</description>"
        f"<pubDate>{format_datetime(ARCHIVE_START - timedelta(hours=n))}</pubDate></item>"
        for n in range(count)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Archive</title>'
        f"<link>https://archive.example/</link>{items}</channel></rss>"
    ).encode()


ARCHIVE_START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ARCHIVE_ENTRIES = 730

EXPECTED = {
    "rss10.rdf": [
        {
            "title": "Prozess gegen die Elf vertagt",
            "url": "https://partner.example/2026/11/prozess-vertagt",
            "guid": "https://partner.example/2026/11/prozess-vertagt",
            "author": "Anna Beispiel",
            "published_at": "2026-11-20T08:30:00+00:00",
            "language": "de",
            "text": "Das Gericht hat den Prozess gegen die elf Angeklagten auf Februar vertagt.",
        },
        {
            "title": "Hungerstreik: Tag 40",
            "url": "https://partner.example/2026/11/hungerstreik-tag-40",
            "guid": "https://partner.example/2026/11/hungerstreik-tag-40",
            "author": "Redaktion",
            "published_at": "2026-11-19T18:00:00+00:00",
            "language": "de",
            "text": "Seit 40 Tagen verweigert Mahir Ekinci die Nahrung.\n\nDie Familie fordert eine unabhängige "
            "Untersuchung.",
        },
        # no <link>: the item's rdf:about is its address
        {
            "title": "Briefe an die Gefangenen",
            "url": "https://partner.example/node/412",
            "guid": "https://partner.example/node/412",
            "author": "Anna Beispiel",
            "published_at": "2026-11-18T12:00:00+00:00",
            "language": "de",
            "text": "Eine Liste der Adressen für Briefe an die Gefangenen.",
        },
        {
            "title": "Kundgebung vor dem Gericht",
            "url": "https://partner.example/2026/11/kundgebung",
            "guid": "https://partner.example/2026/11/kundgebung",
            "author": None,
            "published_at": "2026-11-17T00:00:00+00:00",
            "language": "de",
            "text": "Am Montag um 9 Uhr vor dem Landgericht.",
        },
    ],
    "atom-missing-fields.atom": [
        {
            "title": "Visit ban lifted in Silivri",
            "url": "https://bulletin.example/2026/11/visit-ban-lifted",
            "guid": "tag:bulletin.example,2026:entry-1",
            "author": None,
            "published_at": "2026-11-21T10:00:00+00:00",
            "language": "en",
            "text": "Families may visit again from Monday, the prison administration said.",
        },
        {
            "title": "Letters reach the prisoners again",
            "url": "https://bulletin.example/2026/11/letters",
            "guid": "tag:bulletin.example,2026:entry-2",
            "author": "Mina Kaya",
            "published_at": "2026-11-20T06:15:00+00:00",
            "language": "en",
            "text": "After six weeks the letters are handed out again.",
        },
        # no title: the start of its text stands in
        {
            "title": "The court in Edirne adjourned the hearing of the eleven defendants to February.",
            "url": "https://bulletin.example/2026/11/untitled",
            "guid": "tag:bulletin.example,2026:entry-3",
            "author": None,
            "published_at": "2026-11-19T07:00:00+00:00",
            "language": "en",
            "text": "The court in Edirne adjourned the hearing of the eleven defendants to February.",
        },
        {
            "title": "Statement of the families",
            "url": ADDRESSED,
            "guid": "tag:bulletin.example,2026:entry-4",
            "author": None,
            "published_at": "2026-11-18T16:30:00+00:00",
            "language": "en",
            "text": "The families of the prisoners ask for an independent medical examination.",
        },
        {
            "title": "Solidarity concert postponed",
            "url": "https://bulletin.example/?p=5",
            "guid": "https://bulletin.example/?p=5",
            "author": None,
            "published_at": "2026-11-18T01:00:00+00:00",
            "language": "en",
            "text": "",
        },
    ],
    "jsonfeed-paragraphs.json": [
        {
            "title": "Grève de la faim : 40e jour",
            "url": "https://comite.example/2026/11/greve",
            "guid": "https://comite.example/2026/11/greve",
            "author": "Claire Martin",
            "published_at": "2026-11-20T09:00:00+00:00",
            "language": "fr",
            "text": "Depuis quarante jours, Mahir Ekinci refuse toute nourriture.\n\nSes avocats l’ont vu mardi ; "
            "il ne tient plus debout sans aide.\n\nLa famille demande un examen médical indépendant.",
        },
        {
            "title": "Procès renvoyé à février",
            "url": "https://comite.example/2026/11/proces",
            "guid": "https://comite.example/2026/11/proces",
            "author": None,
            "published_at": "2026-11-19T09:00:00+00:00",
            "language": "fr",
            "text": "Le tribunal a renvoyé le procès des onze accusés à février.\n\nDes observateurs de cinq pays "
            "étaient présents.\n\nProchaine audience : 3 < 4 février, salle A&B.",
        },
        {
            "title": "Écrire aux prisonniers",
            "url": "https://comite.example/2026/11/lettres",
            "guid": "https://comite.example/2026/11/lettres",
            "author": None,
            "published_at": "2026-11-18T12:00:00+00:00",
            "language": "fr",
            "text": "Les adresses pour écrire aux prisonniers.",
        },
        {
            "title": "Rassemblement samedi",
            "url": ADDRESSED,
            "guid": "comite-2026-11-17-rassemblement",
            "author": None,
            "published_at": "2026-11-17T14:00:00+00:00",
            "language": "fr",
            "text": "Rassemblement samedi à 15 h devant la préfecture.",
        },
    ],
    "javascript-links.rss": [
        {
            "title": "Ziyaret yasağı kaldırıldı",
            "url": ADDRESSED,
            "guid": "duyuru-101",
            "author": None,
            "published_at": "2026-11-21T06:00:00+00:00",
            "language": "tr",
            "text": "Aileler pazartesiden itibaren yeniden ziyaret edebilecek.",
        },
        {
            "title": "Mektuplar yeniden veriliyor",
            "url": ADDRESSED,
            "guid": "duyuru-102",
            "author": None,
            "published_at": "2026-11-20T06:00:00+00:00",
            "language": "tr",
            "text": "Altı hafta sonra mektuplar yeniden dağıtılıyor.",
        },
        {
            "title": "Duruşma şubata ertelendi",
            "url": ADDRESSED,
            "guid": "duyuru-103",
            "author": None,
            "published_at": "2026-11-19T06:00:00+00:00",
            "language": "tr",
            "text": "Mahkeme on bir sanığın duruşmasını şubata erteledi.",
        },
        {
            "title": "Dayanışma konseri",
            "url": ADDRESSED,
            "guid": "javascript:openArticle(4)",
            "author": None,
            "published_at": "2026-11-18T17:00:00+00:00",
            "language": "tr",
            "text": "Konser cumartesi akşamı kültür merkezinde.",
        },
        {
            "title": "Açlık grevi 40. gününde",
            "url": "https://tutsak.example/haber/aclik-grevi-40",
            "guid": "duyuru-105",
            "author": None,
            "published_at": "2026-11-17T06:00:00+00:00",
            "language": "tr",
            "text": "Mahir Ekinci kırk gündür açlık grevinde.",
        },
    ],
    "shared-links.rss": [
        # reuses the GUID of an older entry: its own is that GUID and its date (the oldest keeps the GUID)
        {
            "title": "Night: the families thank everyone",
            "url": "https://notes.example/2026/11/20.html",
            "guid": "notes-2026-11-20-c (2026-11-20T21:00:00+00:00)",
            "author": None,
            "published_at": "2026-11-20T21:00:00+00:00",
            "language": "en",
            "text": "The families thank everyone who came.",
        },
        {
            "title": "Evening: a rally outside the court",
            "url": "https://notes.example/2026/11/20.html",
            "guid": "notes-2026-11-20-c",
            "author": None,
            "published_at": "2026-11-20T18:00:00+00:00",
            "language": "en",
            "text": "Two hundred people gathered outside the court.",
        },
        {
            "title": "Noon: the hearing is adjourned",
            "url": "https://notes.example/2026/11/20.html",
            "guid": "notes-2026-11-20-b",
            "author": None,
            "published_at": "2026-11-20T12:00:00+00:00",
            "language": "en",
            "text": "The court adjourned the hearing to February.",
        },
        {
            "title": "Morning: the hearing starts at nine",
            "url": "https://notes.example/2026/11/20.html",
            "guid": "notes-2026-11-20-a",
            "author": None,
            "published_at": "2026-11-20T07:00:00+00:00",
            "language": "en",
            "text": "The hearing of the eleven starts at nine in room A.",
        },
    ],
    "jsonfeed-bare-items.json": [
        {
            "title": "Die Rückkehr von <i> und <b>",
            "url": "https://bare.example/elements",
            "guid": "https://bare.example/elements",
            "author": None,
            "published_at": "2026-11-16T08:00:00+00:00",
            "language": "de",
            "text": "Zwei Elemente kehren zurück.",
        },
        # no title and no text: the item's address is all there is to show
        {
            "title": ADDRESSED,
            "url": ADDRESSED,
            "guid": "bare-1",
            "author": None,
            "published_at": None,
            "language": None,
            "text": "",
        },
        {
            "title": ADDRESSED,
            "url": ADDRESSED,
            "guid": "bare-2",
            "author": None,
            "published_at": None,
            "language": None,
            "text": "",
        },
        {
            "title": ADDRESSED,
            "url": ADDRESSED,
            "guid": "bare-3",
            "author": "Item Author",
            "published_at": None,
            "language": None,
            "text": "",
        },
    ],
}
FIELDS = ("title", "url", "guid", "author", "published_at", "language", "text")


@pytest.fixture(scope="module")
def edge_crawl(tmp_path_factory):
    routes = {
        f"/{name}": (200, {"Content-Type": CONTENT_TYPES[Path(name).suffix]}, (FEEDS / name).read_bytes())
        for name in EXPECTED
    }
    routes["/archive.rss"] = (200, {"Content-Type": "application/rss+xml"}, long_feed(ARCHIVE_ENTRIES))
    site = StaticSite(tmp_path_factory.mktemp("edge"), routes)
    config = make_config(tmp_path_factory.mktemp("edge-db"))
    db = open_db(config.db)
    sources = {path.lstrip("/"): add_source(db, site.url + path, path.lstrip("/"), "feed") for path in routes}
    report = crawl_in_subprocess(config)

    def stored(name: str) -> list[dict]:
        return list(db.query("SELECT * FROM items WHERE source_id = ? ORDER BY published_at DESC, id", [sources[name]]))

    yield {"config": config, "db": db, "site": site, "sources": sources, "report": report, "stored": stored}
    site.close()


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_entry_of_an_edge_case_feed_is_stored_with_its_fields(edge_crawl, name):
    rows = edge_crawl["stored"](name)
    feed_url = f"{edge_crawl['site'].url}/{name}"
    got = [{key: row[key] for key in FIELDS} for row in rows]
    expected = [
        {key: (got[i]["url"] if value == ADDRESSED and i < len(got) else value) for key, value in entry.items()}
        for i, entry in enumerate(EXPECTED[name])
    ]
    assert got == expected
    addressed = [row["url"] for row, entry in zip(rows, EXPECTED[name], strict=True) if entry["url"] == ADDRESSED]
    assert all(url.startswith(f"{feed_url}#{CONTENT_FRAGMENT}") for url in addressed)


def test_a_feed_of_730_entries_is_kept_whole(edge_crawl):
    rows = edge_crawl["stored"]("archive.rss")
    assert len(rows) == ARCHIVE_ENTRIES
    assert [(row["title"], row["url"], row["published_at"]) for row in rows] == [
        (
            f"Bulletin {n}: prison news",
            f"https://archive.example/bulletin/{n}",
            (ARCHIVE_START - timedelta(hours=n)).isoformat(),
        )
        for n in range(ARCHIVE_ENTRIES)
    ]
    source = get_source(edge_crawl["db"], edge_crawl["sources"]["archive.rss"])
    assert "max_items_per_feed" not in json.dumps(source, default=str)  # nothing capped, so nothing noted


def test_links_that_are_not_http_are_never_requested(edge_crawl):
    feeds = {f"/{name}" for name in edge_crawl["sources"]}
    assert {path for path, _ in edge_crawl["site"].requests} - feeds <= {"/robots.txt"}
    source = get_source(edge_crawl["db"], edge_crawl["sources"]["javascript-links.rss"])
    assert "javascript:" not in json.dumps({key: value for key, value in source.items() if key != "url"})


def test_edge_case_feeds_crawled_again_change_nothing(edge_crawl):
    db = edge_crawl["db"]
    before = [dict(row) for row in db.query("SELECT * FROM items ORDER BY id")]
    report = crawl_in_subprocess(edge_crawl["config"], source_ids=list(edge_crawl["sources"].values()))
    assert (report.items_new, report.items_updated) == (0, 0)
    assert db.execute("SELECT count(*) FROM item_revisions").fetchone()[0] == 0
    assert [dict(row) for row in db.query("SELECT * FROM items ORDER BY id")] == before


# --- The rules behind the figures, without a crawl ---


def test_entries_that_share_a_link_keep_their_guids_and_a_reused_guid_is_told_apart():
    body = (FEEDS / "shared-links.rss").read_bytes()
    entries = parse_feed(body, {}, "http://127.0.0.1/feed", 1).entries
    guids = [entry.guid for entry in entries]
    assert not unreliable_guids(entries)  # the links repeat more than the GUIDs: going by link would fold them
    assert guids == [
        "notes-2026-11-20-c (2026-11-20T21:00:00+00:00)",
        "notes-2026-11-20-a",
        "notes-2026-11-20-b",
        "notes-2026-11-20-c",
    ]  # the oldest keeps the GUID; the same on every reading
    assert [entry.guid for entry in parse_feed(body, {}, "http://127.0.0.1/feed", 1).entries] == guids


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Die Rückkehr von <i> und <b>", "Die Rückkehr von <i> und <b>"),  # a title about two elements (3960.json)
        ("Kochi to raise <span class='webrupee'>₹</span>4,000 crore", "Kochi to raise ₹4,000 crore"),  # livemint
        ("Day 87 of the <b>strike</b>", "Day 87 of the strike"),
        ("3 < 4 and 5 > 2", "3 < 4 and 5 > 2"),
        ("That&#8217;s Not What Dolphins Do", "That’s Not What Dolphins Do"),
        ("Column: \ufeffWat een wedstrijd", "Column: Wat een wedstrijd"),
    ],
)
def test_titles_lose_tags_only_when_they_are_html(raw, expected):
    assert clean_title(raw) == expected
