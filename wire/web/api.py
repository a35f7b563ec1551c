"""The partner API (`/api/v1/...`): register, status, add or change a feed, withdraw, with bearer tokens.

The same door as the registration form (wire/web/partners.py), for programs: every rule is
`aggregator.registrations`' (field checks and limits, duplicates in any URL spelling, the
registration's life, partners touching only their own sources), the site check is
`crawlers.site_check.check_site` (network guard on every hop, one budget of time, requests
and bytes), and the rate limits count in the same Flask-Limiter storage, under the same
scopes, as the form's: a client cannot double its allowance by using both doors.

Tokens, not cookies: a registration answers with a token (`sw_...`, shown once, stored as
its SHA-256, aggregator/storage/api_tokens.py) that later calls send as
`Authorization: Bearer <token>`. Because no cookie authenticates anything here, a
cross-site page cannot make a browser call the API with the partner's rights, which is
what CSRF tokens guard against; so the blueprint is exempt from Flask-WTF's CSRF check,
which would otherwise refuse every POST that has no form token.

Every answer is JSON, errors included (`{"errors": [{"field", "code", "message"}]}`),
also for unknown paths and methods under /api/ and for a body that is too big or not
JSON: a program never has to parse an HTML error page. Whatever a partner typed goes out
as JSON strings with `<`, `>` and `&` escaped as \\u003c, \\u003e, \\u0026 (as Go's
encoding/json does), so a payload stays inert even in a client that pastes it into HTML.
The OpenAPI document is wire/web/openapi.py, served at /openapi.json.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping

from flask import Blueprint, Response, current_app, request
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError
from limits import parse as parse_limit
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from aggregator import registrations as reg
from aggregator.exceptions import ConflictError, InvalidInput, NotFound
from aggregator.storage.api_tokens import (
    find_token,
    issue_token,
    registration_of_partner,
    revoke_tokens,
    touch_token,
    verify_token,
)
from aggregator.storage.audit import record_action
from aggregator.storage.registrations import get_registration, partner_sources
from crawlers.site_check import check_site
from newsletter.partner_mail import confirmation_message, send_message
from wire.web import get_db
from wire.web.openapi import MAX_BODY, MAX_SOURCE_NAME, document
from wire.web.partners import LIMIT_PER_ADDRESS, LIMIT_PER_CLIENT

logger = logging.getLogger(__name__)

blueprint = Blueprint("api", __name__)
PREFIX = "/api/v1"

#: The fields of each request body and their JSON types; the rules beyond types are the library's.
REGISTRATION_FIELDS = {
    "organisation": str,
    "website": str,
    "contact_email": str,
    "feed_url": str,
    "languages": list,
    "countries": str,
    "description": str,
    "ui_language": str,
}
FEED_FIELDS = {"feed_url": str, "language": str, "name": str}
CONFIRMATION_FIELDS = {"code": str}
PAGE_LINK_FIELDS = {"page_link": str}
CHANGE_FIELDS = {"feed_url": str}
#: Fields of a stored source that a partner may read about it.
SOURCE_KEYS = (
    "id",
    "url",
    "name",
    "kind",
    "status",
    "language",
    "last_fetch_at",
    "last_success_at",
    "last_status",
    "last_error",
    "last_error_hint",
    "items_this_month",
    "items_total",
    "withdrawn_at",
)
REGISTRATION_KEYS = (
    "id",
    "status",
    "organisation",
    "website",
    "contact_email",
    "feed_url",
    "found_url",
    "countries",
    "description",
    "ui_language",
    "reason",
    "created_at",
    "confirmed_at",
    "decided_at",
)
_FIELD_PREFIX = re.compile(r"^([a-z_]+): (.+)$", re.DOTALL)


class ApiError(Exception):
    """An answer other than success: a status and one or more errors, each naming its field (or None)."""

    def __init__(self, status: int, field: str | None, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}
        self.errors = [{"field": field, "code": code, "message": message}]

    @classmethod
    def fields(cls, errors: list[dict]) -> ApiError:
        """422 with every field error at once, so a client fixes them all in one go."""
        error = cls(422, errors[0]["field"], errors[0]["code"], errors[0]["message"])
        error.errors = errors
        return error


# -- answers -------------------------------------------------------------------------------------------------------


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    """JSON with HTML's special characters escaped, so a partner's text stays inert wherever it lands."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    response = Response(text, status=status, mimetype="application/json", headers=headers)
    response.headers["Cache-Control"] = "no-store"  # tokens and partners' addresses are never cached
    return response


def _errors(status: int, errors: list[dict], headers: dict | None = None) -> Response:
    return _json({"errors": errors}, status, headers)


def _library_error(error: Exception) -> dict:
    """The library's message 'feed_url: ...' as a field error; other messages name no field."""
    code = "conflict" if isinstance(error, ConflictError) else "invalid"
    match = _FIELD_PREFIX.match(str(error))
    return {"field": match.group(1) if match else None, "code": code, "message": str(error)}


@blueprint.errorhandler(ApiError)
def _api_error(error: ApiError):
    return _errors(error.status, error.errors, error.headers)


@blueprint.errorhandler(InvalidInput)
def _invalid(error: InvalidInput):
    return _errors(422, [_library_error(error)])


@blueprint.errorhandler(ConflictError)
def _conflict(error: ConflictError):
    return _errors(409, [_library_error(error)])


@blueprint.errorhandler(NotFound)
def _not_found(_error: NotFound):
    return _errors(404, [{"field": None, "code": "not_found", "message": "not found"}])


@blueprint.errorhandler(CSRFError)
def _csrf(error: CSRFError):  # the blueprint is exempt; this only shows if that exemption were lost
    return _errors(400, [{"field": None, "code": "csrf", "message": str(error.description)}])


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return http_error_json(error)


# Flask looks for a handler by status code before it looks by class, so the app's own 429 and
# 400 pages (wire/web/subscribers.py) would answer here in HTML unless the codes are named too.
for _code in (400, 404, 405, 413, 415, 429):
    blueprint.register_error_handler(_code, _http_error)


def http_error_json(error: HTTPException) -> Response:
    """Any HTTP error as the API's JSON body (413, 429, 405 with its Allow header, ...)."""
    code = {
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        415: "unsupported_media_type",
        429: "rate_limited",
    }.get(error.code or 500, "http_error")
    message = {
        404: "no such address in this API (see /openapi.json)",
        413: f"the body is longer than {MAX_BODY} bytes",
        429: "too many requests; try again later",
    }.get(error.code or 500, error.description or error.name)
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return _errors(error.code or 500, [{"field": None, "code": code, "message": message}], headers)


@blueprint.errorhandler(500)
def _server_error(error):
    logger.error("API error on %s %s: %s", request.method, request.path, type(error).__name__)
    return _errors(500, [{"field": None, "code": "server_error", "message": "our mistake; please try again later"}])


# -- what every call shares ----------------------------------------------------------------------------------------


@blueprint.before_request
def _limit_body():
    """Refuse a body larger than MAX_BODY before it is read (Werkzeug raises 413 on reading)."""
    request.max_content_length = MAX_BODY


def _config():
    return current_app.config["WIRE"]


def _now():
    return current_app.config["WIRE_CLOCK"]()


def _hit(limit: str, scope: str, key: str) -> bool:
    """Count one call in the app's Limiter under the partner form's scopes (keys are digests, never addresses)."""
    limiter = current_app.extensions["wire_limiter"]
    digest = hashlib.sha256((current_app.config["SECRET_KEY"] + key.lower()).encode()).hexdigest()
    return limiter.limiter.hit(parse_limit(limit), scope, digest)


def _limit_client() -> None:
    limit = current_app.config.get("PARTNER_LIMIT_PER_CLIENT", LIMIT_PER_CLIENT)
    if not _hit(limit, "partner-client", get_remote_address() or "unknown"):
        raise ApiError(429, None, "rate_limited", "too many requests from this address; try again later")


def _limit_address(email: str) -> None:
    limit = current_app.config.get("PARTNER_LIMIT_PER_ADDRESS", LIMIT_PER_ADDRESS)
    if not _hit(limit, "partner-address", email):
        raise ApiError(429, "contact_email", "rate_limited", "too many registrations for this address today")


def _body(fields: Mapping[str, type]) -> dict:
    """The JSON object of the request, with each field of the expected JSON type; errors name the field."""
    if request.mimetype != "application/json":
        raise ApiError(415, "Content-Type", "unsupported_media_type", "send the body as application/json")
    raw = request.get_data(cache=False)  # 413 when longer than MAX_BODY
    try:
        data = json.loads(raw)
    except ValueError as error:  # UnicodeDecodeError included
        raise ApiError(400, None, "not_json", f"the body is not JSON ({error})") from None
    if not isinstance(data, dict):
        raise ApiError(422, None, "not_an_object", "the body must be a JSON object")
    errors = []
    for key, value in data.items():
        expected = fields.get(key)
        if expected is None:
            errors.append({"field": key[:100], "code": "unknown_field", "message": f"{key[:100]}: no such field"})
        elif not isinstance(value, expected):
            kind = "a list of strings" if expected is list else "a string"
            errors.append({"field": key, "code": "wrong_type", "message": f"{key}: must be {kind}"})
        elif isinstance(value, list) and not all(isinstance(item, str) for item in value):
            errors.append({"field": key, "code": "wrong_type", "message": f"{key}: must be a list of strings"})
    _field_errors(errors)
    return data


def _field_errors(errors: list[dict]) -> None:
    if errors:
        raise ApiError.fields(errors)


def _feed_url(data: dict) -> str:
    """The feed URL of a feed request, checked before fetching by the partner page's check (`reg.check_feed_url`)."""
    url, error = reg.check_feed_url(data.get("feed_url"))
    if error is not None:
        _field_errors([{"field": error.field, "code": error.code, "message": error.message}])
    return url


def _check(url: str) -> dict:
    config = _config()
    return check_site(
        url,
        user_agent=f"SolidarityWire/0.1 (+{config.contact_url})",
        allow_private=config.allow_private_networks,
        allowed_hosts=tuple(config.allowed_hosts),
    ).to_dict()


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "Authorization",
            "no_token",
            "send the token the registration answered as 'Authorization: Bearer <token>'",
            {"WWW-Authenticate": 'Bearer realm="api"'},
        )
    return token.strip()


def _authorised(registration_id: int, verified: bool = False) -> tuple[dict, dict]:
    """(registration, token row) for the request's token; 401 without a live token, 404 for anyone else's id.

    `verified`: the call changes the partner's sources, which only a token tied to the contact
    address may do (403 otherwise): whoever registers by the API holds a token at once, but
    may have typed someone else's address; the address's owner proves it with the e-mailed code.
    """
    row = find_token(get_db(), _bearer())
    if row is None:
        raise ApiError(
            401,
            "Authorization",
            "bad_token",
            "this token is not valid (mistyped, or revoked: ask for a new one on your partner page)",
            {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
        )
    if row["registration_id"] != registration_id:  # someone else's registration: as if it did not exist
        raise ApiError(404, "registration_id", "not_found", f"no registration {registration_id} for this token")
    if verified and not row["verified_at"]:
        raise ApiError(
            403,
            "Authorization",
            "unverified_token",
            "this token is not tied to the contact address yet: send the code of the e-mailed link "
            f"to POST {PREFIX}/registrations/{registration_id}/confirmation first",
        )
    touch_token(get_db(), row["id"], _now())
    return get_registration(get_db(), registration_id), row


def _approved_partner(registration: dict) -> int:
    if registration["status"] != "approved" or not registration["partner_id"]:
        raise ApiError(
            409,
            "registration_id",
            "not_approved",
            f"registration {registration['id']} is {registration['status']}: "
            "feeds can be added, changed or withdrawn once an editor approved it",
        )
    return registration["partner_id"]


def _own_source(partner_id: int, source_id: int) -> dict:
    try:
        return reg.partner_source(get_db(), partner_id, source_id)
    except InvalidInput:  # someone else's source, or none: the same answer
        raise ApiError(404, "source_id", "not_found", f"source {source_id} is not one of your sources") from None


def _source(row: dict) -> dict:
    return {key: row.get(key) for key in SOURCE_KEYS}


def _registration(row: dict) -> dict:
    data = {key: row.get(key) for key in REGISTRATION_KEYS}
    data["kind"] = row.get("found_kind")
    data["languages"] = [code for code in (row.get("languages") or "").split(",") if code]
    sources = partner_sources(get_db(), row["partner_id"], _now()) if row.get("partner_id") else []
    data["sources"] = [_source(source) for source in sources if row["status"] == "approved"]
    return data


def _ui_language(data: dict) -> str:
    languages = _config().languages
    chosen = data.get("ui_language")
    if chosen is not None and chosen not in languages:
        _field_errors(
            [
                {
                    "field": "ui_language",
                    "code": "unknown_language",
                    "message": f"ui_language: one of {', '.join(languages)}",
                }
            ]
        )
    return chosen or request.accept_languages.best_match(languages) or ("en" if "en" in languages else languages[0])


# -- the operations ------------------------------------------------------------------------------------------------


@blueprint.post(f"{PREFIX}/registrations")
def register():
    """Check the fields, then the site; store the registration, e-mail the confirmation link, answer the token."""
    _limit_client()
    data = _body(REGISTRATION_FIELDS)
    ui_language = _ui_language(data)
    clean, problems = reg.check_registration({key: value for key, value in data.items() if key != "ui_language"})
    _field_errors([{"field": p.field, "code": p.code, "message": p.message} for p in problems])
    _limit_address(clean["contact_email"])
    db = get_db()
    max_age = _config().confirm_link_max_age  # as the form: a registration never confirmed in time holds no feed
    duplicate = reg.duplicate_of(db, clean["feed_url"], now=_now(), unconfirmed_max_age=max_age)
    if duplicate:  # known already: refused before anything is fetched
        raise ApiError(409, "feed_url", "duplicate", f"feed_url: {duplicate}")
    report = _check(clean["feed_url"])
    registration = reg.create_registration(db, clean, report, ui_language, _now(), unconfirmed_max_age=max_age)
    registration = reg.submit_registration(db, registration["id"])
    token = issue_token(db, registration["id"], _now())
    _send_confirmation(registration)
    record_action(db, "partner", "registration sent (API)", "partner_registration", registration["id"])
    return _json({"registration": _registration(registration), "token": token, "preview": report}, 201)


def _send_confirmation(registration: dict) -> None:
    """The same e-mail as the form's, with the form's confirmation page; a failure is logged by row id only."""
    from flask import url_for

    code = reg.confirm_code(current_app.config["SECRET_KEY"], registration, _now())
    url = _config().base_url.rstrip("/") + url_for("partners.confirm", code=code)
    try:
        send_message(_config(), confirmation_message(_config(), registration, url, _now()))
    except Exception as error:  # noqa: BLE001 - the registration stands; the operator sees the log
        logger.error("confirmation e-mail for partner registration %s not sent: %s", registration["id"], error)


@blueprint.get(f"{PREFIX}/registrations/<int:registration_id>")
def status(registration_id: int):
    """The registration's state and, once approved, each source's last fetch, items this month, last error."""
    registration, _token = _authorised(registration_id)
    return _json(_registration(registration))


@blueprint.post(f"{PREFIX}/registrations/<int:registration_id>/confirmation")
def confirm(registration_id: int):
    """Confirm the contact address with the code of the e-mailed link; the token may then change sources."""
    registration, token = _authorised(registration_id)
    _limit_client()
    code = str(_body(CONFIRMATION_FIELDS).get("code") or "").strip()
    if "/" in code:  # the whole link pasted: its last part is the code
        code = code.rstrip("/").rsplit("/", 1)[-1]
    secret, max_age = current_app.config["SECRET_KEY"], _config().confirm_link_max_age
    confirmed = reg.read_confirm_code(get_db(), secret, code, _now(), max_age) if code else None
    if confirmed is None or confirmed["id"] != registration_id:
        message = "code: not the code of this registration's link (mistyped, too old, or another registration's)"
        raise ApiError(422, "code", "invalid", message)
    if registration["status"] in ("previewed", "unconfirmed"):
        registration = reg.confirm_registration(get_db(), registration_id, _now())
        record_action(get_db(), "partner", "address confirmed (API)", "partner_registration", registration_id)
    verify_token(get_db(), token["id"], _now())
    return _json(_registration(registration))


@blueprint.post(f"{PREFIX}/registrations/<int:registration_id>/sources")
def add_feed(registration_id: int):
    """Check a second feed (or one in another language) and add it to the partner's sources."""
    partner_id = _approved_partner(_authorised(registration_id, verified=True)[0])
    _limit_client()
    data = _body(FEED_FIELDS)
    url = _feed_url(data)
    language = data.get("language") or None
    if language is not None and language not in reg.PARTNER_LANGUAGES:
        _field_errors([{"field": "language", "code": "unknown_language", "message": "language: unknown code"}])
    name = (data.get("name") or "").strip() or None
    if name and len(name) > MAX_SOURCE_NAME:
        message = f"name: at most {MAX_SOURCE_NAME} characters"
        _field_errors([{"field": "name", "code": "too_long", "message": message}])
    report = _check(url)
    source_id = reg.add_partner_source(get_db(), partner_id, report, language, name)
    record_action(get_db(), "partner", "API: feed added", "source", source_id)
    return _json(_source(_partner_source_row(partner_id, source_id)), 201)


@blueprint.patch(f"{PREFIX}/registrations/<int:registration_id>/sources/<int:source_id>")
def change_feed_url(registration_id: int, source_id: int):
    """Point one of the partner's sources at a new address, checked first (refused before fetching if not theirs)."""
    partner_id = _approved_partner(_authorised(registration_id, verified=True)[0])
    _own_source(partner_id, source_id)
    _limit_client()
    url = _feed_url(_body(CHANGE_FIELDS))
    reg.change_source_url(get_db(), partner_id, source_id, _check(url))
    record_action(get_db(), "partner", "API: feed URL changed", "source", source_id)
    return _json(_source(_partner_source_row(partner_id, source_id)))


@blueprint.delete(f"{PREFIX}/registrations/<int:registration_id>/sources/<int:source_id>")
def withdraw(registration_id: int, source_id: int):
    """Stop collecting one of the partner's sources (paused; nothing deleted)."""
    partner_id = _approved_partner(_authorised(registration_id, verified=True)[0])
    _own_source(partner_id, source_id)
    _limit_client()
    reg.withdraw_partner_source(get_db(), partner_id, source_id, _now())
    record_action(get_db(), "partner", "API: feed withdrawn", "source", source_id)
    return _json(_source(_partner_source_row(partner_id, source_id)))


@blueprint.post(f"{PREFIX}/registrations/<int:registration_id>/token")
def rotate_token(registration_id: int):
    """A new token for the registration; the one that made this call stops working."""
    _registration_row, old = _authorised(registration_id)
    _limit_client()
    token = issue_token(get_db(), registration_id, _now(), verified=bool(old["verified_at"]))
    record_action(get_db(), "partner", "API token replaced", "partner_registration", registration_id)
    return _json({"token": token}, 201)


@blueprint.post(f"{PREFIX}/tokens")
def token_from_page_link():
    """A new token for a partner who lost theirs, in exchange for their partner page link (no token needed).

    The page link is what `/partners/link` e-mails to the contact address and what an older
    link's holder loses when a new one is sent: the same revocable, e-mailed mechanism, so
    the token it gives is tied to the address (verified). The old token stops working.
    """
    _limit_client()
    link = str(_body(PAGE_LINK_FIELDS).get("page_link") or "").strip()
    code = link.rstrip("/").rsplit("/", 1)[-1]
    partner = reg.read_page_code(get_db(), current_app.config["SECRET_KEY"], code) if code else None
    registration = registration_of_partner(get_db(), partner["id"]) if partner else None
    if registration is None:
        message = (
            "page_link: not a valid partner page link (mistyped, or replaced by a newer one: ask at /partners/link)"
        )
        raise ApiError(422, "page_link", "invalid", message)
    token = issue_token(get_db(), registration["id"], _now(), verified=True)
    record_action(get_db(), "partner", "API token replaced (page link)", "partner_registration", registration["id"])
    return _json({"token": token, "registration_id": registration["id"]}, 201)


@blueprint.delete(f"{PREFIX}/registrations/<int:registration_id>/token")
def revoke_token(registration_id: int):
    """Revoke the registration's token (a new one comes from the partner page or `wire partners token`)."""
    _authorised(registration_id)
    _limit_client()
    revoke_tokens(get_db(), registration_id, _now())
    record_action(get_db(), "partner", "API token revoked", "partner_registration", registration_id)
    response = Response(status=204)
    response.headers["Cache-Control"] = "no-store"
    return response


def _partner_source_row(partner_id: int, source_id: int) -> dict:
    """The source with its health figures, as the status shows it."""
    return next(row for row in partner_sources(get_db(), partner_id, _now()) if row["id"] == source_id)


@blueprint.get("/openapi.json")
def openapi():
    """The OpenAPI document of this API (its languages are this app's)."""
    response = _json(document(_config().languages))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"  # a public description: API tools may read it
    return response


# -- wiring into the app -------------------------------------------------------------------------------------------


def init_api(app) -> None:
    """Register the blueprint, exempt it from CSRF (tokens, not cookies), and answer JSON under /api/ for 404 and 405.

    A URL that matches no route never reaches a blueprint's handlers, so the app's own
    404 and 405 handlers decide by path: JSON under /api/, the usual answer elsewhere.
    """
    app.register_blueprint(blueprint)
    app.extensions["csrf"].exempt(blueprint)

    def _routing_error(error: HTTPException):
        if request.path.startswith("/api/"):
            return http_error_json(error)
        return error

    for code in (404, 405):
        previous = app.error_handler_spec[None][code].copy()
        if previous:  # another part of the app answers these already: ours only adds the /api/ case
            handler = next(iter(previous.values()))

            def _chained(error, handler=handler):
                return http_error_json(error) if request.path.startswith("/api/") else handler(error)

            app.register_error_handler(code, _chained)
        else:
            app.register_error_handler(code, _routing_error)


__all__ = ["blueprint", "init_api"]
