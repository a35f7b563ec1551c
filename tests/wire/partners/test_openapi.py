"""The OpenAPI document and the code stay in step: every API route is documented, and nothing else is."""

from __future__ import annotations

import re

from tests.conftest import make_config
from wire.web import create_app
from wire.web.openapi import document

SKIPPED_METHODS = {"HEAD", "OPTIONS"}  # Flask adds them to every route; they are not operations


def routes(app) -> set[tuple[str, str]]:
    """(METHOD, /path/{param}) of every route under /api/, spelled as OpenAPI spells paths."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        found |= {(method, path) for method in rule.methods - SKIPPED_METHODS}
    return found


def documented(doc: dict) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    }


def test_every_api_route_is_documented_and_nothing_else(tmp_path):
    app = create_app(make_config(tmp_path))
    served = app.test_client().get("/openapi.json")
    assert served.status_code == 200 and served.mimetype == "application/json"
    doc = served.json
    assert doc["openapi"].startswith("3.")
    assert routes(app) == documented(doc)
    assert len(routes(app)) == 9


def test_every_operation_documents_its_errors_and_path_parameters():
    doc = document(("en", "fa"))
    for path, item in doc["paths"].items():
        parameters = {p["name"] for p in item.get("parameters", [])}
        assert parameters == set(re.findall(r"{([a-z_]+)}", path)), path
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            if operation.get("security"):
                assert {"401", "404"} <= set(responses), (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= set(responses), (method, path)
    assert doc["components"]["schemas"]["RegistrationRequest"]["properties"]["ui_language"]["enum"] == ["en", "fa"]
