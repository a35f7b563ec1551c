"""Feed parsing from bytes and headers: encodings, broken XML, entity bombs, the corpus of real feeds."""

import json

import pytest

import crawlers.feeds.parse as parse
from aggregator.text import html_to_text
from crawlers.feeds.parse import FeedError, has_relative_references, parse_feed, unreliable_guids

RSS_1254 = """<?xml version="1.0" encoding="windows-1254"?>
<rss version="2.0"><channel><title>Dayanışma</title><link>http://127.0.0.1/</link><language>tr</language>
<item><title>İzmir'de açlık grevi 40. gününde</title><link>http://127.0.0.1/a</link><guid>a</guid>
<description>Şakran Cezaevi'ndeki tutsakların açlık grevi kırkıncı gününe girdi; aileler görüş istiyor.</description>
<pubDate>Thu, 19 Nov 2026 10:00:00 +0300</pubDate></item></channel></rss>"""


def test_windows_1254_feed_decodes_turkish_letters():
    feed = parse_feed(RSS_1254.encode("cp1254"), {"Content-Type": "text/xml"}, "http://127.0.0.1/feed/", 1)
    assert feed.entries[0].title == "İzmir'de açlık grevi 40. gününde"
    assert feed.entries[0].published.isoformat() == "2026-11-19T07:00:00+00:00"


def test_valid_utf8_is_trusted_over_a_wrong_declaration():
    body = RSS_1254.encode("utf-8")  # declares windows-1254, is UTF-8
    feed = parse_feed(body, {"Content-Type": "text/xml; charset=windows-1254"}, "http://127.0.0.1/feed/", 1)
    assert feed.entries[0].title == "İzmir'de açlık grevi 40. gününde"
    assert any("UTF-8" in note for note in feed.notes)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_utf16_or_utf32_feed_is_read_not_stripped_of_its_nul_bytes(encoding):
    """feedparser reads these; stripping the characters illegal in XML first took every NUL byte."""
    declared = "utf-32" if encoding == "utf-32" else "utf-16"
    body = RSS_1254.replace("windows-1254", declared).encode(encoding)
    feed = parse_feed(body, {"Content-Type": "text/xml"}, "http://127.0.0.1/feed/", 1)
    assert [entry.title for entry in feed.entries] == ["İzmir'de açlık grevi 40. gününde"]
    assert feed.warning is None and any("read as UTF-8" in note for note in feed.notes)


def test_characters_illegal_in_xml_are_stripped_not_fatal():
    body = RSS_1254.replace("kırkıncı", "kırk\x0bıncı\x01").encode("cp1254")
    feed = parse_feed(body, {}, "http://127.0.0.1/feed/", 1)
    assert len(feed.entries) == 1 and "kırkıncı" in feed.entries[0].summary
    assert feed.warning is None


def test_entity_bomb_is_not_expanded():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {chr(98 + i)} "&{chr(97 + i)};&{chr(97 + i)};&{chr(97 + i)};&{chr(97 + i)};">' for i in range(8)
        )
        + ']><rss version="2.0"><channel><title>t</title><item><title>&i;</title><link>http://127.0.0.1/x</link>'
        "</item></channel></rss>"
    )
    feed = parse_feed(bomb.encode(), {}, "http://127.0.0.1/feed/", 1)
    assert len(feed.entries[0].title) < 100  # 4**8 * 10 characters if expanded


def test_external_entity_is_not_fetched_or_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>t</title><item><title>a &x; b</title>'
        "<link>http://127.0.0.1/x</link></item></channel></rss>"
    )
    feed = parse_feed(xxe.encode(), {}, "http://127.0.0.1/feed/", 1)
    assert "TOP-SECRET" not in json.dumps([e.title for e in feed.entries])


def test_html_page_is_a_readable_error():
    with pytest.raises(FeedError, match="no feed found|not a readable feed"):
        parse_feed(b"<html><body><p>Hello</p></body></html>", {"Content-Type": "text/html"}, "http://127.0.0.1/", 1)


def test_missing_or_repeated_guids_switch_to_links():
    base = (
        '<rss version="2.0"><channel><title>t</title>'
        + "".join(
            f"<item><title>{i}</title><link>http://127.0.0.1/{i}</link><guid>same</guid></item>" for i in range(5)
        )
        + "</channel></rss>"
    )
    assert unreliable_guids(parse_feed(base.encode(), {}, "http://127.0.0.1/f", 1).entries)


RSPARSER = "rsparser/Tests/RSParserTests/Resources"
XML_FEEDS = [
    "DaringFireball.rss",
    "bio.rdf",
    "allthis.atom",
    "EMarley.rss",
    "KatieFloyd.rss",
    "atp.rss",
    "russcox.atom",
    "macworld.rss",
    "rubenerd.rss",
    "scriptingNews.rss",
    "manton.rss",
    "natasha.xml",
]


@pytest.mark.parametrize("name", XML_FEEDS)
def test_real_feeds_from_the_corpus_parse(corpus, name):
    path = corpus / RSPARSER / name
    feed = parse_feed(path.read_bytes(), {}, f"http://127.0.0.1/{name}", 1)
    assert feed.entries, f"{name}: no entries"
    assert all(entry.title or entry.summary or entry.content_html for entry in feed.entries)
    assert feed.format in {"rss20", "rss10", "atom10", "rss092", "rss091u", "rss090", "atom03"}


JSON_FEEDS = [
    "DaringFireball.json",
    "allthis.json",
    "inessential.json",
    "curt.json",
    "pxlnv.json",
    "rose.json",
    "3960.json",
]


@pytest.mark.parametrize("name", JSON_FEEDS)
def test_real_json_feeds_from_the_corpus_parse(corpus, name):
    path = corpus / RSPARSER / name
    raw = json.loads(path.read_bytes())
    feed = parse_feed(path.read_bytes(), {"Content-Type": "application/feed+json"}, f"http://127.0.0.1/{name}", 1)
    assert feed.format in {"json10", "json11"}
    assert len(feed.entries) == min(len(raw["items"]), 200)
    assert all(entry.url and entry.guid for entry in feed.entries)


def test_json_feed_1_1_fields():
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Kanun",
            "language": "fa",
            "items": [
                {
                    "id": "1",
                    "url": "http://127.0.0.1/1",
                    "title": "روز ۸۷",
                    "content_text": "اعتصاب غذا\n\nادامه دارد",
                    "date_published": "2026-11-20T10:00:00+03:30",
                    "authors": [{"name": "Kanun"}],
                }
            ],
        }
    ).encode()
    feed = parse_feed(body, {}, "http://127.0.0.1/feed.json", 1)
    entry = feed.entries[0]
    assert feed.format == "json11" and entry.language == "fa" and entry.author == "Kanun"
    assert entry.published.isoformat() == "2026-11-20T10:00:00+03:30"
    assert entry.content_html == "<p>اعتصاب غذا</p><p>ادامه دارد</p>"


def test_json_that_is_not_a_json_feed_is_a_readable_error(corpus):
    body = (corpus / RSPARSER / "ScriptingNews.json").read_bytes()  # Scripting News' own JSON, not JSON Feed
    with pytest.raises(FeedError, match="JSON without a jsonfeed.org version"):
        parse_feed(body, {"Content-Type": "application/json"}, "http://127.0.0.1/x.json", 1)


RELATIVE = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Dayanışma</title><link>http://127.0.0.1/</link>
<item><title>Letter from prison</title><link>http://127.0.0.1/news/letter</link><guid>l</guid>
<description>{markup}</description></item></channel></rss>"""


@pytest.mark.parametrize(
    "markup, resolved",
    [
        ('&lt;a href="/campaign/letters"&gt;letters&lt;/a&gt;', 'href="http://127.0.0.1/campaign/letters"'),
        ("&lt;img src=photo.jpg&gt;", 'src="http://127.0.0.1/feed/photo.jpg"'),
    ],
)
def test_relative_references_are_resolved_against_the_feed(markup, resolved):
    body = RELATIVE.format(markup=markup).encode("utf-8")
    assert has_relative_references(body)
    assert resolved in parse_feed(body, {}, "http://127.0.0.1/feed/", 1).entries[0].summary


def test_a_feed_with_only_absolute_references_reads_as_with_resolution(corpus):
    """feedparser's resolver is skipped only where it has nothing to change: the entries read alike."""
    body = RELATIVE.format(markup="&lt;p&gt;See &lt;a href=&quot;https://127.0.0.1/a&quot;&gt;a&lt;/a&gt;&lt;/p&gt;")
    real = corpus / "rsparser/Tests/RSParserTests/Resources"  # 2,461 and 184 links, all absolute
    checked = [body.encode("utf-8"), (real / "atp.rss").read_bytes(), (real / "scriptingNews.rss").read_bytes()]
    for raw in checked:
        assert not has_relative_references(raw)
        skipped = parse_feed(raw, {}, "http://127.0.0.1/feed/", 1).entries
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(parse, "has_relative_references", lambda _: True)
            resolved = parse_feed(raw, {}, "http://127.0.0.1/feed/", 1).entries
        assert [(e.title, e.url, html_to_text(e.content_html or e.summary)) for e in skipped] == [
            (e.title, e.url, html_to_text(e.content_html or e.summary)) for e in resolved
        ]
        assert skipped


def _relative_by_one_pattern(body: bytes) -> bool:
    """`has_relative_references` as first written: one case-insensitive pattern, a look-behind first."""
    import re

    pattern = re.compile(
        rb"(?<![\w:.-])(?:href|src|cite|action|background|codebase|classid|data|longdesc|poster|profile|usemap)"
        rb"\s*+=\s*+(?:[\"']|&(?:amp;)?(?:quot|apos|#0*3[49]|#x0*2[27]);)?+\s*+(?!https?://)",
        re.IGNORECASE,
    )
    return b"xml:base" in body or pattern.search(body) is not None


def test_relative_references_are_found_as_the_one_pattern_found_them(corpus):
    """Names found with `find` on the lowered body, then what follows each matched: the same answer
    as the single pattern on every feed and page of the corpus, and on random attribute soup
    (upper case, entities, look-alike names such as `data-src`, `metadata`, `xlink:href`)."""
    import random

    files = [f for f in corpus.rglob("*") if f.suffix in (".xml", ".rss", ".atom", ".rdf", ".html", ".htm")]
    answers = {has_relative_references(f.read_bytes()) for f in files}
    for path in files:
        body = path.read_bytes()
        assert has_relative_references(body) == _relative_by_one_pattern(body), path.name
    assert answers == {True, False} and len(files) > 100
    pieces = [b"href", b"HREF", b"Src", b"data", b"meta", b"-", b":", b"x", b"=", b" ", b'"', b"'", b"&quot;",
              b"&amp;#39;", b"&#X27;", b"http://", b"HTTPS://", b"ftp:", b"/a", b"<a ", b">", b"usemap"]  # fmt: skip
    rng = random.Random(4)
    for _ in range(5000):
        body = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        assert has_relative_references(body) == _relative_by_one_pattern(body), body
