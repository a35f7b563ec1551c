"""The desk's guards, each test failing if its guard went: CSRF, cookie flags, revocable
sessions, lockout, admin-only pages, login everywhere, partners' HTML shown as text.

The walks over `app.url_map` cover every rule of the `desk` blueprint, so pages added
later (inbox, stories, composer, audit) are checked without changing these tests.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from click.testing import CliRunner

from aggregator.clustering import cluster_new_items
from aggregator.db import iso, utcnow
from aggregator.storage.items import save_item
from aggregator.storage.partners import ensure_partner
from aggregator.storage.sources import add_source, get_source
from aggregator.text import content_hash
from tests.conftest import make_config
from tests.wire.desk.conftest import PASSWORD, DeskClient
from wire.cli import cli

REFUSED = "Wrong address or password, or too many tries"
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def desk_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("desk.")]


def url_of(app, rule, ids: dict) -> str:
    values = {name: ids.get(name, 1) for name in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def session_cookie(client: DeskClient):
    return client.get_cookie("session")


# -- CSRF --------------------------------------------------------------------------------------------------------


def test_a_desk_post_without_the_csrf_token_is_refused_and_changes_nothing(desk_client, db):
    source = add_source(db, "http://127.0.0.1:1/feed/", "Partner", "feed")
    response = desk_client.post(f"/desk/sources/{source}/pause", csrf=False)
    assert response.status_code == 400
    assert get_source(db, source)["status"] == "active"
    response = desk_client.post("/desk/language", data={"language": "fa"}, csrf=False)
    assert response.status_code == 400
    assert '<html lang="en"' in desk_client.get("/desk/sources").get_data(as_text=True)
    # the same posts with the token in the X-CSRFToken header (what the desk's scripts send) go through
    assert desk_client.post(f"/desk/sources/{source}/pause").status_code == 303
    assert get_source(db, source)["status"] == "paused"


def test_the_login_form_needs_its_csrf_token_too(desk_app, db, editor_account):
    account = editor_account(db)
    client = desk_app.test_client()
    response = client.post("/login", data={"email": account.email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert client.get("/desk/sources").status_code == 302


# -- cookies -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("base_url, secure", [("http://127.0.0.1:8000", False), ("https://wire.example.org", True)])
def test_the_session_cookie_is_httponly_samesite_lax_and_secure_under_https(tmp_path, base_url, secure):
    from aggregator.db import open_db
    from tests.wire.desk.conftest import make_editor
    from wire.web import create_app

    config = make_config(tmp_path, base_url=base_url)
    account = make_editor(open_db(config.db))
    app = create_app(config)
    app.test_client_class = DeskClient
    client = app.test_client()
    client.get("/login")
    token = client.get("/login")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', token.get_data(as_text=True))
    assert csrf
    response = client.post(
        "/login", data={"email": account.email, "password": PASSWORD, "csrf_token": csrf.group(1)}, csrf=False
    )
    assert response.status_code == 303
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("session="), cookies  # no remember-me cookie
    flags = [part.strip().lower() for part in cookies[0].split(";")]
    assert "httponly" in flags and "samesite=lax" in flags
    assert ("secure" in flags) is secure


# -- sessions revoked on the server ------------------------------------------------------------------------------


def test_logout_revokes_the_session_so_a_replayed_cookie_is_refused(desk_app, desk_client):
    stolen = session_cookie(desk_client)
    assert stolen is not None
    assert desk_client.post("/logout").status_code == 303
    replay = desk_app.test_client()
    replay.set_cookie("session", stolen.value)
    response = replay.get("/desk/sources")
    assert response.status_code == 302 and "/login" in response.location


def test_wire_editors_remove_and_reset_log_the_editor_out(desk_client_for, config, monkeypatch):
    monkeypatch.setenv("WIRE_DB", str(config.db))
    monkeypatch.delenv("WIRE_CONFIG", raising=False)
    removed, reset = desk_client_for(), desk_client_for()
    assert removed.get("/desk/sources").status_code == reset.get("/desk/sources").status_code == 200
    assert CliRunner().invoke(cli, ["editors", "remove", removed.editor.email]).exit_code == 0
    new_password = "another long passphrase"
    result = CliRunner().invoke(
        cli, ["editors", "reset", reset.editor.email], input=f"{new_password}\n{new_password}\n"
    )
    assert result.exit_code == 0, result.output
    for client in (removed, reset):
        response = client.get("/desk/sources")
        assert response.status_code == 302 and "/login" in response.location


# -- failed logins ------------------------------------------------------------------------------------------------


def test_lockout_after_failed_logins_refuses_even_the_right_password_with_the_same_message(
    desk_app, db, editor_account
):
    account = editor_account(db)
    now = [utcnow()]
    desk_app.config["WIRE_CLOCK"] = lambda: now[0]
    client = desk_app.test_client()

    def attempt(password):
        response = client.log_in(account.email, password)
        if response.status_code == 401:
            assert REFUSED in response.get_data(as_text=True)
        return response.status_code

    assert attempt("wrong one") == attempt("wrong two") == 401
    assert attempt("wrong three") == 401
    assert attempt(PASSWORD) == 401  # the third failure makes the account wait 30 s: even the right one waits
    now[0] += timedelta(seconds=31)
    assert attempt("wrong four") == 401
    now[0] += timedelta(seconds=61)
    assert attempt("wrong five") == 401  # the fifth: locked for 15 minutes
    now[0] += timedelta(minutes=14)
    assert attempt(PASSWORD) == 401
    assert attempt("wrong during the lock") == 401
    now[0] += timedelta(minutes=2)
    assert attempt(PASSWORD) == 303
    failures = next(db.query("SELECT failed_logins FROM editors WHERE id = ?", [account.id]))["failed_logins"]
    assert failures == 0


def test_post_login_is_rate_limited_per_client(desk_app, db, editor_account):
    account = editor_account(db)
    desk_app.config["DESK_LOGIN_LIMIT"] = "3 per hour"
    client = desk_app.test_client()
    statuses = [client.log_in(f"nobody{n}@example.org", "whatever it is").status_code for n in range(3)]
    assert statuses == [401, 401, 401]
    assert client.log_in(account.email, PASSWORD).status_code == 429


# -- roles and login everywhere -----------------------------------------------------------------------------------

ADMIN_PAGES = ["/desk/editors", "/desk/subscribers/export.csv", "/desk/audit"]


def test_an_editor_gets_403_on_admin_pages(desk_app, desk_client, admin_client):
    present = [path for path in ADMIN_PAGES if any(rule.rule == path for rule in desk_app.url_map.iter_rules())]
    assert "/desk/editors" in present and "/desk/subscribers/export.csv" in present
    for path in present:
        assert desk_client.get(path).status_code == 403, path
        assert admin_client.get(path).status_code == 200, path
    response = desk_client.post("/desk/editors", data={"email": "new@example.org", "role": "admin"})
    assert response.status_code == 403


def test_every_desk_page_sends_a_logged_out_visitor_to_the_login(desk_app):
    client = desk_app.test_client()
    client.refresh_csrf()  # a valid token of an anonymous session: the login check is what refuses
    assert client.csrf_token
    rules = desk_rules(desk_app)
    assert len(rules) >= 8
    for rule in rules:
        url = url_of(desk_app, rule, {})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.location.startswith("/login"), (method, url)


# -- partners' HTML is text ---------------------------------------------------------------------------------------


@pytest.fixture
def hostile(db, config):
    """A partner, a source and an item whose names and title are HTML; clustered, and this week's edition drafted."""
    from newsletter.editions import draft_edition

    partner = ensure_partner(db, f"Partner {SCRIPT}")
    source = add_source(db, "http://127.0.0.1:1/feed/", f"Source {SCRIPT}", "feed", partner_id=partner)
    _, item = save_item(
        db,
        {
            "source_id": source,
            "guid": "g1",
            "url": "http://127.0.0.1:1/1",
            "canonical_url": "http://127.0.0.1:1/1",
            "title": f"Title {SCRIPT}",
            "text": f"Day 40 of the hunger strike in prison {SCRIPT}",
            "summary": f"Summary {SCRIPT}",
            "language": "en",
            "published_at": iso(utcnow()),
            "content_hash": content_hash("t", "x"),
        },
    )
    cluster_new_items(db, config.near_duplicate_threshold, config.containment_threshold, config.story_window_days)
    story = next(db.query("SELECT story_id FROM items WHERE story_id IS NOT NULL"))["story_id"]
    edition = draft_edition(db, config)
    db.execute("UPDATE sources SET last_error = ?, last_error_hint = ? WHERE id = ?", [SCRIPT, SCRIPT, source])
    return {"source_id": source, "item_id": item, "story_id": story, "edition_id": edition, "language": "en"}


#: Desk pages that show partners' item titles or source names, when their module is there.
SHOWS_PARTNER_TEXT = {
    "/desk/",
    "/desk/stories/<int:story_id>",
    "/desk/editions/<int:edition_id>",
    "/desk/editions/<int:edition_id>/preview/<language>",
    "/desk/sources",
    "/desk/sources/<int:source_id>",
}


def test_html_in_titles_and_names_shows_as_text_on_every_desk_page(desk_app, admin_client, hostile):
    """Every GET page of the desk, with stored HTML in a title and names, and HTML typed into its query string."""
    from urllib.parse import quote

    escaped_somewhere, present = set(), set()
    for rule in desk_rules(desk_app):
        if "GET" not in rule.methods:
            continue
        if rule.endpoint != "desk.home":  # the start page stands in for the inbox until it is there
            present.add(rule.rule)
        url = url_of(desk_app, rule, hostile)
        for query in ("", f"?q={quote(SCRIPT)}&language={quote(SCRIPT)}&status={quote(SCRIPT)}"):
            response = admin_client.get(url + query)
            assert response.status_code < 500, (url + query, response.status_code)
            body = response.get_data(as_text=True)
            assert "<script>alert" not in body, url + query
            assert "<img src=x onerror" not in body, url + query
            if "&lt;script&gt;" in body and not query:
                escaped_somewhere.add(rule.rule)
    assert SHOWS_PARTNER_TEXT & present <= escaped_somewhere
    assert {"/desk/sources", "/desk/sources/<int:source_id>"} <= escaped_somewhere
