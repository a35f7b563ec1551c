"""The partner API through the Flask client: real site checks over HTTP on 127.0.0.1, a real SMTP server.

A partner's feed is a small RSS file served by `static_site`; the confirmation e-mail is
read from aiosmtpd (`mail_sink`); the editor's approval is the library call that
`wire partners approve` makes. Every abuse case here fails if its guard goes.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from aggregator import registrations as reg
from aggregator.db import open_db
from aggregator.storage.registrations import get_registration
from aggregator.storage.sources import get_source
from tests.conftest import make_config

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def rss(title: str) -> bytes:
    items = "".join(
        f"<item><title>{title} {n}: hunger strike, day {100 + n}</title>"
        f"<link>http://example.org/{title}/{n}</link><pubDate>Mon, 1{n} Nov 2026 10:00:00 GMT</pubDate>"
        "<description>Prisoners in isolation began a hunger strike; their families ask for visits.</description>"
        "</item>"
        for n in range(3)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.org/</link><description>d</description>{items}</channel></rss>"
    ).encode()


FEED = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture
def feeds(static_site):
    """Three partners' feeds on one loopback site."""
    return static_site(
        {
            "/one.xml": (200, FEED, rss("one")),
            "/two.xml": (200, FEED, rss("two")),
            "/three.xml": (200, FEED, rss("three")),
            "/robots.txt": (200, {"Content-Type": "text/plain"}, b""),
        }
    )


def make_app(tmp_path, mail_sink=None, **overrides):
    from wire.web import create_app

    config = make_config(tmp_path, **({"smtp_url": mail_sink.url} if mail_sink else {}), **overrides)
    app = create_app(config)
    app.config["WIRE_CLOCK"] = lambda: NOW
    return app, config


@pytest.fixture
def api(tmp_path, mail_sink):
    app, config = make_app(tmp_path, mail_sink)
    db = open_db(config.db)
    yield app.test_client(), db
    db.conn.close()


def fields(url: str, **changes) -> dict:
    return {
        "organisation": "Comité de apoyo a los presos",
        "website": url.rsplit("/", 1)[0] + "/",
        "contact_email": "apoyo@comite.example",
        "feed_url": url,
        "languages": ["es"],
        "countries": "España, Euskal Herria",
        "description": "Noticias de presos en huelga de hambre.",
        **changes,
    }


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def register(client, url: str, **changes):
    return client.post("/api/v1/registrations", json=fields(url, **changes))


def confirm_code(client, db, registration_id: int) -> str:
    """The code of the confirmation link the registration's e-mail carries (signed at the app's clock)."""
    secret = client.application.config["SECRET_KEY"]
    return reg.confirm_code(secret, get_registration(db, registration_id), NOW)


def approved(client, db, url: str, **changes) -> tuple[int, str]:
    """Register by the API, confirm with the e-mailed code, approve as an editor would; return (id, token)."""
    answer = register(client, url, **changes)
    assert answer.status_code == 201, answer.json
    registration_id, token = answer.json["registration"]["id"], answer.json["token"]
    confirmed = client.post(
        f"/api/v1/registrations/{registration_id}/confirmation",
        json={"code": confirm_code(client, db, registration_id)},
        headers=bearer(token),
    )
    assert confirmed.status_code == 200, confirmed.json
    reg.approve_registration(db, registration_id, "editor", NOW)
    return registration_id, token


def test_register_status_add_change_withdraw(api, feeds, mail_sink):
    client, db = api
    answer = register(client, f"{feeds.url}/one.xml", ui_language="es")
    assert answer.status_code == 201, answer.json
    assert answer.mimetype == "application/json" and answer.headers["Cache-Control"] == "no-store"
    body = answer.json
    registration_id, token = body["registration"]["id"], body["token"]
    assert body["registration"]["status"] == "unconfirmed"
    assert body["preview"]["kind"] == "feed" and len(body["preview"]["items"]) == 3
    assert token.startswith("sw_") and token not in json.dumps(list(db.query("SELECT * FROM api_tokens")))

    # the confirmation goes to the contact address, in the language asked for, with the form's link
    (message,) = mail_sink.messages()
    mail = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert mail["To"] == "apoyo@comite.example" and mail["Content-Language"] == "es"
    link = re.search(r"http://\S+/partners/confirm/(\S+)", mail.get_content())
    assert link and reg.read_confirm_code(db, client.application.config["SECRET_KEY"], link.group(1), NOW, 3600)

    status = client.get(f"/api/v1/registrations/{registration_id}", headers=bearer(token))
    assert status.status_code == 200 and status.json["status"] == "unconfirmed" and status.json["sources"] == []
    add = f"/api/v1/registrations/{registration_id}/sources"
    unverified = client.post(add, json={"feed_url": f"{feeds.url}/two.xml"}, headers=bearer(token))
    assert unverified.status_code == 403 and unverified.json["errors"][0]["code"] == "unverified_token"

    # the address's owner shows the e-mailed code (here the whole link, pasted) with the token
    confirmation = f"/api/v1/registrations/{registration_id}/confirmation"
    wrong = client.post(confirmation, json={"code": link.group(1)[:-2] + "xx"}, headers=bearer(token))
    assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "code"
    confirmed = client.post(confirmation, json={"code": link.group(0)}, headers=bearer(token))
    assert confirmed.status_code == 200 and confirmed.json["status"] == "pending"
    early = client.post(add, json={"feed_url": f"{feeds.url}/two.xml"}, headers=bearer(token))
    assert early.status_code == 409 and early.json["errors"][0]["code"] == "not_approved"

    reg.approve_registration(db, registration_id, "editor", NOW)
    status = client.get(f"/api/v1/registrations/{registration_id}", headers=bearer(token)).json
    assert status["status"] == "approved"
    (source,) = status["sources"]
    assert source["url"] == f"{feeds.url}/one.xml" and source["status"] == "active" and source["items_total"] == 0

    added = client.post(
        f"/api/v1/registrations/{registration_id}/sources",
        json={"feed_url": f"{feeds.url}/two.xml", "language": "eu", "name": "Euskaraz"},
        headers=bearer(token),
    )
    assert added.status_code == 201, added.json
    assert added.json["name"] == "Euskaraz" and added.json["language"] == "eu"

    changed = client.patch(
        f"/api/v1/registrations/{registration_id}/sources/{source['id']}",
        json={"feed_url": f"{feeds.url}/three.xml"},
        headers=bearer(token),
    )
    assert changed.status_code == 200, changed.json
    assert get_source(db, source["id"])["url"] == f"{feeds.url}/three.xml"

    withdrawn = client.delete(
        f"/api/v1/registrations/{registration_id}/sources/{added.json['id']}", headers=bearer(token)
    )
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "paused" and withdrawn.json["withdrawn_at"]
    statuses = {
        s["id"]: s["status"]
        for s in client.get(f"/api/v1/registrations/{registration_id}", headers=bearer(token)).json["sources"]
    }
    assert statuses == {source["id"]: "active", added.json["id"]: "paused"}


def test_tokens_absent_wrong_revoked_rotated(api, feeds):
    client, db = api
    registration_id, token = approved(client, db, f"{feeds.url}/one.xml")
    url = f"/api/v1/registrations/{registration_id}"
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, bearer("sw_" + "A" * 43), bearer(token + "x")):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert answer.json["errors"][0]["field"] == "Authorization"
    rotated = client.post(f"{url}/token", headers=bearer(token))
    assert rotated.status_code == 201
    new = rotated.json["token"]
    assert client.get(url, headers=bearer(token)).status_code == 401
    assert client.get(url, headers=bearer(new)).status_code == 200
    assert client.delete(f"{url}/token", headers=bearer(new)).status_code == 204
    assert client.get(url, headers=bearer(new)).status_code == 401


def test_a_lost_token_is_replaced_with_the_partner_page_link(api, feeds):
    """The page link (e-mailed with the approval, or anew from /partners/link) gives a verified token."""
    from aggregator.storage.registrations import get_partner
    from newsletter.partner_mail import page_url

    client, db = api
    registration_id, old = approved(client, db, f"{feeds.url}/one.xml")
    secret = client.application.config["SECRET_KEY"]
    partner = get_partner(db, get_registration(db, registration_id)["partner_id"])
    link = page_url(client.application.config["WIRE"], secret, partner)
    answer = client.post("/api/v1/tokens", json={"page_link": link})
    assert answer.status_code == 201, answer.json
    assert answer.json["registration_id"] == registration_id
    new = answer.json["token"]
    assert client.get(f"/api/v1/registrations/{registration_id}", headers=bearer(old)).status_code == 401
    source = client.get(f"/api/v1/registrations/{registration_id}", headers=bearer(new)).json["sources"][0]
    withdrawn = client.delete(f"/api/v1/registrations/{registration_id}/sources/{source['id']}", headers=bearer(new))
    assert withdrawn.status_code == 200  # the new token is tied to the address: it may change sources

    reg.revoke_page_links(db, partner["id"])  # a newer link was sent: this one is dead
    for page_link in (link, link[:-3] + "abc", "", "https://elsewhere.example/partners/page/x"):
        refused = client.post("/api/v1/tokens", json={"page_link": page_link})
        assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "page_link", page_link


def test_another_partners_token_finds_nothing(api, feeds):
    client, db = api
    mine, my_token = approved(client, db, f"{feeds.url}/one.xml")
    theirs, their_token = approved(
        client, db, f"{feeds.url}/two.xml", organisation="Rote Hilfe", contact_email="kontakt@rote.example"
    )
    their_source = client.get(f"/api/v1/registrations/{theirs}", headers=bearer(their_token)).json["sources"][0]
    my_source = client.get(f"/api/v1/registrations/{mine}", headers=bearer(my_token)).json["sources"][0]
    for method, path, body in [
        ("get", f"/api/v1/registrations/{theirs}", None),
        ("post", f"/api/v1/registrations/{theirs}/sources", {"feed_url": f"{feeds.url}/three.xml"}),
        (
            "patch",
            f"/api/v1/registrations/{theirs}/sources/{their_source['id']}",
            {"feed_url": f"{feeds.url}/three.xml"},
        ),
        ("delete", f"/api/v1/registrations/{theirs}/sources/{their_source['id']}", None),
        ("post", f"/api/v1/registrations/{theirs}/token", None),
        # my registration, their source
        ("patch", f"/api/v1/registrations/{mine}/sources/{their_source['id']}", {"feed_url": f"{feeds.url}/three.xml"}),
        ("delete", f"/api/v1/registrations/{mine}/sources/{their_source['id']}", None),
    ]:
        answer = getattr(client, method)(path, json=body, headers=bearer(my_token))
        assert answer.status_code == 404, (method, path, answer.json)
        assert answer.json["errors"][0]["code"] == "not_found"
    assert get_source(db, their_source["id"])["url"] == f"{feeds.url}/two.xml"
    assert get_source(db, their_source["id"])["status"] == "active"
    assert my_source["id"] != their_source["id"]


def test_a_token_not_tied_to_the_address_cannot_change_sources(api, feeds):
    """Someone registers with another's address; the owner confirms by the web link, an editor approves:
    the registrant's token reads the status but cannot change, add or withdraw a source."""
    client, db = api
    answer = register(client, f"{feeds.url}/one.xml")
    registration_id, token = answer.json["registration"]["id"], answer.json["token"]
    reg.confirm_registration(db, registration_id, NOW)  # what the owner's click on the e-mailed link does
    reg.approve_registration(db, registration_id, "editor", NOW)
    status = client.get(f"/api/v1/registrations/{registration_id}", headers=bearer(token))
    assert status.status_code == 200
    (source,) = status.json["sources"]
    base = f"/api/v1/registrations/{registration_id}/sources"
    for method, path, body in [
        ("post", base, {"feed_url": f"{feeds.url}/two.xml"}),
        ("patch", f"{base}/{source['id']}", {"feed_url": f"{feeds.url}/two.xml"}),
        ("delete", f"{base}/{source['id']}", None),
    ]:
        refused = getattr(client, method)(path, json=body, headers=bearer(token))
        assert refused.status_code == 403 and refused.json["errors"][0]["code"] == "unverified_token", method
    rotated = client.post(f"/api/v1/registrations/{registration_id}/token", headers=bearer(token)).json["token"]
    refused = client.delete(f"{base}/{source['id']}", headers=bearer(rotated))
    assert refused.status_code == 403  # a new token from an unverified one is not verified either
    assert get_source(db, source["id"])["status"] == "active"
    assert get_source(db, source["id"])["url"] == f"{feeds.url}/one.xml"


def test_oversize_and_non_json_bodies(api):
    client, _db = api
    big = client.post("/api/v1/registrations", data="{" + " " * 40_000 + "}", content_type="application/json")
    assert big.status_code == 413 and big.json["errors"][0]["code"] == "too_large"
    for data, content_type in [("organisation=x", "application/x-www-form-urlencoded"), ("{}", "text/plain")]:
        answer = client.post("/api/v1/registrations", data=data, content_type=content_type)
        assert answer.status_code == 415 and answer.json["errors"][0]["field"] == "Content-Type"
    broken = client.post("/api/v1/registrations", data='{"organisation": ', content_type="application/json")
    assert broken.status_code == 400 and broken.json["errors"][0]["code"] == "not_json"
    array = client.post("/api/v1/registrations", json=["not", "an", "object"])
    assert array.status_code == 422 and array.json["errors"][0]["code"] == "not_an_object"


@pytest.mark.parametrize(
    "changes, field, code",
    [
        ({"organisation": ""}, "organisation", "required"),
        ({"organisation": "x" * 201}, "organisation", "too_long"),
        ({"website": "ftp://files.example/"}, "website", "not_http"),
        ({"website": "javascript:alert(1)"}, "website", "not_http"),
        ({"contact_email": "not an address"}, "contact_email", "not_email"),
        ({"contact_email": ""}, "contact_email", "required"),
        ({"feed_url": "file:///etc/passwd"}, "feed_url", "not_http"),
        ({"feed_url": "http://x.example/" + "a" * 1000}, "feed_url", "too_long"),
        ({"languages": []}, "languages", "required"),
        ({"languages": ["xx"]}, "languages", "unknown_language"),
        ({"languages": "es"}, "languages", "wrong_type"),
        ({"languages": [1]}, "languages", "wrong_type"),
        ({"countries": "x" * 301}, "countries", "too_long"),
        ({"description": "x" * 1001}, "description", "too_long"),
        ({"description": 42}, "description", "wrong_type"),
        ({"ui_language": "xx"}, "ui_language", "unknown_language"),
        ({"is_admin": True}, "is_admin", "unknown_field"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_each_field_error_is_named(api, changes, field, code):
    client, db = api
    answer = register(client, "http://127.0.0.1:9/feed.xml", **changes)
    assert answer.status_code == 422, answer.json
    assert {"field": field, "code": code} in [{"field": e["field"], "code": e["code"]} for e in answer.json["errors"]]
    assert all(e["message"] for e in answer.json["errors"])
    assert list(db.query("SELECT id FROM partner_registrations")) == []


@pytest.mark.parametrize(
    ("feed_url", "code", "message"),
    [
        ("", "required", "feed_url: required"),
        ("ftp://files.example/feed", "not_http", "feed_url: only http:// and https:// addresses"),
        ("http://x.example/" + "a" * 1000, "too_long", "feed_url: at most 1000 characters"),
    ],
)
def test_a_bad_feed_address_to_add_or_change_is_one_json_error_naming_the_field(api, feeds, feed_url, code, message):
    client, db = api
    registration_id, token = approved(client, db, f"{feeds.url}/one.xml")
    [source] = client.get(f"/api/v1/registrations/{registration_id}", headers=bearer(token)).json["sources"]
    base = f"/api/v1/registrations/{registration_id}/sources"
    for method, path in [("post", base), ("patch", f"{base}/{source['id']}")]:
        answer = getattr(client, method)(path, json={"feed_url": feed_url}, headers=bearer(token))
        assert answer.status_code == 422, (method, answer.json)
        assert answer.json == {"errors": [{"field": "feed_url", "code": code, "message": message}]}, method
    assert [row["url"] for row in db.query("SELECT url FROM sources")] == [f"{feeds.url}/one.xml"]


def test_script_payloads_are_stored_as_text_and_returned_escaped(api, feeds):
    client, db = api
    answer = register(
        client,
        f"{feeds.url}/one.xml",
        organisation=f"Org {SCRIPT}",
        countries=SCRIPT,
        description=f"{SCRIPT} & more",
    )
    assert answer.status_code == 201, answer.json
    raw = answer.get_data(as_text=True)
    assert "<script>" not in raw and "<img" not in raw and "\\u003cscript\\u003e" in raw
    registration = answer.json["registration"]
    assert registration["organisation"] == f"Org {SCRIPT}" and registration["description"] == f"{SCRIPT} & more"
    assert get_registration(db, registration["id"])["countries"] == SCRIPT
    status = client.get(f"/api/v1/registrations/{registration['id']}", headers=bearer(answer.json["token"]))
    assert "<script>" not in status.get_data(as_text=True) and status.json["countries"] == SCRIPT


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/one.xml",
        "http://localhost:{port}/one.xml",
        "http://10.1.2.3/feed/",
        "http://[::1]:{port}/one.xml",
    ],
)
def test_private_and_loopback_feeds_refused_without_the_allowance(tmp_path, feeds, url):
    app, config = make_app(tmp_path, allow_private_networks=False, allowed_hosts=())
    port = feeds.url.rsplit(":", 1)[1]
    answer = app.test_client().post("/api/v1/registrations", json=fields(url.format(port=port)))
    assert answer.status_code == 422, answer.json
    (error,) = answer.json["errors"]
    assert error["field"] == "feed_url" and "nothing to register" in error["message"]
    assert feeds.requests == []  # nothing was fetched from the loopback site
    db = open_db(config.db)
    assert list(db.query("SELECT id FROM partner_registrations")) == []
    db.conn.close()


def test_same_feed_twice_is_a_conflict_before_fetching(api, feeds):
    client, _db = api
    assert register(client, f"{feeds.url}/one.xml").status_code == 201
    fetched = len(feeds.requests)
    again = register(client, f"{feeds.url}/one.xml/?utm_source=x", contact_email="other@comite.example")
    assert again.status_code == 409 and again.json["errors"][0]["field"] == "feed_url"
    assert len(feeds.requests) == fetched


def test_a_registration_never_confirmed_in_time_no_longer_holds_its_feed(tmp_path, feeds, mail_sink):
    """The form's rule, through the API: after confirm_link_max_age an unconfirmed registration holds nothing."""
    from datetime import timedelta

    app, config = make_app(tmp_path, mail_sink)
    client = app.test_client()
    assert register(client, f"{feeds.url}/one.xml").status_code == 201
    later = NOW + timedelta(seconds=config.confirm_link_max_age + 60)
    app.config["WIRE_CLOCK"] = lambda: later
    again = register(client, f"{feeds.url}/one.xml", contact_email="owner@comite.example")
    assert again.status_code == 201, again.json


def test_rate_limits_per_client_and_per_address_answer_json(tmp_path, feeds, mail_sink):
    app, _config = make_app(tmp_path, mail_sink)
    app.config["PARTNER_LIMIT_PER_CLIENT"] = "3 per hour"
    app.config["PARTNER_LIMIT_PER_ADDRESS"] = "1 per day"
    client = app.test_client()
    assert register(client, f"{feeds.url}/one.xml").status_code == 201
    same_address = register(client, f"{feeds.url}/two.xml")
    assert same_address.status_code == 429 and same_address.json["errors"][0]["field"] == "contact_email"
    assert len(mail_sink.messages()) == 1
    register(client, f"{feeds.url}/three.xml", contact_email="x@other.example")
    limited = register(client, f"{feeds.url}/three.xml", contact_email="y@other.example")
    assert limited.status_code == 429 and limited.mimetype == "application/json"
    assert limited.json["errors"][0]["code"] == "rate_limited"


def test_unknown_paths_and_methods_answer_json_and_pages_stay_html(api):
    client, _db = api
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json["errors"][0]["code"] == "not_found"
    wrong = client.put("/api/v1/registrations")
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"] and wrong.json["errors"]
    assert client.get("/no-such-page").mimetype == "text/html"


def test_the_api_needs_no_csrf_token_but_the_forms_still_do(api):
    """The app runs with CSRF on (as in production); the API is exempt, the registration form is not."""
    client, _db = api
    assert client.application.config.get("WTF_CSRF_ENABLED", True)
    assert register(client, "ftp://x.example/").status_code == 422  # reached the checks: no CSRF refusal
    form = client.post("/partners/register", data={"organisation": "x"})
    assert form.status_code == 400
