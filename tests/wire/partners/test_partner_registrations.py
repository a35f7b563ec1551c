"""The registration library: field checks, duplicates, the registration's life, signed links, partners' changes.

Site-check reports are plain data here (as `SiteReport.to_dict()` gives them); the check
itself is tested over HTTP in tests/crawlers/test_site_check.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator import registrations as reg
from aggregator.exceptions import ConflictError, InvalidInput
from aggregator.storage.partners import ensure_partner
from aggregator.storage.sources import add_source, get_source

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SECRET = "test-secret"
FIELDS = {
    "organisation": "Komitee gegen Isolationshaft",
    "website": "http://127.0.0.1:9/",
    "contact_email": "kontakt@komitee.example",
    "feed_url": "",
    "languages": ["de", "tr"],
    "countries": "Deutschland, Türkei",
    "description": "Wir berichten über Gefangene im Hungerstreik.",
}


def report(url="http://127.0.0.1:9/feed/", kind="feed", problems=()):
    return {
        "url": url,
        "final_url": url,
        "title": "Komitee",
        "feeds": [{"url": url, "kind": "RSS", "format": "rss20", "title": "Komitee", "entries": 3}]
        if kind == "feed"
        else [],
        "items": [],
        "problems": [{"code": code, "message": code} for code in problems],
        "feed_url": url if kind == "feed" else None,
        "kind": kind,
    }


def registered(db, fields=None, url="http://127.0.0.1:9/feed/"):
    clean, errors = reg.check_registration(dict(FIELDS, **(fields or {})))
    assert errors == []
    return reg.create_registration(db, clean, report(url), "de", NOW)


def pending(db, **kwargs):
    row = registered(db, **kwargs)
    reg.submit_registration(db, row["id"])
    return reg.confirm_registration(db, row["id"], NOW)


@pytest.mark.parametrize("field", ["organisation", "website", "contact_email", "feed_url", "countries", "description"])
def test_every_field_has_a_length_limit_named_in_its_error(field):
    value = "http://127.0.0.1/" + "a" * reg.LIMITS[field] if field in ("website", "feed_url") else "a" * 1000
    if field == "contact_email":
        value = "a" * 250 + "@example.org"
    _clean, errors = reg.check_registration(dict(FIELDS, **{field: value + "x" * 1000}))
    assert [(e.field, e.code) for e in errors] == [(field, "too_long")]
    assert errors[0].message.startswith(f"{field}: at most {reg.LIMITS[field]}")


def test_too_many_languages_and_unknown_ones():
    _clean, errors = reg.check_registration(dict(FIELDS, languages=["de"] * 11))
    assert [(e.field, e.code) for e in errors] == [("languages", "too_many")]
    _clean, errors = reg.check_registration(dict(FIELDS, languages="de, xx"))
    assert [(e.field, e.code) for e in errors] == [("languages", "unknown_language")]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/feed", "file:///etc/passwd", "example.org"])
@pytest.mark.parametrize("field", ["website", "feed_url"])
def test_only_http_and_https(field, url):
    _clean, errors = reg.check_registration(dict(FIELDS, **{field: url}))
    assert [(e.field, e.code) for e in errors] == [(field, "not_http")]


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        (None, "required", "feed_url: required"),
        ("   ", "required", "feed_url: required"),
        ("ftp://example.org/feed", "not_http", "feed_url: only http:// and https:// addresses"),
        ("javascript:alert(1)", "not_http", "feed_url: only http:// and https:// addresses"),
        ("http://", "not_http", "feed_url: only http:// and https:// addresses"),
        ("http://127.0.0.1/" + "a" * 1000, "too_long", "feed_url: at most 1000 characters"),
    ],
)
def test_one_feed_address_check_for_the_partner_page_and_the_api(value, code, message):
    """`check_feed_url` is the one check of a feed address typed to add or change a feed (page and API)."""
    _url, error = reg.check_feed_url(value)
    assert error is not None and (error.field, error.code, error.message) == ("feed_url", code, message)
    if code == "too_long":
        assert error.limit == reg.LIMITS["feed_url"]


def test_a_good_feed_address_comes_back_trimmed_and_without_unseen_characters():
    assert reg.check_feed_url("  http://127.0.0.1:9/fe\u200bed/\n") == ("http://127.0.0.1:9/feed/", None)


def test_required_fields_and_addresses():
    _clean, errors = reg.check_registration({"languages": []})
    assert {(e.field, e.code) for e in errors} == {
        ("organisation", "required"),
        ("website", "required"),
        ("contact_email", "required"),
        ("languages", "required"),
    }
    _clean, errors = reg.check_registration(dict(FIELDS, contact_email="<script>@x"))
    assert [(e.field, e.code) for e in errors] == [("contact_email", "not_email")]
    clean, errors = reg.check_registration(dict(FIELDS, contact_email="Kontakt@Komitee.EXAMPLE"))
    assert errors == [] and clean["feed_url"] == FIELDS["website"]  # just the website: it is checked instead


def test_the_same_feed_twice_is_recognised_in_any_spelling(db):
    source_id = add_source(db, "http://127.0.0.1:9/feed/", "Komitee", "feed")
    assert f"source {source_id}" in reg.duplicate_of(db, "HTTP://127.0.0.1:9//feed?utm_source=newsletter")
    clean, _ = reg.check_registration(FIELDS)
    with pytest.raises(ConflictError, match="already collected"):
        reg.create_registration(db, clean, report("http://127.0.0.1:9/feed"), "de", NOW)
    first = registered(db, url="http://127.0.0.1:9/other.xml")
    with pytest.raises(ConflictError, match=f"registration {first['id']}, previewed"):  # the same partner again
        reg.create_registration(db, clean, report("http://127.0.0.1:9/other.xml/"), "de", NOW)
    stranger, _ = reg.check_registration(dict(FIELDS, contact_email="someone@else.example"))
    with pytest.raises(ConflictError, match=f"registration {first['id']}, previewed"):
        reg.create_registration(db, stranger, report("http://127.0.0.1:9/other.xml"), "de", NOW)
    # a registration never confirmed within the link's life holds no feed (nobody can squat a feed for good)
    later = NOW + timedelta(days=3)
    second = reg.create_registration(db, stranger, report("http://127.0.0.1:9/other.xml"), "de", later, 172800)
    assert second["status"] == "previewed"
    reg.confirm_registration(db, second["id"], later)
    third, _ = reg.check_registration(dict(FIELDS, contact_email="third@else.example"))
    with pytest.raises(ConflictError, match=f"registration {second['id']}, pending"):  # confirmed: it holds
        reg.create_registration(db, third, report("http://127.0.0.1:9/other.xml"), "de", later + timedelta(days=9), 1)
    # of two waiting registrations of one feed, the first approved wins; the other then meets the source
    reg.confirm_registration(db, first["id"], later)
    reg.approve_registration(db, second["id"], "editor", later)
    with pytest.raises(ConflictError, match="already collected"):
        reg.approve_registration(db, first["id"], "editor", later)


def test_a_failed_check_registers_nothing(db):
    clean, _ = reg.check_registration(FIELDS)
    with pytest.raises(InvalidInput, match="nothing to register"):
        reg.create_registration(db, clean, report(problems=["robots"]), "de", NOW)
    assert reg.store.list_registrations(db) == []


def test_approval_creates_the_partner_and_its_source(db):
    row = pending(db)
    assert row["status"] == "pending" and row["confirmed_at"]
    approved = reg.approve_registration(db, row["id"], "editor", NOW)
    assert approved["status"] == "approved" and approved["partner_id"]
    partner = reg.store.get_partner(db, approved["partner_id"])
    assert (partner["name"], partner["contact_email"], partner["ui_language"], partner["languages"]) == (
        "Komitee gegen Isolationshaft",
        "kontakt@komitee.example",
        "de",
        "de,tr",
    )
    sources = reg.store.partner_sources(db, partner["id"], NOW)
    assert [(s["url"], s["kind"], s["feed_format"], s["status"]) for s in sources] == [
        ("http://127.0.0.1:9/feed/", "feed", "rss20", "active")
    ]
    with pytest.raises(ConflictError, match="is approved"):
        reg.reject_registration(db, row["id"], "late", "editor", NOW)


def test_only_confirmed_registrations_are_decided_and_rejections_need_a_reason(db):
    row = registered(db)
    with pytest.raises(ConflictError, match="previewed"):
        reg.approve_registration(db, row["id"], "editor", NOW)
    reg.confirm_registration(db, row["id"], NOW)
    with pytest.raises(InvalidInput, match="reason"):
        reg.reject_registration(db, row["id"], "  ", "editor", NOW)
    rejected = reg.reject_registration(db, row["id"], "Not about prisoners.", "editor", NOW)
    assert (rejected["status"], rejected["reason"]) == ("rejected", "Not about prisoners.")
    assert reg.duplicate_of(db, "http://127.0.0.1:9/feed/") is None  # a rejected feed may be registered again


def test_a_name_taken_by_another_partner_is_not_taken_over(db):
    ensure_partner(db, "Komitee gegen Isolationshaft", website="http://other.example/")
    row = pending(db)
    with pytest.raises(ConflictError, match="exists already"):
        reg.approve_registration(db, row["id"], "editor", NOW)


def test_confirmation_links_are_signed_and_expire(db):
    row = registered(db)
    code = reg.confirm_code(SECRET, row, NOW)
    assert reg.read_confirm_code(db, SECRET, code, NOW + timedelta(hours=47), 172800)["id"] == row["id"]
    assert reg.read_confirm_code(db, SECRET, code, NOW + timedelta(hours=49), 172800) is None
    assert reg.read_confirm_code(db, "another secret", code, NOW, 172800) is None
    assert reg.read_confirm_code(db, SECRET, code[:-2] + "xx", NOW, 172800) is None


def test_page_links_are_revoked_by_a_new_one(db):
    approved = reg.approve_registration(db, pending(db)["id"], "editor", NOW)
    partner = reg.store.get_partner(db, approved["partner_id"])
    old = reg.page_code(SECRET, partner)
    assert reg.read_page_code(db, SECRET, old)["id"] == partner["id"]
    partner = reg.revoke_page_links(db, partner["id"])
    assert reg.read_page_code(db, SECRET, old) is None
    assert reg.read_page_code(db, SECRET, reg.page_code(SECRET, partner))["id"] == partner["id"]


def test_partners_change_add_and_withdraw_only_their_own_sources(db):
    approved = reg.approve_registration(db, pending(db)["id"], "editor", NOW)
    partner_id = approved["partner_id"]
    source_id = reg.store.partner_sources(db, partner_id, NOW)[0]["id"]
    stranger = add_source(db, "http://127.0.0.1:9/stranger.xml", "Stranger", "feed")
    with pytest.raises(InvalidInput, match="not one of your sources"):
        reg.withdraw_partner_source(db, partner_id, stranger, NOW)
    with pytest.raises(ConflictError, match="already collected"):
        reg.change_source_url(db, partner_id, source_id, report("http://127.0.0.1:9/stranger.xml"))
    changed = reg.change_source_url(db, partner_id, source_id, report("http://127.0.0.1:9/new.xml"))
    assert changed["url"] == "http://127.0.0.1:9/new.xml" and changed["etag"] is None
    added = reg.add_partner_source(db, partner_id, report("http://127.0.0.1:9/fa.xml"), "fa")
    assert get_source(db, added)["language"] == "fa"
    assert reg.store.get_partner(db, partner_id)["languages"] == "de,tr,fa"
    withdrawn = reg.withdraw_partner_source(db, partner_id, source_id, NOW)
    assert (withdrawn["status"], withdrawn["withdrawn_at"]) == ("paused", NOW.isoformat())
    assert get_source(db, stranger)["status"] == "active"
