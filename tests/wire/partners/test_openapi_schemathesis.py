"""schemathesis against /openapi.json: generated requests to every operation, no server error, answers as documented.

The schema is loaded from the running app (`from_wsgi`), so the document tested is the one
served. One app for the module holds an approved registration with a source; about half
of the generated cases are pointed at its real ids (the rest keep their random ids and
meet 404s), and each case carries a fresh live token, so the operations that need a token
run their real code (rotating and revoking the token included) rather than stopping at
401. Site checks only reach 127.0.0.1 (the test configuration's allowed hosts): any other
host a generated URL names is refused by the network guard without a connection.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.parameters import ParameterLocation

from aggregator import registrations as reg
from aggregator.db import open_db
from aggregator.storage.api_tokens import issue_token
from tests.conftest import StaticSite, make_config
from wire.web.openapi import document

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
RSS = (
    b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Komitee</title>'
    b"<link>http://example.org/</link><description>d</description><item><title>Day 40 of the hunger strike</title>"
    b"<link>http://example.org/1</link><pubDate>Mon, 16 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"
)
#: Operations whose valid cases succeed on the real ids (adding or changing a feed needs a fetchable URL).
REACHES_SUCCESS = {
    ("GET", "/api/v1/registrations/{registration_id}"),
    ("DELETE", "/api/v1/registrations/{registration_id}/sources/{source_id}"),
    ("POST", "/api/v1/registrations/{registration_id}/token"),
    ("DELETE", "/api/v1/registrations/{registration_id}/token"),
}
#: Examples per operation and mode: 7 operations x 2 modes x this stays well under a minute.
EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The app, its database, and an approved registration with one source."""
    from wire.web import create_app

    tmp = tmp_path_factory.mktemp("schemathesis")
    (tmp / "site").mkdir()
    site = StaticSite(tmp / "site", {"/feed.xml": (200, {"Content-Type": "application/rss+xml"}, RSS)})
    config = make_config(tmp, smtp_url="smtp://127.0.0.1:9")  # nothing listens: mails fail and are logged
    app = create_app(config)
    app.config["WIRE_CLOCK"] = lambda: NOW
    app.config["PARTNER_LIMIT_PER_CLIENT"] = "100000 per hour"  # let generated calls reach the code behind the limit
    app.config["PARTNER_LIMIT_PER_ADDRESS"] = "100000 per day"
    db = open_db(config.db)
    clean, errors = reg.check_registration(
        {
            "organisation": "Komitee",
            "website": f"{site.url}/",
            "contact_email": "k@komitee.example",
            "feed_url": f"{site.url}/feed.xml",
            "languages": ["de"],
        }
    )
    assert errors == []
    report = {
        "url": f"{site.url}/feed.xml",
        "final_url": f"{site.url}/feed.xml",
        "feeds": [{"url": f"{site.url}/feed.xml", "kind": "RSS", "format": "rss20", "title": "K", "entries": 1}],
        "items": [],
        "problems": [],
        "feed_url": f"{site.url}/feed.xml",
        "kind": "feed",
    }
    registration = reg.create_registration(db, clean, report, "de", NOW)
    reg.confirm_registration(db, registration["id"], NOW)
    registration = reg.approve_registration(db, registration["id"], "editor", NOW)
    source_id = next(db.query("SELECT id FROM sources"))["id"]
    yield {"app": app, "db": db, "registration_id": registration["id"], "source_id": source_id}
    db.conn.close()
    site.close()


@pytest.fixture(scope="module")
def api_schema(world):
    return schemathesis.openapi.from_wsgi("/openapi.json", world["app"])


#: Every operation of the document, by (method, path); the document is a pure function of the languages.
OPERATIONS = [
    (method.upper(), path)
    for path, item in document(("en",))["paths"].items()
    for method in item
    if method in ("get", "post", "patch", "put", "delete")
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_against_its_document(api_schema, world, method, path, mode):
    operation = api_schema[path][method]
    secured = bool(operation.definition.raw.get("security"))
    calls = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases on every run: a failure here is never luck
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
    )
    def run(case):
        # a negative case keeps what it made invalid (a path id below 1, a missing token): only valid parts are swapped
        meta = case.meta
        parameters = case.path_parameters or {}
        if not (meta and meta.is_negative_at(ParameterLocation.PATH)) and parameters.get("registration_id", 0) % 2:
            parameters["registration_id"] = world["registration_id"]  # about half: the real registration and source
            if "source_id" in parameters:
                parameters["source_id"] = world["source_id"]
        headers = {}
        if secured and not (meta and meta.is_negative_at(ParameterLocation.HEADER)):
            token = issue_token(world["db"], world["registration_id"], NOW, verified=True)
            headers["Authorization"] = f"Bearer {token}"
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        calls.append(response.status_code)

    run()
    assert calls, "no request was generated"
    assert all(code < 500 for code in calls)
    if mode == GenerationMode.POSITIVE and (method, path) in REACHES_SUCCESS:
        assert any(200 <= code < 300 for code in calls), calls  # the real code ran, not only the refusals
