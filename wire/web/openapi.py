"""The partner API's OpenAPI 3.1 document, served at /openapi.json and checked against the code.

Written as a Python dict beside the views (wire/web/api.py) so that the limits and the
language list are the ones the code uses (`aggregator.registrations.LIMITS`, the configured
languages). tests/wire/partners/test_openapi.py checks that every API route of the app is
in the document and nothing else is; tests/wire/partners/test_openapi_schemathesis.py
sends generated requests to every operation and checks each answer against it.
"""

from __future__ import annotations

from typing import Any

from aggregator.registrations import LIMITS, PARTNER_LANGUAGES

#: Largest request body the API reads (bytes); larger ones are refused with 413 before reading.
MAX_BODY = 32 * 1024
#: Longest name a partner may give an added feed (the sources table's names are cut there).
MAX_SOURCE_NAME = 200

JSON = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict:
    return {"type": [kind, "null"], **extra}


def _error(description: str) -> dict:
    return {"description": description, "content": {JSON: {"schema": _ref("Errors")}}}


#: Answers every operation may give, by status code.
ERRORS = {
    "400": _error("The body is not JSON."),
    "401": {
        **_error("No token, or a token that is not valid (mistyped or revoked)."),
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
    },
    "403": _error("The token may not change sources before the contact address is confirmed with it."),
    "404": _error("No such registration or source for this token (another partner's ids are not found either)."),
    "409": _error("The feed is registered already, or the registration is not approved yet."),
    "413": _error(f"The body is longer than {MAX_BODY} bytes."),
    "415": _error("The body is not sent as application/json."),
    "422": _error("A field is missing or cannot be used: each error names its field."),
    "429": _error("Too many requests from this client (or e-mails to this address); try again later."),
}


def _errors(*codes: str) -> dict:
    return {code: ERRORS[code] for code in codes}


def _text(limit: int, **extra: Any) -> dict:
    return {"type": "string", "maxLength": limit, **extra}


def document(languages: tuple[str, ...] | list[str], server_url: str = "/") -> dict:
    """The OpenAPI document for an app whose pages speak `languages`."""
    registration_id = {
        "name": "registration_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
        "description": "The registration's id, as the registration answered it.",
    }
    source_id = {
        "name": "source_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
        "description": "One of the partner's sources (see `sources` in the registration's status).",
    }
    secured: list[dict[str, list[str]]] = [{"bearer": []}]
    body_errors = ("400", "413", "415", "422")
    schemas = {
        "Errors": {
            "type": "object",
            "required": ["errors"],
            "properties": {
                "errors": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["field", "code", "message"],
                        "properties": {
                            "field": _nullable("string", description="The field (or header) at fault, if any."),
                            "code": {"type": "string", "description": "For programs: required, too_long, ..."},
                            "message": {"type": "string", "description": "For people, in English."},
                        },
                    },
                }
            },
        },
        "RegistrationRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["organisation", "website", "contact_email", "languages"],
            "properties": {
                "organisation": _text(LIMITS["organisation"], description="The organisation's name."),
                "website": _text(LIMITS["website"], description="http(s) address of the site."),
                "contact_email": _text(LIMITS["contact_email"], description="Where we write (confirmation first)."),
                "feed_url": _text(LIMITS["feed_url"], description="The feed; or leave out and we look on the site."),
                "languages": {
                    "type": "array",
                    "maxItems": LIMITS["languages"],
                    "items": {"type": "string", "enum": list(PARTNER_LANGUAGES)},
                    "description": "Languages the partner writes in (ISO 639-1).",
                },
                "countries": _text(LIMITS["countries"], description="Countries the news is about, as you write them."),
                "description": _text(LIMITS["description"], description="A few words about the organisation."),
                "ui_language": {
                    "type": "string",
                    "enum": list(languages),
                    "description": "Language of our e-mails to you (default: Accept-Language, else English).",
                },
            },
        },
        "FeedRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["feed_url"],
            "properties": {
                "feed_url": _text(LIMITS["feed_url"], description="A feed, or a page that announces one."),
                "language": {"type": "string", "enum": list(PARTNER_LANGUAGES)},
                "name": _text(MAX_SOURCE_NAME, description="Name shown to editors (default: the feed's title)."),
            },
        },
        "PageLinkRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["page_link"],
            "properties": {
                "page_link": {
                    "type": "string",
                    "maxLength": 2000,
                    "description": "Your partner page link (a new one comes by e-mail from /partners/link).",
                }
            },
        },
        "NewToken": {
            "type": "object",
            "required": ["token", "registration_id"],
            "properties": {
                "token": {"type": "string", "description": "Shown this once; the old one stops working."},
                "registration_id": {"type": "integer"},
            },
        },
        "ConfirmationRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["code"],
            "properties": {
                "code": {
                    "type": "string",
                    "maxLength": 2000,
                    "description": "The last part of the link we e-mailed to the contact address (or the whole link).",
                }
            },
        },
        "ChangeFeedRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["feed_url"],
            "properties": {"feed_url": _text(LIMITS["feed_url"], description="The source's new address.")},
        },
        "Problem": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        },
        "Preview": {
            "type": "object",
            "description": "What the site check found: feeds, the latest items, problems in plain words.",
            "required": ["url", "feeds", "items", "problems", "feed_url", "kind"],
            "properties": {
                "url": {"type": "string"},
                "final_url": {"type": "string"},
                "title": {"type": "string"},
                "feed_url": _nullable("string"),
                "kind": {"enum": ["feed", "site", None]},
                "feeds": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["url", "kind", "format", "title", "entries"],
                        "properties": {
                            "url": {"type": "string"},
                            "kind": {"type": "string"},
                            "format": {"type": "string"},
                            "title": {"type": "string"},
                            "entries": {"type": "integer"},
                        },
                    },
                },
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["title", "url", "published", "language"],
                        "properties": {
                            "title": {"type": "string"},
                            "url": {"type": "string"},
                            "published": _nullable("string"),
                            "language": _nullable("string"),
                        },
                    },
                },
                "problems": {"type": "array", "items": _ref("Problem")},
                "requests": {"type": "integer"},
                "bytes_read": {"type": "integer"},
                "seconds": {"type": "number"},
            },
        },
        "Source": {
            "type": "object",
            "required": ["id", "url", "name", "kind", "status", "items_this_month", "items_total"],
            "properties": {
                "id": {"type": "integer"},
                "url": {"type": "string"},
                "name": {"type": "string"},
                "kind": {"enum": ["feed", "site"]},
                "status": {"enum": ["active", "paused", "gone"], "description": "paused: withdrawn or paused by us."},
                "language": _nullable("string"),
                "last_fetch_at": _nullable("string", format="date-time"),
                "last_success_at": _nullable("string", format="date-time"),
                "last_status": _nullable("integer", description="HTTP status of the last fetch."),
                "last_error": _nullable("string"),
                "last_error_hint": _nullable("string", description="How to fix the last error."),
                "items_this_month": {"type": "integer"},
                "items_total": {"type": "integer"},
                "withdrawn_at": _nullable("string", format="date-time"),
            },
        },
        "Registration": {
            "type": "object",
            "required": ["id", "status", "organisation", "website", "feed_url", "languages", "sources"],
            "properties": {
                "id": {"type": "integer"},
                "status": {
                    "enum": ["previewed", "unconfirmed", "pending", "approved", "rejected"],
                    "description": "unconfirmed: open the link we e-mailed; pending: an editor decides.",
                },
                "organisation": {"type": "string"},
                "website": {"type": "string"},
                "contact_email": {"type": "string"},
                "feed_url": {"type": "string"},
                "found_url": _nullable("string"),
                "kind": {"enum": ["feed", "site", None]},
                "languages": {"type": "array", "items": {"type": "string"}},
                "countries": {"type": "string"},
                "description": {"type": "string"},
                "ui_language": {"type": "string"},
                "reason": _nullable("string", description="The editor's reason, when rejected."),
                "created_at": {"type": "string", "format": "date-time"},
                "confirmed_at": _nullable("string", format="date-time"),
                "decided_at": _nullable("string", format="date-time"),
                "sources": {"type": "array", "items": _ref("Source")},
            },
        },
        "Registered": {
            "type": "object",
            "required": ["registration", "token", "preview"],
            "properties": {
                "registration": _ref("Registration"),
                "token": {"type": "string", "description": "Your API token: shown this once, keep it secret."},
                "preview": _ref("Preview"),
            },
        },
        "Token": {
            "type": "object",
            "required": ["token"],
            "properties": {"token": {"type": "string", "description": "Shown this once; the old one stops working."}},
        },
    }

    def body(schema: str) -> dict:
        return {"required": True, "content": {JSON: {"schema": _ref(schema)}}}

    def answer(description: str, schema: str) -> dict:
        return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}

    paths = {
        "/api/v1/registrations": {
            "post": {
                "operationId": "register",
                "summary": "Register a feed or site; we check it at once and e-mail a confirmation link",
                "description": "The site is fetched through our network guard (private addresses refused). "
                "The answer carries the check's preview and your API token.",
                "requestBody": body("RegistrationRequest"),
                "responses": {
                    "201": answer("Registered; confirm the address by the e-mailed link.", "Registered"),
                    **_errors(*body_errors, "409", "429"),
                },
            }
        },
        "/api/v1/registrations/{registration_id}": {
            "parameters": [registration_id],
            "get": {
                "operationId": "status",
                "summary": "The registration's status and, once approved, each source's health",
                "security": secured,
                "responses": {"200": answer("The registration.", "Registration"), **_errors("401", "404")},
            },
        },
        "/api/v1/registrations/{registration_id}/confirmation": {
            "parameters": [registration_id],
            "post": {
                "operationId": "confirm",
                "summary": "Confirm the contact address with the e-mailed code; then this token may change sources",
                "security": secured,
                "requestBody": body("ConfirmationRequest"),
                "responses": {
                    "200": answer("The registration, waiting for an editor (pending).", "Registration"),
                    **_errors("401", "404", *body_errors, "429"),
                },
            },
        },
        "/api/v1/registrations/{registration_id}/sources": {
            "parameters": [registration_id],
            "post": {
                "operationId": "add_feed",
                "summary": "Add a feed (a second one, or one in another language) to an approved registration",
                "security": secured,
                "requestBody": body("FeedRequest"),
                "responses": {
                    "201": answer("The new source (due for its first fetch).", "Source"),
                    **_errors("401", "403", "404", *body_errors, "409", "429"),
                },
            },
        },
        "/api/v1/registrations/{registration_id}/sources/{source_id}": {
            "parameters": [registration_id, source_id],
            "patch": {
                "operationId": "change_feed_url",
                "summary": "Point one of your sources at a new address (checked first)",
                "security": secured,
                "requestBody": body("ChangeFeedRequest"),
                "responses": {
                    "200": answer("The source with its new address.", "Source"),
                    **_errors("401", "403", "404", *body_errors, "409", "429"),
                },
            },
            "delete": {
                "operationId": "withdraw",
                "summary": "Withdraw one of your sources: we stop collecting it (its items stay)",
                "security": secured,
                "responses": {
                    "200": answer("The source, paused.", "Source"),
                    **_errors("401", "403", "404", "409", "429"),
                },
            },
        },
        "/api/v1/tokens": {
            "post": {
                "operationId": "token_from_page_link",
                "summary": "Lost your token? Exchange your partner page link for a new one",
                "requestBody": body("PageLinkRequest"),
                "responses": {
                    "201": answer("A new token, tied to your contact address.", "NewToken"),
                    **_errors(*body_errors, "429"),
                },
            }
        },
        "/api/v1/registrations/{registration_id}/token": {
            "parameters": [registration_id],
            "post": {
                "operationId": "rotate_token",
                "summary": "Replace your token: the answer has the new one, the old one stops working",
                "security": secured,
                "responses": {"201": answer("The new token.", "Token"), **_errors("401", "404", "429")},
            },
            "delete": {
                "operationId": "revoke_token",
                "summary": "Revoke your token (a new one: the partner page or an editor)",
                "security": secured,
                "responses": {"204": {"description": "Revoked."}, **_errors("401", "404", "429")},
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Solidarity Wire partner API",
            "version": "1.0.0",
            "description": "Partners register their feed, see whether we read it, change or withdraw it. "
            "Every error is a JSON body naming the field and what is wrong.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The token a registration answered (Authorization: Bearer sw_...).",
                }
            },
        },
    }


__all__ = ["MAX_BODY", "MAX_SOURCE_NAME", "document"]
