"""Every mistake a user can make on the command line is one line on stderr and exit status 2.

Each case here printed a Python traceback (or silently did something else) before; the
cases are the ones listed in issue 8, point 8. Servers and disks are real: a port held by
a socket of the test, `/dev/full` for a full disk, a regular file where a folder should be.
"""

import json
import os
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from aggregator.clustering import cluster_new_items
from aggregator.db import iso, open_db, utcnow
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source
from aggregator.text import content_hash
from newsletter.editions import draft_edition
from tests.conftest import make_config
from wire.cli import cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def env(tmp_path, monkeypatch):
    """The environment of a user with a database in tmp_path, for CliRunner and subprocesses alike."""
    values = {"WIRE_DB": str(tmp_path / "wire.db"), "WIRE_ALLOWED_HOSTS": "127.0.0.1"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("WIRE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return {**os.environ, "PYTHONPATH": ROOT}


def run(*args):
    return CliRunner().invoke(cli, list(args))


def wire(env, *args, timeout=60, **kwargs):
    """`python -m wire ARGS` in its own process: servers and full disks need a real one."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([sys.executable, "-m", "wire", *args], text=True, env=env, timeout=timeout, **kwargs)


def assert_one_line_status_2(result, starts_with):
    if isinstance(result, subprocess.CompletedProcess):
        output, code = result.stderr, result.returncode
    else:
        output, code = result.output, result.exit_code
    assert code == 2, output
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith(starts_with), output


@pytest.fixture
def seeded(env, tmp_path):
    """One source, two items this week, clustered, and this week's edition drafted: id 1."""
    config = make_config(tmp_path)
    db = open_db(config.db)
    source = add_source(db, "http://127.0.0.1:1/feed/", "Partner", "feed")
    for n, (title, text) in enumerate(
        [
            ("Day 40 of the hunger-strike", "Mahir Ekinci is on day 40 of his hunger strike in prison."),
            ("Trial of AND and NEAR", "The trial of the journalists was postponed again by the court."),
        ]
    ):
        save_item(
            db,
            {
                "source_id": source,
                "guid": f"g{n}",
                "url": f"http://127.0.0.1:1/{n}",
                "canonical_url": f"http://127.0.0.1:1/{n}",
                "title": title,
                "text": text,
                "summary": text[:40],
                "language": "en",
                "published_at": iso(utcnow()),
                "content_hash": content_hash(title, text),
            },
        )
    cluster_new_items(db, config.near_duplicate_threshold, config.containment_threshold, config.story_window_days)
    edition_id = draft_edition(db, config)
    db.conn.close()
    return edition_id


# ---------------------------------------------------------------- search
@pytest.mark.parametrize(
    "query, titles",
    [
        ("hunger-strike", ["Day 40 of the hunger-strike"]),
        ('"x', []),
        ("AND", ["Trial of AND and NEAR"]),
        ("NEAR(", ["Trial of AND and NEAR"]),
        ("hunger strike", ["Day 40 of the hunger-strike"]),
        ('"hunger strike"', ["Day 40 of the hunger-strike"]),
        ("hung*", ["Day 40 of the hunger-strike"]),
        ("*", []),
        ("'", []),
        ("title:day", []),
    ],
)
def test_items_search_accepts_what_people_type(seeded, query, titles):
    result = run("items", "list", "--search", query)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for title in titles:
        assert title.split()[0] in result.output


# ---------------------------------------------------------------- servers
@pytest.fixture
def busy_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_serve_on_a_busy_port(env, busy_port):
    result = wire(env, "serve", "--no-schedule", "--port", str(busy_port))
    assert_one_line_status_2(result, f"Error: cannot listen on 127.0.0.1:{busy_port}")


def test_mailsink_on_a_busy_port(env, busy_port, tmp_path):
    result = wire(env, "mailsink", "--port", str(busy_port), "--maildir", str(tmp_path / "maildir"))
    assert_one_line_status_2(result, f"Error: cannot listen on 127.0.0.1:{busy_port}")


@pytest.mark.parametrize("port", ["80000", "-1", "0", "http"])
def test_serve_refuses_a_port_out_of_range(env, port):
    result = wire(env, "serve", "--no-schedule", "--port", port, timeout=30)
    assert_one_line_status_2(result, "Error: Invalid value for '--port'")


# ---------------------------------------------------------------- files and disks
def test_edition_render_to_an_unwritable_place(seeded, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    result = run("edition", "render", str(seeded), "--out", str(tmp_path / "a-file" / "edition"))
    assert_one_line_status_2(result, f"Error: cannot write the edition to {tmp_path / 'a-file' / 'edition'}")


def test_edition_render_out_is_a_file(seeded):
    result = run("edition", "render", str(seeded), "--out", "/dev/full")
    assert_one_line_status_2(result, "Error: cannot write the edition to /dev/full: it exists and is not a directory")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_to_a_full_disk(seeded, env, fmt):
    result = wire(env, "items", "export", "--format", fmt, "--output", "/dev/full")
    assert_one_line_status_2(result, "Error: cannot write /dev/full: No space left on device")


def test_export_to_a_full_disk_through_stdout(seeded, env):
    with open("/dev/full", "w") as full:
        result = wire(env, "items", "export", stdout=full, stderr=subprocess.PIPE)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "Error: cannot write <stdout>: No space left on device"


def test_export_still_writes_every_field(seeded):
    records = [json.loads(line) for line in run("items", "export").output.splitlines()]
    assert len(records) == 2
    assert list(records[0]) == [
        "id",
        "story_id",
        "source",
        "source_id",
        "url",
        "canonical_url",
        "guid",
        "title",
        "author",
        "published",
        "fetched",
        "language",
        "summary",
        "text",
        "tags",
        "image_url",
    ]


# ---------------------------------------------------------------- configuration at start
def test_db_pointing_at_a_directory(env, tmp_path, monkeypatch):
    monkeypatch.setenv("WIRE_DB", str(tmp_path))
    result = run("sources", "list")
    assert_one_line_status_2(result, f"Error: db: {str(tmp_path)!r} is a directory")


def test_db_in_a_directory_that_does_not_exist(env, tmp_path, monkeypatch):
    monkeypatch.setenv("WIRE_DB", str(tmp_path / "nowhere" / "wire.db"))
    result = run("sources", "list")
    assert_one_line_status_2(result, f"Error: db: the directory {str(tmp_path / 'nowhere')!r} does not exist")
    assert not (tmp_path / "nowhere").exists()


def test_init_creates_the_database_directory(env, tmp_path, monkeypatch):
    monkeypatch.setenv("WIRE_DB", str(tmp_path / "data" / "wire.db"))
    result = run("init")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "wire.db").is_file()


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("WIRE_LANGUAGES", "en,xx", "Error: languages: unknown language code 'xx'"),
        ("WIRE_MAIL_FROM", "newsletter", "Error: mail_from: not an e-mail address"),
    ],
)
def test_bad_configuration_is_refused_at_start_with_the_key(env, monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    assert_one_line_status_2(run("sources", "list"), message)
