"""`wire partners list|approve|reject`: decisions stored, partners told by e-mail in their language (a real
aiosmtpd server counts the messages), mistakes one line on stderr with status 2, partners' text shown as text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from aggregator import registrations as reg
from aggregator.db import open_db
from wire.cli import cli

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>[bold]x[/bold]"


@pytest.fixture
def env(tmp_path, monkeypatch, mail_sink):
    monkeypatch.setenv("WIRE_DB", str(tmp_path / "wire.db"))
    monkeypatch.setenv("WIRE_SMTP_URL", mail_sink.url)
    monkeypatch.setenv("WIRE_BASE_URL", "http://wire.example")
    monkeypatch.delenv("WIRE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    db = open_db(tmp_path / "wire.db")
    yield db
    db.conn.close()


def run(*args, **env):
    return CliRunner().invoke(cli, list(args), env=env or None)


def pending(db, organisation="Comité de soutien", language="fr", url="http://127.0.0.1:9/feed/", **fields):
    clean, errors = reg.check_registration(
        {
            "organisation": organisation,
            "website": "http://127.0.0.1:9/",
            "contact_email": "contact@comite.example",
            "feed_url": url,
            "languages": [language],
            **fields,
        }
    )
    assert errors == []
    report = {
        "url": url,
        "final_url": url,
        "title": organisation,
        "feeds": [{"url": url, "kind": "RSS", "format": "rss20", "title": "", "entries": 1}],
        "items": [],
        "problems": [],
        "feed_url": url,
        "kind": "feed",
    }
    row = reg.create_registration(db, clean, report, language, NOW)
    reg.submit_registration(db, row["id"])
    return reg.confirm_registration(db, row["id"], NOW)


def one_line_error(result, contains):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and contains in lines[0], result.output


def test_approve_creates_partner_and_source_and_mails_the_partner_in_their_language(env, mail_sink):
    row = pending(env)
    result = run("partners", "approve", str(row["id"]))
    assert result.exit_code == 0, result.output
    assert f"registration {row['id']}: approved" in result.output
    source = next(env.query("SELECT * FROM sources"))
    assert (source["url"], source["kind"], source["status"]) == ("http://127.0.0.1:9/feed/", "feed", "active")
    [message] = mail_sink.messages()
    assert message["To"] == "contact@comite.example" and message["Content-Language"] == "fr"
    body = message.get_payload(decode=True).decode()
    assert "http://wire.example/partners/page/" in body
    assert "An editor approved" not in body  # French, not the English source


def test_reject_sends_the_reason(env, mail_sink):
    row = pending(env, language="en")
    result = run("partners", "reject", str(row["id"]), "--reason", "We collect news about political prisoners only.")
    assert result.exit_code == 0, result.output
    [message] = mail_sink.messages()
    assert "We collect news about political prisoners only." in message.get_payload(decode=True).decode()
    assert env.execute("SELECT count(*) FROM partners").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("args", "contains"),
    [
        (("partners", "approve", "99"), "no partner registration with id 99"),
        (("partners", "reject", "99", "--reason", "x"), "no partner registration with id 99"),
        (("partners", "reject", "1"), "Missing option '--reason'"),
        (("partners", "list", "--status", "lost"), "Invalid value for '--status'"),
    ],
)
def test_mistakes_are_one_line_with_status_2(env, mail_sink, args, contains):
    pending(env)
    one_line_error(run(*args), contains)
    assert mail_sink.messages() == []


def test_deciding_twice_is_refused(env, mail_sink):
    row = pending(env)
    assert run("partners", "approve", str(row["id"])).exit_code == 0
    one_line_error(run("partners", "reject", str(row["id"]), "--reason", "no"), "is approved")
    assert len(mail_sink.messages()) == 1


def test_script_payloads_are_shown_as_text_in_the_list_and_the_mail(env, mail_sink):
    row = pending(
        env,
        organisation=PAYLOAD,
        language="en",
        description="javascript:alert(3) " + PAYLOAD,
        countries=PAYLOAD[:60],
    )
    result = run("partners", "list", COLUMNS="1000")  # wide enough that rich does not fold the cells
    assert result.exit_code == 0, result.output
    flat = result.output
    assert "<script>alert(1)</script>" in flat and "[bold]x[/bold]" in flat  # text, not markup for rich either
    listing = json.loads(run("partners", "list", "--json").output.splitlines()[0])
    assert listing["organisation"] == PAYLOAD
    assert run("partners", "reject", str(row["id"]), "--reason", PAYLOAD).exit_code == 0
    [message] = mail_sink.messages()
    assert message.get_content_type() == "text/plain"
    body = message.get_payload(decode=True).decode()
    assert PAYLOAD in body  # a plain-text mail shows the name and the reason as they were typed
