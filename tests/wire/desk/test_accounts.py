"""Logging in and out of the desk through the real app: form, session, redirects, language."""

from __future__ import annotations

import re

import pytest

from tests.wire.desk.conftest import PASSWORD, csrf_from


def test_log_in_reach_the_desk_log_out_and_be_kept_out(desk_app, db, editor_account):
    account = editor_account(db, email="Ayse@Example.org")
    client = desk_app.test_client()
    assert client.get("/desk/").status_code == 302
    response = client.log_in("ayse@example.org", PASSWORD)
    assert response.status_code == 303 and response.location.endswith("/desk/")
    page = client.get("/desk/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert account.email in html and "Log out" in html
    assert page.headers["Cache-Control"] == "no-store"

    assert client.post("/logout").status_code == 303
    response = client.get("/desk/")
    assert response.status_code == 302 and "/login" in response.location


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(desk_app, db, editor_account):
    editor_account(db, email="ayse@example.org")
    client = desk_app.test_client()
    wrong = client.log_in("ayse@example.org", "not the password at all")
    unknown = client.log_in("nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    message = "Wrong address or password, or too many tries"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert client.get("/desk/").status_code == 302


@pytest.mark.parametrize(
    "target, lands_on",
    [("/desk/sources", "/desk/sources"), ("https://elsewhere.example/", "/desk/"), ("//elsewhere.example/", "/desk/")],
)
def test_login_goes_back_to_the_desk_page_asked_for_and_never_elsewhere(desk_app, db, editor_account, target, lands_on):
    account = editor_account(db)
    client = desk_app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    form = {"email": account.email, "password": PASSWORD, "csrf_token": token, "next": target}
    response = client.post("/login", data=form, csrf=False)
    assert response.status_code == 303 and response.location == lands_on


def test_the_desk_speaks_the_editors_language_right_to_left_for_persian(desk_client_for, db):
    client = desk_client_for(language="fa")
    html = client.get("/desk/sources").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in html
    response = client.post("/desk/language", data={"language": "tr", "next": "/desk/sources"})
    assert response.status_code == 303 and response.location == "/desk/sources"
    assert '<html lang="tr" dir="ltr">' in client.get("/desk/sources").get_data(as_text=True)
    response = client.post("/desk/language", data={"language": "xx", "next": "https://elsewhere.example/"})
    assert response.status_code == 303 and response.location == "/desk/"
    assert '<html lang="tr" dir="ltr">' in client.get("/desk/sources").get_data(as_text=True)
    logged = list(db.query("SELECT actor, detail FROM audit_log WHERE action = 'editor language'"))
    assert logged == [{"actor": client.editor.email, "detail": '{"language": "tr"}'}]


def test_an_admin_adds_resets_and_removes_editors_with_one_time_passwords(admin_client, desk_app, db):
    response = admin_client.post("/desk/editors", data={"email": "New@Example.org", "role": "editor", "language": "fa"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    first = re.search(r'<code class="one-time-password" dir="ltr">([^<]+)</code>', html).group(1)
    newcomer = desk_app.test_client()
    assert newcomer.log_in("new@example.org", first).status_code == 303
    assert '<html lang="fa" dir="rtl">' in newcomer.get("/desk/sources").get_data(as_text=True)
    assert admin_client.get_cookie("session") is not None
    assert "one-time-password" not in admin_client.get("/desk/editors").get_data(as_text=True)  # shown once

    response = admin_client.post("/desk/editors", data={"email": "new@example.org", "role": "editor", "language": "en"})
    assert response.status_code == 400 and "already an editor" in response.get_data(as_text=True)

    html = admin_client.post("/desk/editors/reset", data={"email": "new@example.org"}).get_data(as_text=True)
    second = re.search(r'<code class="one-time-password" dir="ltr">([^<]+)</code>', html).group(1)
    assert second != first
    assert newcomer.get("/desk/sources").status_code == 302  # the reset ended the session
    assert newcomer.log_in("new@example.org", second).status_code == 303

    assert admin_client.post("/desk/editors/remove", data={"email": "new@example.org"}).status_code == 303
    assert newcomer.get("/desk/sources").status_code == 302
    response = admin_client.post("/desk/editors/remove", data={"email": "admin@example.org"})
    assert response.status_code == 400 and "the last admin" in response.get_data(as_text=True)
    actions = [
        (row["actor"], row["action"])
        for row in db.query("SELECT actor, action FROM audit_log WHERE entity = 'editor' AND actor != 'test'")
    ]
    assert actions == [
        ("admin@example.org", "editor added"),
        ("admin@example.org", "editor password reset"),
        ("admin@example.org", "editor removed"),
    ]
