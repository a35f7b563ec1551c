"""Fixtures for the editors' desk: accounts, logged-in test clients, a logged-in Chromium page.

    editor_account(db, email=..., password=PASSWORD, admin=False, language="en")
        a factory: creates the account through `aggregator.accounts.add_account` (what
        `wire editors add` calls) and returns it as a SimpleNamespace with
        .id .email .password .role .language .is_admin
    desk_app
        the web app (`create_app(config)`) with CSRF on, as in production; set
        `desk_app.config["WIRE_CLOCK"]` to move time
    desk_client_for(email=None, admin=False, language="en")
        a factory: a new `DeskClient` logged in as a new account (through POST /login)
    desk_client / admin_client
        `desk_client_for()` as an editor / as an admin; `.editor` is the account
    desk_page
        a Playwright page (one new browser context) logged in as an editor on `live_app`;
        the context's base_url is the live app, so `desk_page.goto("/desk/sources")` works;
        `desk_page.editor` is the account

A `DeskClient` sends the CSRF token as the `X-CSRFToken` header on every POST (read from the
`csrf-token` meta tag of desk/base.html after logging in, the way the desk's scripts do);
`client.post(url, data=..., csrf=False)` sends none, to see a request refused. Call
`client.refresh_csrf()` after something clears the session (a new login).
"""

from __future__ import annotations

import itertools
import re
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient

from aggregator.accounts import add_account, editor_email
from aggregator.db import utcnow

PASSWORD = "a long enough test passphrase"
_numbers = itertools.count(1)


def make_editor(db, email=None, password=PASSWORD, admin=False, language="en"):
    email = editor_email(email or f"editor{next(_numbers)}@example.org")
    editor_id = add_account(db, email, password, admin=admin, language=language, actor="test", now=utcnow())
    role = "admin" if admin else "editor"
    return SimpleNamespace(id=editor_id, email=email, password=password, role=role, language=language, is_admin=admin)


@pytest.fixture
def editor_account():
    """A factory: `editor_account(db, email=..., password=..., admin=False, language="en")`."""
    return make_editor


def csrf_from(html: str) -> str | None:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    return match.group(1) if match else None


class DeskClient(FlaskClient):
    """Flask's test client that logs in through the form and sends the CSRF header on POSTs."""

    csrf_token: str | None = None
    editor: SimpleNamespace | None = None

    def open(self, *args, csrf=True, **kwargs):
        method = str(kwargs.get("method", "GET")).upper()
        if csrf and self.csrf_token and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token)
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def log_in(self, email: str, password: str):
        """POST /login with the form's own CSRF token; returns the response (303 on success)."""
        token = csrf_from(self.get("/login").get_data(as_text=True))
        response = self.post("/login", data={"email": email, "password": password, "csrf_token": token}, csrf=False)
        self.refresh_csrf()
        return response

    def refresh_csrf(self) -> None:
        """Read the session's CSRF token from a desk page (or the login page when logged out)."""
        response = self.get("/desk/sources")
        if response.status_code != 200:
            response = self.get("/login")
        self.csrf_token = csrf_from(response.get_data(as_text=True))


@pytest.fixture
def desk_app(config):
    from wire.web import create_app

    app = create_app(config)
    app.test_client_class = DeskClient
    return app


@pytest.fixture
def desk_client_for(desk_app, db):
    def client(email=None, admin=False, language="en") -> DeskClient:
        account = make_editor(db, email, admin=admin, language=language)
        desk = desk_app.test_client()
        assert isinstance(desk, DeskClient)
        response = desk.log_in(account.email, account.password)
        assert response.status_code == 303, response.get_data(as_text=True)
        desk.editor = account
        return desk

    return client


@pytest.fixture
def desk_client(desk_client_for):
    return desk_client_for()


@pytest.fixture
def admin_client(desk_client_for):
    return desk_client_for(email="admin@example.org", admin=True)


@pytest.fixture
def desk_page(browser, live_app, db):
    account = make_editor(db)
    context = browser.new_context(base_url=live_app.url)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", account.email)
    page.fill("input[name=password]", account.password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r"/desk/"))
    page.editor = account
    yield page
    context.close()
