"""`wire sources import FILE.opml` and `wire sources export`: a feed list moving in and out.

Import never fetches (like Miniflux and FreshRSS): the feeds here point at hosts that do not
exist, and the import still succeeds; problems with a feed show on its first crawl.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from wire.cli import cli

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
<head><title>Our network</title></head>
<body>
<outline text="Spain">
  <outline text="Comité Libertad" type="rss" xmlUrl="https://comite.example/feed/"
    htmlUrl="https://comite.example/" language="es"/>
</outline>
<outline text="Free Them" xmlUrl="http://freethem.example/atom.xml"/>
</body>
</opml>
"""

BROKEN = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
<head><title>Broken</title></head>
<body>
<outline text="Good one" xmlUrl="https://one.example/feed"/>
<outline text="Fish & Chips" xmlUrl="https://two.example/feed"/>
<outline text="No feed" htmlUrl="https://nofeed.example/"/>
<outline text="Script" xmlUrl="javascript:alert(1)"/>
<outline text="Again" xmlUrl="https://ONE.example/feed/"/>
<outline text="Last" xmlUrl="https://three.example/feed">
</body>
"""


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRE_DB", str(tmp_path / "wire.db"))
    monkeypatch.delenv("WIRE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)

    def invoke(*args):
        return CliRunner().invoke(cli, list(args))

    return invoke


def sources(run):
    rows = [json.loads(line) for line in run("sources", "list", "--json").output.splitlines()]
    return [(row["url"], row["name"], row["kind"], row["language"], row["partner_name"]) for row in rows]


def test_import_adds_every_feed_without_fetching(run, tmp_path):
    (tmp_path / "list.opml").write_text(OPML)
    result = run("sources", "import", "list.opml")
    assert result.exit_code == 0, result.output
    assert "imported 2, skipped 0" in result.stdout
    assert sources(run) == [
        ("https://comite.example/feed/", "Comité Libertad", "feed", "es", "Comité Libertad"),
        ("http://freethem.example/atom.xml", "Free Them", "feed", None, "Free Them"),
    ]


def test_importing_twice_skips_what_is_registered(run, tmp_path):
    (tmp_path / "list.opml").write_text(OPML)
    run("sources", "import", "list.opml")
    result = run("sources", "import", "list.opml")
    assert result.exit_code == 1
    assert "imported 0, skipped 2" in result.stdout
    assert "line 7: https://comite.example/feed/ is already registered" in result.stderr
    assert len(sources(run)) == 2


def test_a_broken_file_imports_its_good_outlines_and_reports_each_error_by_line(run, tmp_path):
    (tmp_path / "broken.opml").write_text(BROKEN)
    result = run("sources", "import", "broken.opml")
    assert result.exit_code == 1
    assert [row[0] for row in sources(run)] == [
        "https://one.example/feed",
        "https://two.example/feed",
        "https://three.example/feed",
    ]
    errors = result.stderr.splitlines()
    for expected in [
        "line 6: XML:",
        "line 7: outline 'No feed' has no xmlUrl (not a feed): skipped",
        "line 8: feed URL 'javascript:alert(1)' is not an http(s) URL: skipped",
        "line 9: https://ONE.example/feed/ is the same feed as line 5: skipped",
    ]:
        assert any(expected in line for line in errors), (expected, errors)
    assert all(line.startswith("  ! line ") for line in errors)


def test_dry_run_changes_nothing(run, tmp_path):
    (tmp_path / "list.opml").write_text(OPML)
    result = run("sources", "import", "list.opml", "--dry-run")
    assert result.exit_code == 0
    assert "dry run: 2 would be imported, 0 skipped; nothing changed" in result.stdout
    assert sources(run) == []


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "Error: cannot read missing.opml: No such file or directory"),
        (b"", "Error: missing.opml: the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "Error: missing.opml: not XML"),
    ],
    ids=["missing", "empty", "binary"],
)
def test_an_unreadable_file_is_one_line_and_status_2(run, tmp_path, content, message):
    if content is not None:
        (tmp_path / "missing.opml").write_bytes(content)
    result = run("sources", "import", "missing.opml")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [result.stderr.splitlines()[0]]
    assert result.stderr.startswith(message), result.stderr
    assert "Traceback" not in result.output


def test_export_round_trips_into_a_fresh_database(run, tmp_path, monkeypatch):
    (tmp_path / "list.opml").write_text(OPML)
    run("sources", "import", "list.opml")
    run("sources", "add", "https://added.example/feed.xml", "--kind", "feed", "--name", 'A <b>"bold"</b> & name')
    run("sources", "add", "https://site.example/news/", "--kind", "site", "--name", "A site")
    before = sources(run)
    exported = run("sources", "export")
    assert exported.exit_code == 0
    assert exported.stdout.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<opml")
    assert "site.example" not in exported.stdout
    assert "1 site source(s) not exported" in exported.stderr
    to_file = run("sources", "export", "--out", "out.opml")
    # the same document, but for when it was made (the two exports can straddle a second: CI saw it)
    created = re.compile(r"<dateCreated>[^<]+</dateCreated>")
    written = (tmp_path / "out.opml").read_text()
    assert to_file.exit_code == 0 and created.search(written) and created.search(exported.stdout)
    assert created.sub("", written) == created.sub("", exported.stdout)

    monkeypatch.setenv("WIRE_DB", str(tmp_path / "fresh.db"))
    result = run("sources", "import", "out.opml")
    assert result.exit_code == 0, result.output
    assert sources(run) == [row for row in before if row[2] == "feed"]


def test_a_real_readers_export_imports_and_round_trips(run, tmp_path, corpus, monkeypatch):
    """RSParser's Subs.opml (a feed reader's export, read from ../shared/corpus): 200+ feeds in, the same out."""
    path = corpus / "rsparser/Tests/RSParserTests/Resources/Subs.opml"
    result = run("sources", "import", str(path))
    imported = sources(run)
    assert len(imported) > 200
    assert result.stdout.startswith(f"imported {len(imported)},")
    assert all(url.startswith(("http://", "https://")) and kind == "feed" for url, _n, kind, _l, _p in imported)
    run("sources", "export", "--out", "subs.opml")
    monkeypatch.setenv("WIRE_DB", str(tmp_path / "fresh.db"))
    again = run("sources", "import", "subs.opml")
    assert again.exit_code == 0, again.output
    assert sources(run) == imported
