"""aggregator.opml: every shape of OPML a list moving in brings, broken ones included.

Each case is a small file and what must come out of it: the feeds read (by URL) and the
problems reported (by line number and a phrase of the message). A broken file keeps every
feed the parser could still read.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from aggregator.opml import BadOpml, OpmlFeed, plan_import, read_opml, write_opml

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n<head><title>Network</title></head>\n<body>\n'
TAIL = "</body>\n</opml>\n"


def opml(*outlines: str) -> bytes:
    """A file whose first outline is on line 5."""
    return (HEAD + "\n".join(outlines) + "\n" + TAIL).encode()


CASES = [
    (
        "flat",
        opml(
            '<outline text="Red Aid Lyon" type="rss" xmlUrl="https://redaid.example/feed/"/>',
            '<outline text="Free Them" xmlUrl="http://freethem.example/atom.xml"/>',
        ),
        ["https://redaid.example/feed/", "http://freethem.example/atom.xml"],
        [],
    ),
    (
        "nested folders",
        opml(
            '<outline text="Turkey">',
            '  <outline text="Kurdistan">',
            '    <outline text="Committee" xmlUrl="https://committee.example/feed/"/>',
            "  </outline>",
            "</outline>",
        ),
        ["https://committee.example/feed/"],
        [],
    ),
    (
        "outline without xmlUrl",
        opml(
            '<outline text="A link" type="link" url="https://page.example/"/>',
            '<outline text="Good" xmlUrl="https://good.example/feed"/>',
        ),
        ["https://good.example/feed"],
        [(5, "'A link' has no xmlUrl")],
    ),
    (
        "bad URLs",
        opml(
            '<outline text="js" xmlUrl="javascript:alert(1)"/>',
            '<outline text="ftp" xmlUrl="ftp://files.example/feed"/>',
            '<outline text="file" xmlUrl="file:///etc/passwd"/>',
            '<outline text="relative" xmlUrl="/feed/"/>',
            '<outline text="Good" xmlUrl="https://good.example/feed"/>',
        ),
        ["https://good.example/feed"],
        [(5, "not an http(s) URL"), (6, "not an http(s) URL"), (7, "not an http(s) URL"), (8, "not an http(s) URL")],
    ),
    (
        "same feed twice, spelled differently",
        opml(
            '<outline text="One" xmlUrl="https://Partner.example/feed/?utm_source=x"/>',
            '<outline text="Two" xmlUrl="https://partner.example/feed"/>',
        ),
        ["https://Partner.example/feed/?utm_source=x"],
        [(6, "same feed as line 5")],
    ),
    (
        "not well-formed: unclosed tags and a bare ampersand",
        opml(
            '<outline text="One" xmlUrl="https://one.example/feed">',
            '<outline text="Fish & Chips" xmlUrl="https://two.example/feed"/>',
            '<outline text="Three" xmlUrl="https://three.example/feed"/>',
        ),
        ["https://one.example/feed", "https://two.example/feed", "https://three.example/feed"],
        [(6, "XML:")],
    ),
    (
        "wrong root",
        b'<?xml version="1.0"?>\n<rss version="2.0">\n<outline text="x" xmlUrl="https://x.example/feed"/>\n</rss>\n',
        ["https://x.example/feed"],
        [(2, "root element is <rss>, not <opml>")],
    ),
    (
        "attribute names in other cases, language tags",
        opml(
            '<outline TEXT="Upper" XMLURL="https://upper.example/feed" language="fa-IR"/>',
            '<outline text="Bad language" xmlUrl="https://lang.example/feed" language="Persian!"/>',
        ),
        ["https://upper.example/feed", "https://lang.example/feed"],
        [(6, "not a language code")],
    ),
    (
        "website that is not http",
        opml('<outline text="x" xmlUrl="https://x.example/feed" htmlUrl="javascript:alert(1)"/>'),
        ["https://x.example/feed"],
        [(5, "website 'javascript:alert(1)' is not an http(s) URL: imported without it")],
    ),
    (
        "no body",
        b'<?xml version="1.0"?>\n<opml version="1.0">\n<outline text="x" xmlUrl="https://x.example/feed"/>\n</opml>\n',
        ["https://x.example/feed"],
        [(2, "no <body>")],
    ),
    (
        "truncated in the middle of an attribute",
        (
            HEAD + '<outline text="Good" xmlUrl="https://good.example/feed"/>\n<outline text="Cut" xmlUrl="https://cu'
        ).encode(),
        ["https://good.example/feed"],
        [(6, "XML:")],
    ),
]


@pytest.mark.parametrize("data, urls, problems", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_read_opml_cases(data, urls, problems):
    result = read_opml(data)
    assert [feed.url for feed in result.feeds] == urls
    for line, phrase in problems:
        assert any(p.line == line and phrase in p.message for p in result.problems), (line, phrase, result.problems)
    if not problems:
        assert result.problems == []


def test_fields_kept_where_the_schema_has_a_place():
    data = opml(
        '<outline text="Folder"><outline text="Comité" title="ignored when text is there" type="rss"',
        '  xmlUrl="https://comite.example/feed/" htmlUrl="https://comite.example/" language="es"',
        '  category="/prisoners/spain"/></outline>',
    )
    (feed,) = read_opml(data).feeds
    assert feed == OpmlFeed(
        line=7,  # libxml2 numbers an element by the line its start tag ends on
        url="https://comite.example/feed/",
        name="Comité",
        website="https://comite.example/",
        language="es",
        partner=None,
        categories=("Folder", "prisoners/spain"),
    )


def test_title_then_url_names_a_feed_without_text():
    feeds = read_opml(
        opml('<outline title="Only a title" xmlUrl="https://a.example/f"/>', '<outline xmlUrl="https://b.example/f"/>')
    ).feeds
    assert [feed.name for feed in feeds] == ["Only a title", "https://b.example/f"]


@pytest.mark.parametrize(
    "data, message",
    [(b"", "empty"), (b"   \n", "empty"), (b"\x00\x01\x02 binary", "not XML"), (b"just some words", "not XML")],
    ids=["empty", "blank", "binary", "prose"],
)
def test_nothing_readable_is_one_error(data, message):
    with pytest.raises(BadOpml, match=message):
        read_opml(data)


def test_external_entities_are_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY x SYSTEM "file://{secret}">]>\n<opml version="2.0"><body>\n'
        '<outline text="&x;" xmlUrl="https://x.example/feed"/>\n</body></opml>\n'
    ).encode()
    result = read_opml(data)
    assert [feed.url for feed in result.feeds] == ["https://x.example/feed"]
    assert "TOP-SECRET" not in repr(result)
    assert any(p.line == 4 and "external entity" in p.message for p in result.problems)


def test_billion_laughs_stops_at_once():
    entities = "".join(
        f'<!ENTITY l{i} "{(f"&l{i - 1};" * 10) if i else "lol"}">' for i in range(10)
    )  # 10**9 "lol"s if expanded
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE opml [{entities}]>\n<opml version="2.0"><body>\n'
        '<outline text="&l9;" xmlUrl="https://x.example/feed"/>\n</body></opml>\n'
    ).encode()
    started = time.monotonic()
    result = read_opml(data)
    assert time.monotonic() - started < 2
    assert all(len(feed.name) < 1000 for feed in result.feeds)
    assert any("entity" in p.message for p in result.problems)


def test_plan_import_skips_registered_feeds_by_canonical_url():
    feeds = read_opml(
        opml(
            '<outline text="Known" xmlUrl="https://www.known.example/feed/?utm_medium=rss"/>',
            '<outline text="New" xmlUrl="https://new.example/feed"/>',
        )
    ).feeds
    new, skipped = plan_import(feeds, ["https://www.known.example/feed"])
    assert [feed.url for feed in new] == ["https://new.example/feed"]
    assert [str(problem) for problem in skipped] == [
        "line 5: https://www.known.example/feed/?utm_medium=rss is already registered "
        "(as https://www.known.example/feed): skipped"
    ]


def test_write_then_read_gives_the_same_feeds():
    sources = [
        {
            "url": "https://comite.example/feed/",
            "name": 'Comité "Libertad" & <Amigos>',
            "language": "es",
            "partner_name": "Comité Libertad",
            "partner_website": "https://comite.example/",
        },
        {"url": "http://plain.example/rss", "name": "<script>alert(1)</script>", "language": None},
    ]
    data = write_opml(sources, "Solidarity Wire", datetime(2026, 11, 29, 22, 0, tzinfo=UTC))
    assert b'version="2.0"' in data and b"<dateCreated>Sun, 29 Nov 2026 22:00:00 +0000</dateCreated>" in data
    assert b"<script>" not in data
    result = read_opml(data)
    assert result.problems == []
    assert [(f.url, f.name, f.language, f.partner, f.website) for f in result.feeds] == [
        (
            "https://comite.example/feed/",
            'Comité "Libertad" & <Amigos>',
            "es",
            "Comité Libertad",
            "https://comite.example/",
        ),
        ("http://plain.example/rss", "<script>alert(1)</script>", None, None, None),
    ]


@pytest.mark.parametrize("name", ["Subs.opml", "SubsNoTitleAttributes.opml"])
def test_real_reader_exports(corpus, name):
    """Two real OPML files (RSParser's test data, exported by feed readers), read from ../shared/corpus."""
    path = corpus / "rsparser/Tests/RSParserTests/Resources" / name
    data = path.read_bytes()
    result = read_opml(data)
    outlines_with_feeds = data.count(b"xmlUrl=")
    assert outlines_with_feeds > 200
    duplicates = [p for p in result.problems if "same feed as" in p.message]
    assert len(result.feeds) + len(duplicates) == outlines_with_feeds
    assert [p for p in result.problems if "same feed as" not in p.message] == []
    assert all(feed.url.startswith(("http://", "https://")) and feed.name for feed in result.feeds)
    first = result.feeds[0]
    assert (first.url, first.name, first.website) == (
        "http://daringfireball.net/feeds/main",
        "Daring Fireball",
        "http://daringfireball.net/",
    )
