"""API tokens in the database: only a hash is kept, a new token revokes the old one, a revoked token finds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from aggregator import registrations as reg
from aggregator.storage.api_tokens import find_token, issue_token, revoke_tokens, token_hash

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
FIELDS = {
    "organisation": "Comité de apoyo",
    "website": "http://127.0.0.1:9/",
    "contact_email": "apoyo@comite.example",
    "languages": ["es"],
}
REPORT = {
    "url": "http://127.0.0.1:9/feed/",
    "final_url": "http://127.0.0.1:9/feed/",
    "feeds": [{"url": "http://127.0.0.1:9/feed/", "kind": "RSS", "format": "rss20", "title": "x", "entries": 1}],
    "problems": [],
    "feed_url": "http://127.0.0.1:9/feed/",
    "kind": "feed",
}


def test_issue_find_rotate_revoke(db):
    clean, errors = reg.check_registration(FIELDS)
    assert errors == []
    registration = reg.create_registration(db, clean, REPORT, "es", NOW)
    first = issue_token(db, registration["id"], NOW)
    assert first.startswith("sw_") and len(first) > 40
    stored = [row["token_hash"] for row in db.query("SELECT token_hash FROM api_tokens")]
    assert stored == [token_hash(first)] and first not in stored
    assert find_token(db, first)["registration_id"] == registration["id"]
    second = issue_token(db, registration["id"], NOW)
    assert find_token(db, first) is None and find_token(db, second) is not None
    assert revoke_tokens(db, registration["id"], NOW) == 1
    assert find_token(db, second) is None
    assert find_token(db, "sw_" + "x" * 43) is None and find_token(db, "not-ours") is None


def test_cli_replaces_and_revokes_a_partners_token(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from aggregator.db import open_db
    from wire.cli import cli

    monkeypatch.setenv("WIRE_DB", str(tmp_path / "wire.db"))
    monkeypatch.delenv("WIRE_CONFIG", raising=False)
    db = open_db(tmp_path / "wire.db")
    clean, _errors = reg.check_registration(FIELDS)
    registration = reg.create_registration(db, clean, REPORT, "es", NOW)
    old = issue_token(db, registration["id"], NOW)

    replaced = CliRunner().invoke(cli, ["partners", "token", "APOYO@comite.example"])
    assert replaced.exit_code == 0, replaced.output
    new = replaced.stdout.strip()
    assert new.startswith("sw_") and new != old
    assert find_token(db, old) is None and find_token(db, new)["registration_id"] == registration["id"]

    revoked = CliRunner().invoke(cli, ["partners", "token", "apoyo@comite.example", "--revoke"])
    assert revoked.exit_code == 0 and "1 token(s) revoked" in revoked.stdout
    assert find_token(db, new) is None

    unknown = CliRunner().invoke(cli, ["partners", "token", "nobody@example.org"])
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("Error: no partner registration with the contact address 'nobody@example.org'")
    db.conn.close()
