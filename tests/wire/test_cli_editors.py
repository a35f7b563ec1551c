"""`wire editors add|list|remove|reset`: accounts for the desk, passwords never on the command line.

CliRunner feeds stdin as a pipe (not a terminal), so the password is read as two lines, the
way a script would give it. Every mistake is one line on stderr and status 2.
"""

import json

import pytest
from click.testing import CliRunner

from aggregator.accounts import authenticate, open_session, session_editor
from aggregator.db import open_db, utcnow
from tests.conftest import make_config
from wire.cli import cli

PASSWORD = "correct horse battery staple"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRE_DB", str(tmp_path / "wire.db"))
    monkeypatch.delenv("WIRE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return make_config(tmp_path)


def run(*args, stdin=None):
    return CliRunner().invoke(cli, list(args), input=stdin)


def twice(password=PASSWORD):
    return f"{password}\n{password}\n"


def one_line_error(result, contains):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and contains in lines[0], result.output
    assert "Traceback" not in result.output


def test_add_list_and_log_in(env):
    result = run("editors", "add", "Ayse@Example.org", "--admin", stdin=twice())
    assert result.exit_code == 0, result.output
    assert "ayse@example.org (admin)" in result.output
    assert run("editors", "add", "ali@example.org", "--language", "fa", stdin=twice()).exit_code == 0
    listing = [json.loads(line) for line in run("editors", "list", "--json").output.splitlines()]
    assert [(e["email"], e["role"], e["language"]) for e in listing] == [
        ("ayse@example.org", "admin", "en"),
        ("ali@example.org", "editor", "fa"),
    ]
    assert "password_hash" not in listing[0]
    db = open_db(env.db)
    editor = authenticate(db, "ali@example.org", PASSWORD, utcnow())
    assert editor is not None and editor.role == "editor" and editor.language == "fa"
    assert authenticate(db, "ali@example.org", "wrong password here", utcnow()) is None
    stored = next(db.query("SELECT password_hash FROM editors WHERE email = 'ali@example.org'"))["password_hash"]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(
    "args, stdin, contains",
    [
        (["add", "not-an-address"], twice(), "not an e-mail address"),
        (["add", "a@example.org"], f"{PASSWORD}\n{PASSWORD}x\n", "the two passwords differ"),
        (["add", "a@example.org"], f"{PASSWORD}\n", "give the password twice"),
        (["add", "a@example.org"], twice("short"), "too short"),
        (["add", "a@example.org", "--language", "xx"], twice(), "language 'xx'"),
        (["remove", "nobody@example.org"], None, "no editor with the address nobody@example.org"),
        (["reset", "nobody@example.org"], twice(), "no editor with the address nobody@example.org"),
    ],
)
def test_mistakes_are_one_line_and_status_2(env, args, stdin, contains):
    one_line_error(run("editors", *args, stdin=stdin), contains)
    assert run("editors", "list", "--json").output == ""  # nothing half-made


def test_adding_an_address_twice_is_refused(env):
    assert run("editors", "add", "a@example.org", stdin=twice()).exit_code == 0
    one_line_error(run("editors", "add", "A@example.org", stdin=twice()), "already an editor")


def test_remove_and_reset_revoke_sessions(env):
    run("editors", "add", "boss@example.org", "--admin", stdin=twice())
    run("editors", "add", "a@example.org", stdin=twice())
    db = open_db(env.db)
    editor = authenticate(db, "a@example.org", PASSWORD, utcnow())
    assert editor is not None
    token = open_session(db, editor, utcnow())
    assert session_editor(db, token, utcnow()) == editor

    result = run("editors", "reset", "a@example.org", stdin=twice("a brand new passphrase"))
    assert result.exit_code == 0 and "1 session(s) revoked" in result.output, result.output
    assert session_editor(db, token, utcnow()) is None
    assert authenticate(db, "a@example.org", PASSWORD, utcnow()) is None
    editor = authenticate(db, "a@example.org", "a brand new passphrase", utcnow())
    assert editor is not None
    token = open_session(db, editor, utcnow())

    result = run("editors", "remove", "a@example.org")
    assert result.exit_code == 0 and "1 session(s) revoked" in result.output, result.output
    assert session_editor(db, token, utcnow()) is None
    assert authenticate(db, "a@example.org", "a brand new passphrase", utcnow()) is None
    assert [json.loads(line)["email"] for line in run("editors", "list", "--json").output.splitlines()] == [
        "boss@example.org"
    ]
    one_line_error(run("editors", "remove", "boss@example.org"), "the last admin")
    audit = [row["action"] for row in db.query("SELECT action FROM audit_log WHERE actor = 'cli' ORDER BY id")]
    assert audit == ["editor added", "editor added", "editor password reset", "editor removed"]
