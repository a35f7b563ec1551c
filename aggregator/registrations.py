"""Partner registration: checking what a stranger typed, the registration's life, approval, the partner's own link.

Used by the web form (`wire/web/partners.py`), the JSON API and `wire partners`; none of them
touches the tables directly. The site check itself (`crawlers/site_check.py`) is done by the
caller, which passes its report here as plain data (`SiteReport.to_dict()`): the core never
fetches anything.

A registration moves::

    previewed --submit--> unconfirmed --confirm (signed link)--> pending --approve--> approved
                                                                         \\--reject---> rejected

`approve_registration` creates the partner and its source through the same storage calls as
`wire sources add` (`ensure_partner`, `add_source`). Links are signed with itsdangerous:
the confirmation link expires (its issue time is inside the signature and checked against the
caller's clock); the partner's page link does not, but is revoked by raising
`partners.link_version`, which every link carries.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils
from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, URLSafeSerializer

from aggregator.db import iso, parse_iso
from aggregator.exceptions import ConflictError, InvalidInput, NotFound
from aggregator.language import CORE_LANGUAGES
from aggregator.storage import registrations as store
from aggregator.storage.partners import ensure_partner
from aggregator.storage.sources import add_source, get_source
from aggregator.text import clean_at_door
from aggregator.urls import canonical_url, is_http_url

#: Longest value accepted in each field (characters); the form, the API and the CLI share them.
LIMITS = {
    "organisation": 200,
    "website": 500,
    "contact_email": 254,
    "feed_url": 1000,
    "languages": 10,  # codes, not characters
    "countries": 300,
    "description": 1000,
}
REQUIRED = ("organisation", "website", "contact_email", "languages")
#: Languages a partner may say they write in: those the collection engine knows.
PARTNER_LANGUAGES = CORE_LANGUAGES
#: Problems of a site check after which nothing can be registered (crawlers.site_check.BLOCKING).
BLOCKING_PROBLEMS = frozenset({"blocked", "unreachable", "timeout", "too_big", "robots", "http_error", "limit"})

CONFIRM_SALT = "partner-confirm"
PAGE_SALT = "partner-page"
PREVIEW_SALT = "partner-preview"


@dataclass
class FieldError:
    """One field that cannot be used: `code` for programs and translations, `message` in English."""

    field: str
    code: str  # required, too_long, not_http, not_email, unknown_language, too_many
    message: str
    limit: int | None = None


# -- what a stranger typed (pure) ----------------------------------------------------------------------------------


def _languages(value) -> list[str]:
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    return [str(code).strip().lower() for code in (value or []) if str(code).strip()]


def check_registration(data: dict) -> tuple[dict, list[FieldError]]:
    """Check and normalise a registration's fields; return (clean values, errors naming each bad field).

    `data` holds organisation, website, contact_email, feed_url (optional: the website then),
    languages (a list or 'de, tr'), countries and description (optional). Pure but for
    email-validator's syntax check (no DNS).
    """
    errors: list[FieldError] = []
    # control, bidi-override and zero-width characters go at the door, as for every text we keep
    text = {key: clean_at_door(str(data.get(key) or "")).strip() for key in LIMITS if key != "languages"}
    languages = _languages(data.get("languages"))
    for key, value in text.items():
        if len(value) > LIMITS[key]:
            errors.append(FieldError(key, "too_long", f"{key}: at most {LIMITS[key]} characters", LIMITS[key]))
    for key in REQUIRED:
        if key != "languages" and not text[key]:
            errors.append(FieldError(key, "required", f"{key}: required"))
    if not languages:
        errors.append(FieldError("languages", "required", "languages: choose at least one"))
    elif len(languages) > LIMITS["languages"]:
        errors.append(
            FieldError("languages", "too_many", f"languages: at most {LIMITS['languages']}", LIMITS["languages"])
        )
    unknown = [code for code in languages if code not in PARTNER_LANGUAGES]
    if unknown:
        errors.append(
            FieldError(
                "languages",
                "unknown_language",
                f"languages: unknown code {unknown[0][:20]!r} (one of {', '.join(PARTNER_LANGUAGES)})",
            )
        )
    bad = {error.field for error in errors}
    for key in ("website", "feed_url"):
        if key not in bad and text[key] and not is_http_url(text[key]):
            errors.append(FieldError(key, "not_http", f"{key}: only http:// and https:// addresses"))
    if "contact_email" not in bad and text["contact_email"]:
        try:
            text["contact_email"] = validate_email(text["contact_email"], check_deliverability=False).normalized
        except EmailNotValidError as error:
            errors.append(FieldError("contact_email", "not_email", f"contact_email: not an e-mail address ({error})"))
    clean = dict(text, languages=list(dict.fromkeys(languages)))
    clean["feed_url"] = clean["feed_url"] or clean["website"]
    return clean, errors


def check_feed_url(value: str | None) -> tuple[str, FieldError | None]:
    """Check a feed address typed to add or change a feed: (the address, trimmed; the first error or None).

    The one check behind the partner page's and the API's "add a feed" and "change the address",
    made before anything is fetched: required, within `LIMITS["feed_url"]`, http(s) only. (A
    registration's feed address is optional, the website standing in, so `check_registration`
    checks it among the other fields.)
    """
    url = clean_at_door(value).strip()
    limit = LIMITS["feed_url"]
    if not url:
        return url, FieldError("feed_url", "required", "feed_url: required")
    if len(url) > limit:
        return url, FieldError("feed_url", "too_long", f"feed_url: at most {limit} characters", limit)
    if not is_http_url(url):
        return url, FieldError("feed_url", "not_http", "feed_url: only http:// and https:// addresses")
    return url, None


def duplicate_of(
    db: sqlite_utils.Database,
    url: str,
    ignore_registration: int | None = None,
    *,
    now: datetime | None = None,
    unconfirmed_max_age: int | None = None,
) -> str | None:
    """Say in plain words where `url` is registered already (a source or an open registration), else None.

    URLs are compared in their canonical spelling (aggregator/urls.py), so `HTTP://Site.org/feed/`
    and `http://site.org/feed?utm_source=x` are the same feed. Given `now` and
    `unconfirmed_max_age` (the confirmation link's life), a registration whose address was never
    confirmed within that time no longer holds its feed: otherwise anyone could keep a feed from
    its owner for good by registering it with an address they never confirm.
    """
    canonical = canonical_url(url)
    collected = _collected(db, canonical)
    if collected:
        return collected
    for row in store.registrations_with_canonical_url(db, canonical):
        if row["id"] == ignore_registration or _lapsed(row, now, unconfirmed_max_age):
            continue
        return f"this feed has already been registered (registration {row['id']}, {row['status']})"
    return None


def _lapsed(row: dict, now: datetime | None, max_age: int | None) -> bool:
    """A registration whose address was not confirmed in time: its link is dead, it holds nothing."""
    if now is None or max_age is None or row["status"] not in ("previewed", "unconfirmed"):
        return False
    created = parse_iso(row["created_at"])
    return created is not None and (now - created).total_seconds() > max_age


def _collected(db: sqlite_utils.Database, canonical: str) -> str | None:
    """Say which source already has this canonical URL, else None."""
    for source_id, source_url in store.source_urls(db):
        if canonical_url(source_url) == canonical:
            return f"this feed is already collected by Solidarity Wire (source {source_id})"
    return None


# -- the registration's life ---------------------------------------------------------------------------------------


def create_registration(
    db: sqlite_utils.Database,
    clean: dict,
    report: dict,
    ui_language: str,
    now: datetime,
    unconfirmed_max_age: int | None = None,
) -> dict:
    """Store a checked registration (status 'previewed') with its site check; refuse a duplicate.

    `clean` comes from `check_registration`, `report` from `SiteReport.to_dict()`. Raises
    ConflictError when the feed is known, InvalidInput when the check found nothing to register.
    With `unconfirmed_max_age`, registrations never confirmed within it do not count (`duplicate_of`).
    """
    blocking = [p for p in report.get("problems", []) if p["code"] in BLOCKING_PROBLEMS]
    if blocking or not report.get("kind"):
        raise InvalidInput(f"feed_url: nothing to register ({blocking[0]['message'] if blocking else 'no answer'})")
    found = report.get("feed_url") or report.get("final_url") or clean["feed_url"]
    for url in dict.fromkeys((clean["feed_url"], found)):
        duplicate = duplicate_of(db, url, now=now, unconfirmed_max_age=unconfirmed_max_age)
        if duplicate:
            raise ConflictError(f"feed_url: {duplicate}")
    registration_id = store.insert_registration(
        db,
        {
            "organisation": clean["organisation"],
            "website": clean["website"],
            "contact_email": clean["contact_email"],
            "feed_url": clean["feed_url"],
            "found_url": found,
            "found_kind": report["kind"],
            "canonical_url": canonical_url(found),
            "languages": ",".join(clean["languages"]),
            "countries": clean.get("countries", ""),
            "description": clean.get("description", ""),
            "ui_language": ui_language,
            "report": report,
            "status": "previewed",
            "nonce": secrets.token_urlsafe(12),
            "created_at": iso(now),
        },
    )
    return store.get_registration(db, registration_id)


def submit_registration(db: sqlite_utils.Database, registration_id: int) -> dict:
    """The partner confirmed the preview: the registration waits for its address to be confirmed."""
    row = store.get_registration(db, registration_id)
    if row["status"] == "previewed":
        store.update_registration(db, registration_id, status="unconfirmed")
    return store.get_registration(db, registration_id)


def confirm_registration(db: sqlite_utils.Database, registration_id: int, now: datetime) -> dict:
    """The contact address is confirmed (signed link): the registration waits for an editor."""
    row = store.get_registration(db, registration_id)
    if row["status"] in ("previewed", "unconfirmed"):
        store.update_registration(db, registration_id, status="pending", confirmed_at=iso(now))
    return store.get_registration(db, registration_id)


def _decidable(db: sqlite_utils.Database, registration_id: int) -> dict:
    row = store.get_registration(db, registration_id)
    if row["status"] != "pending":
        waiting = {"previewed": "the partner has not sent it", "unconfirmed": "its address is not confirmed yet"}
        raise ConflictError(
            f"registration {registration_id} is {row['status']}"
            + (f" ({waiting[row['status']]})" if row["status"] in waiting else "")
            + "; only pending registrations can be approved or rejected"
        )
    return row


def approve_registration(db: sqlite_utils.Database, registration_id: int, editor: str, now: datetime) -> dict:
    """Create the partner and its source (as `wire sources add` does); return the registration, approved.

    Refuses (ConflictError) when the feed became a source meanwhile, or when another partner
    with another contact address has the organisation's name.
    """
    row = _decidable(db, registration_id)
    # only sources count here: of two waiting registrations of one feed, the first approved wins
    duplicate = _collected(db, canonical_url(row["found_url"]))
    if duplicate:
        raise ConflictError(f"registration {registration_id}: {duplicate}")
    existing = next(db.query("SELECT * FROM partners WHERE name = ?", [row["organisation"]]), None)
    if existing and (existing["contact_email"] or "").lower() != row["contact_email"].lower():
        raise ConflictError(
            f"registration {registration_id}: a partner called {row['organisation']!r} exists already "
            f"(partner {existing['id']}) with another contact address; reject it or ask the partner"
        )
    languages = row["languages"].split(",") if row["languages"] else []
    partner_id = ensure_partner(db, row["organisation"], website=row["website"], language=languages[0])
    store.update_partner(
        db, partner_id, contact_email=row["contact_email"], ui_language=row["ui_language"], languages=row["languages"]
    )
    report = row["report"] or {}
    feed_format = next((feed["format"] for feed in report.get("feeds", []) if feed["url"] == row["found_url"]), None)
    add_source(
        db,
        row["found_url"],
        (report.get("title") or row["organisation"])[:200],
        row["found_kind"],
        partner_id=partner_id,
        language=languages[0] if len(languages) == 1 else None,
        feed_format=feed_format,
    )
    store.update_registration(
        db, registration_id, status="approved", decided_by=editor, decided_at=iso(now), partner_id=partner_id
    )
    return store.get_registration(db, registration_id)


def reject_registration(
    db: sqlite_utils.Database, registration_id: int, reason: str, editor: str, now: datetime
) -> dict:
    """Reject a pending registration with the editor's reason (sent to the partner)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a rejection needs a reason for the partner (--reason)")
    if len(reason) > 2000:
        raise InvalidInput("the reason is longer than 2000 characters")
    _decidable(db, registration_id)
    store.update_registration(
        db, registration_id, status="rejected", reason=reason, decided_by=editor, decided_at=iso(now)
    )
    return store.get_registration(db, registration_id)


# -- signed links --------------------------------------------------------------------------------------------------


def confirm_code(secret: str, registration: dict, now: datetime) -> str:
    """The code of a registration's confirmation link: its id, its nonce and the issue time, signed."""
    return URLSafeSerializer(secret, salt=CONFIRM_SALT).dumps(
        [registration["id"], registration["nonce"], int(now.timestamp())]
    )


def read_confirm_code(db: sqlite_utils.Database, secret: str, code: str, now: datetime, max_age: int) -> dict | None:
    """The registration a confirmation code names, or None when it is forged, damaged, too old or not its own."""
    try:
        registration_id, nonce, issued = URLSafeSerializer(secret, salt=CONFIRM_SALT).loads(code)
        row = store.get_registration(db, int(registration_id))
    except (BadSignature, NotFound, ValueError, TypeError):  # forged, damaged or erased: the same answer
        return None
    if not secrets.compare_digest(str(nonce), row["nonce"]) or now.timestamp() - int(issued) > max_age:
        return None
    return row


def preview_code(secret: str, registration: dict) -> str:
    """The code that lets the browser that saw a preview (and nobody else) send it on."""
    return URLSafeSerializer(secret, salt=PREVIEW_SALT).dumps([registration["id"], registration["nonce"]])


def read_preview_code(db: sqlite_utils.Database, secret: str, code: str) -> dict | None:
    try:
        registration_id, nonce = URLSafeSerializer(secret, salt=PREVIEW_SALT).loads(code)
        row = store.get_registration(db, int(registration_id))
    except (BadSignature, NotFound, ValueError, TypeError):  # forged, damaged or erased: the same answer
        return None
    return row if secrets.compare_digest(str(nonce), row["nonce"]) else None


def page_code(secret: str, partner: dict) -> str:
    """The code of a partner's page link: their id and current link version, signed (no expiry; revocable)."""
    return URLSafeSerializer(secret, salt=PAGE_SALT).dumps([partner["id"], partner["link_version"]])


def read_page_code(db: sqlite_utils.Database, secret: str, code: str) -> dict | None:
    """The partner a page code names, or None when it is forged or an older link (revoked)."""
    try:
        partner_id, version = URLSafeSerializer(secret, salt=PAGE_SALT).loads(code)
        partner = store.get_partner(db, int(partner_id))
    except (BadSignature, NotFound, ValueError, TypeError):  # forged, damaged or erased: the same answer
        return None
    return partner if int(version) == partner["link_version"] else None


def revoke_page_links(db: sqlite_utils.Database, partner_id: int) -> dict:
    """Make every earlier page link of the partner stop working; return the partner (sign a new link from it)."""
    store.bump_link_version(db, partner_id)
    return store.get_partner(db, partner_id)


# -- what a partner changes about themselves -----------------------------------------------------------------------


def partner_source(db: sqlite_utils.Database, partner_id: int, source_id: int) -> dict:
    """One of the partner's sources; InvalidInput for anyone else's (a partner sees only their own)."""
    try:
        source: dict | None = get_source(db, source_id)
    except NotFound:  # the same answer as for someone else's source
        source = None
    if source is None or source["partner_id"] != partner_id:
        raise InvalidInput(f"source_id: {source_id} is not one of your sources")
    return source


def change_source_url(db: sqlite_utils.Database, partner_id: int, source_id: int, report: dict) -> dict:
    """Point one of the partner's sources at what a fresh site check found; refuses duplicates and failed checks."""
    source = partner_source(db, partner_id, source_id)
    url = _registrable_url(report)
    if canonical_url(url) != canonical_url(source["url"]):  # the same feed again is no change, not a duplicate
        duplicate = duplicate_of(db, url)
        if duplicate:
            raise ConflictError(f"feed_url: {duplicate}")
    feed_format = next((feed["format"] for feed in report.get("feeds", [])), None)
    store.set_source_url(db, source_id, url, report["kind"], feed_format)
    return get_source(db, source_id)


def add_partner_source(
    db: sqlite_utils.Database, partner_id: int, report: dict, language: str | None, name: str | None = None
) -> int:
    """Add a second feed (or a feed in another language) to an approved partner; return the source id."""
    partner = store.get_partner(db, partner_id)
    if language and language not in PARTNER_LANGUAGES:
        raise InvalidInput(f"language: unknown code {language[:20]!r}")
    url = _registrable_url(report)
    duplicate = duplicate_of(db, url)
    if duplicate:
        raise ConflictError(f"feed_url: {duplicate}")
    feed_format = next((feed["format"] for feed in report.get("feeds", [])), None)
    source_id = add_source(
        db,
        url,
        (name or report.get("title") or partner["name"])[:200],
        report["kind"],
        partner_id=partner_id,
        language=language,
        feed_format=feed_format,
    )
    if language:
        languages = [code for code in (partner.get("languages") or "").split(",") if code]
        if language not in languages:
            store.update_partner(db, partner_id, languages=",".join([*languages, language]))
    return source_id


def withdraw_partner_source(db: sqlite_utils.Database, partner_id: int, source_id: int, now: datetime) -> dict:
    """Stop collecting one of the partner's sources at their wish: paused, items kept, nothing deleted."""
    partner_source(db, partner_id, source_id)
    store.withdraw_source(db, source_id, now)
    return get_source(db, source_id)


def _registrable_url(report: dict) -> str:
    blocking = [p for p in report.get("problems", []) if p["code"] in BLOCKING_PROBLEMS]
    if blocking or not report.get("kind"):
        raise InvalidInput(f"feed_url: nothing to register ({blocking[0]['message'] if blocking else 'no answer'})")
    return report.get("feed_url") or report["final_url"]


__all__ = [
    "LIMITS",
    "PARTNER_LANGUAGES",
    "FieldError",
    "add_partner_source",
    "approve_registration",
    "change_source_url",
    "check_feed_url",
    "check_registration",
    "confirm_code",
    "confirm_registration",
    "create_registration",
    "duplicate_of",
    "page_code",
    "partner_source",
    "preview_code",
    "read_confirm_code",
    "read_page_code",
    "read_preview_code",
    "reject_registration",
    "revoke_page_links",
    "submit_registration",
    "withdraw_partner_source",
]
