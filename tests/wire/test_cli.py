"""The CLI: every command has help with an example; users' mistakes are one line and exit status 2."""

import json

import click
import pytest
from click.testing import CliRunner

from wire.cli import cli


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))
        else:
            yield prefix + (name,)


ALL_COMMANDS = sorted(_commands(cli))


def test_the_promised_commands_exist():
    names = {" ".join(c) for c in ALL_COMMANDS}
    for expected in [
        "init",
        "sources add",
        "sources list",
        "sources show",
        "sources pause",
        "sources resume",
        "sources remove",
        "crawl",
        "items list",
        "items export",
        "edition draft",
        "edition render",
        "edition send",
        "edition list",
        "subscribers add",
        "subscribers list",
        "subscribers import",
        "subscribers export",
        "subscribers remove",
        "subscribers purge",
        "serve",
        "demo",
        "mailsink",
        "db migrate",
        "db backup",
    ]:
        assert expected in names


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output and "wire " in result.output.split("Example:", 1)[1]


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRE_DB", str(tmp_path / "wire.db"))
    monkeypatch.setenv("WIRE_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.delenv("WIRE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)

    def invoke(*args, input=None):
        return CliRunner().invoke(cli, list(args), input=input)

    return invoke


@pytest.mark.parametrize(
    "args, message",
    [
        (["sources", "show", "99"], "Error: no source with id 99 (see `wire sources list`)"),
        (["sources", "add", "not a url", "--yes"], "Error: not an http(s) URL: 'not a url'"),
        (
            ["subscribers", "add", "nobody-at-example", "--lang", "en"],
            "Error: not an e-mail address: 'nobody-at-example'",
        ),
        (
            ["subscribers", "add", "a@example.org", "--lang", "xx"],
            "Error: language 'xx' is not one of the edition languages",
        ),
        (["edition", "render", "7", "--out", "out"], "Error: no edition with id 7 (see `wire edition list`)"),
        (["edition", "draft", "--week", "2026-W60"], "Error: week '2026-W60' does not exist"),
    ],
)
def test_user_mistakes_are_one_line_and_status_2(run, args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert result.output.startswith(message)
    assert "Traceback" not in result.output


def test_bad_configuration_is_one_line(run, monkeypatch):
    monkeypatch.setenv("WIRE_CRAWL_PER_HOST", "lots")
    result = run("sources", "list")
    assert result.exit_code == 2
    assert result.output.strip() == "Error: WIRE_CRAWL_PER_HOST: expected int, got 'lots'"


def test_private_addresses_are_refused_by_default(run, monkeypatch):
    monkeypatch.delenv("WIRE_ALLOWED_HOSTS")
    result = run("sources", "add", "http://127.0.0.1:9/feed/", "--yes")
    assert result.exit_code == 2
    assert "loopback/private/reserved address; refused" in result.output


def test_subscribers_import_reports_bad_rows_and_keeps_good_ones(run, tmp_path):
    csv_file = tmp_path / "readers.csv"
    csv_file.write_text(
        "email,language,status,consent_date\na@example.org,fa,confirmed,2025-01-02\n"
        "broken,en,confirmed,2025-01-02\nb@example.org,de,confirmed,2025-01-03\n"
        "a@example.org,en,confirmed,2025-01-04\n"
    )
    result = run("subscribers", "import", str(csv_file))
    assert result.exit_code == 1
    assert "imported 2, skipped 2" in result.output
    assert "line 3: not an e-mail address: 'broken'" in result.output
    assert "line 5: a@example.org is already on line 2" in result.output
    exported = run("subscribers", "export").output.splitlines()
    assert exported == [
        "email,language,status,consent_date",
        "a@example.org,fa,confirmed,2025-01-02T00:00:00+00:00",
        "b@example.org,de,confirmed,2025-01-03T00:00:00+00:00",
    ]


def test_edition_draft_with_nothing_new_says_so(run):
    result = run("edition", "draft", "--week", "2026-W01")
    assert result.exit_code == 0
    assert result.output.strip() == "nothing new in 2026-W01: no edition drafted"


def test_db_migrate_and_backup(run, tmp_path):
    assert "schema version" in run("db", "migrate").output
    result = run("db", "backup", str(tmp_path / "copy.db"))
    assert result.exit_code == 0 and (tmp_path / "copy.db").stat().st_size > 0


def test_crawl_export_and_sources_list_on_the_demo_network(run, demo_network, monkeypatch):
    """`wire crawl` in its own process (Scrapy's reactor runs once per process), then the stable outputs."""
    import subprocess
    import sys

    monkeypatch.setenv("WIRE_ALLOW_PRIVATE_NETWORKS", "1")
    monkeypatch.setenv("WIRE_CRAWL_DELAY", "0")
    ids = []
    for partner in demo_network.partners[:3]:
        url = partner.feed_url or partner.home_url
        result = run("sources", "add", url, "--yes", "--name", partner.name)
        assert result.exit_code == 0, result.output
        ids.append(int(result.output.strip().splitlines()[-1]))  # the id is the last line on stdout
    crawl = subprocess.run([sys.executable, "-m", "wire", "crawl"], capture_output=True, text=True, timeout=300)
    assert crawl.returncode == 0, crawl.stderr
    for label in ("sources fetched", "sources not modified", "sources failed", "items new", "items updated", "bytes"):
        assert label in crawl.stdout
    exported = [json.loads(line) for line in run("items", "export", "--format", "jsonl").output.splitlines()]
    assert exported
    for record in exported:
        for field in (
            "id",
            "story_id",
            "source",
            "url",
            "canonical_url",
            "title",
            "published",
            "language",
            "summary",
            "text",
            "tags",
        ):
            assert field in record
        assert record["published"] is None or record["published"].endswith("+00:00")
        assert len(record["language"]) == 2
    listing = run("sources", "list", "--json").output.splitlines()
    rows = [json.loads(line) for line in listing]
    assert {row["id"] for row in rows} == set(ids)
    assert all(row["health"] == "ok" and row["items_7d"] >= 1 for row in rows)
