"""/desk/partners: registrations waiting for an editor, approved or rejected from the desk with the
library calls of `wire partners approve|reject` (partner and source created, the partner told by
e-mail in their language: a real aiosmtpd server counts the messages), every decision in the audit
log with the editor's address, CSRF required, partners' text shown as text.

Registrations are made through `aggregator.registrations` as the portal makes them; the site
check's report is written here as plain data (what `SiteReport.to_dict()` returns), because
the registration form's own tests check the site check itself.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from aggregator import registrations as reg
from aggregator.storage.registrations import get_registration, insert_registration
from tests.conftest import make_config

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
NO_DATES = "Some entries have no date: we cannot tell when they were published."


@pytest.fixture
def config(tmp_path, mail_sink):
    """The test configuration, sending to the real SMTP server of `mail_sink`."""
    return make_config(tmp_path, smtp_url=mail_sink.url, base_url="http://wire.example")


def report(url: str, title: str = "Comité", problems=()) -> dict:
    return {
        "url": url,
        "final_url": url,
        "title": title,
        "feeds": [{"url": url, "kind": "RSS", "format": "rss20", "title": title, "entries": 2}],
        "items": [
            {"title": "Huelga de hambre en la prisión", "url": "http://127.0.0.1:9/a", "published": None},
            {"title": "Juicio aplazado", "url": "http://127.0.0.1:9/b", "published": "2026-11-19T08:00:00+00:00"},
        ],
        "problems": [{"code": code, "message": f"{code} (English detail)"} for code in problems],
        "feed_url": url,
        "kind": "feed",
    }


def register(db, organisation="Comité de soutien", language="fr", url="http://127.0.0.1:9/feed/", confirm=True):
    """A registration through the portal's library calls: checked, sent, and (by default) confirmed."""
    clean, errors = reg.check_registration(
        {
            "organisation": organisation,
            "website": "http://127.0.0.1:9/",
            "contact_email": "contact@comite.example",
            "feed_url": url,
            "languages": [language],
            "countries": "Turquie, Iran",
            "description": "Soutien aux prisonniers politiques",
        }
    )
    assert errors == []
    row = reg.create_registration(db, clean, report(url, organisation, ["no_dates"]), language, NOW)
    reg.submit_registration(db, row["id"])
    return reg.confirm_registration(db, row["id"], NOW) if confirm else get_registration(db, row["id"])


#: Columns in which two partners' rows differ whoever approved them.
SOURCE_OWN = {"id", "url", "name", "partner_id", "created_at", "next_fetch_at"}
PARTNER_OWN = {"id", "name", "created_at"}


def audit(db):
    return [(row["actor"], row["action"], row["entity_id"]) for row in db.query("SELECT * FROM audit_log")]


def decisions(db):
    return [row for row in audit(db) if row[1].startswith("partner registration")]


def test_the_list_shows_a_pending_registration_with_its_check(desk_client, db):
    waiting = register(db)
    register(db, "Not confirmed yet", url="http://127.0.0.1:9/other/", confirm=False)
    page = desk_client.get("/desk/partners")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for shown in (
        "Comité de soutien",
        "http://127.0.0.1:9/",
        "contact@comite.example",
        "Turquie, Iran",
        "Soutien aux prisonniers politiques",
        "http://127.0.0.1:9/feed/",
        "Huelga de hambre en la prisión",
        NO_DATES,  # the problem in plain words, not its code
        "2026-11-20",  # submitted and confirmed
    ):
        assert shown in html, shown
    assert f'id="registration-{waiting["id"]}"' in html
    assert "Not confirmed yet" not in html  # the default list is what waits for an editor
    assert re.search(r'href="/desk/partners"[^>]*>[^<]*Partners[^<]*<span class="count"[^>]*>1</span>', html)
    unconfirmed = desk_client.get("/desk/partners?status=unconfirmed").get_data(as_text=True)
    assert "Not confirmed yet" in unconfirmed and "Comité de soutien" not in unconfirmed
    assert 'action="/desk/partners/' not in unconfirmed  # only pending ones can be decided
    assert desk_client.get("/desk/partners?status=lost").status_code == 400


def test_approve_creates_the_partner_and_source_as_the_cli_does_and_mails_the_partner(
    desk_client, db, config, mail_sink
):
    row = register(db)
    response = desk_client.post(f"/desk/partners/{row['id']}/approve")
    assert response.status_code == 303 and response.location.endswith("/desk/partners")
    approved = get_registration(db, row["id"])
    assert (approved["status"], approved["decided_by"]) == ("approved", desk_client.editor.email)
    assert decisions(db) == [(desk_client.editor.email, "partner registration approved", approved["partner_id"])]
    [message] = mail_sink.messages()
    assert message["To"] == "contact@comite.example" and message["Content-Language"] == "fr"
    body = message.get_payload(decode=True).decode()
    assert "http://wire.example/partners/page/" in body
    assert "An editor approved" not in body  # French, not the English source
    decided = desk_client.get("/desk/partners?status=approved").get_data(as_text=True)
    assert f'id="registration-{row["id"]}"' in decided and desk_client.editor.email in decided
    assert f'id="registration-{row["id"]}"' not in desk_client.get("/desk/partners").get_data(as_text=True)

    # the same registration approved by `wire partners approve` makes the same partner and source
    other = register(db, "Comité de soutien 2", url="http://127.0.0.1:9/feed2/")
    env = {"WIRE_DB": str(config.db), "WIRE_SMTP_URL": config.smtp_url, "WIRE_BASE_URL": config.base_url}
    from wire.cli import cli

    result = CliRunner().invoke(cli, ["partners", "approve", str(other["id"])], env=env)
    assert result.exit_code == 0, result.output
    sources = list(db.query("SELECT * FROM sources ORDER BY id"))
    partners = list(db.query("SELECT * FROM partners ORDER BY id"))
    assert len(sources) == len(partners) == 2 and len(mail_sink.messages()) == 2
    by_desk, by_cli = ({k: v for k, v in s.items() if k not in SOURCE_OWN} for s in sources)
    assert by_desk == by_cli and {"kind", "status", "feed_format", "language"} <= by_desk.keys()
    by_desk, by_cli = ({k: v for k, v in p.items() if k not in PARTNER_OWN} for p in partners)
    assert by_desk == by_cli and {"contact_email", "ui_language", "languages", "website"} <= by_desk.keys()
    assert sources[0]["url"] == "http://127.0.0.1:9/feed/" and sources[0]["partner_id"] == approved["partner_id"]


def test_reject_without_a_reason_is_refused_with_a_clear_message_and_changes_nothing(desk_client, db, mail_sink):
    row = register(db)
    for reason in ({}, {"reason": "  \n "}):
        response = desk_client.post(f"/desk/partners/{row['id']}/reject", data=reason)
        assert response.status_code == 400
        assert "Write the reason for the partner: it is sent to them." in response.get_data(as_text=True)
    too_long = desk_client.post(f"/desk/partners/{row['id']}/reject", data={"reason": "x" * 2001})
    assert too_long.status_code == 400 and "longer than 2000 characters" in too_long.get_data(as_text=True)
    assert get_registration(db, row["id"])["status"] == "pending"
    assert decisions(db) == [] and mail_sink.messages() == []


def test_reject_with_a_reason_mails_it_and_names_the_editor(desk_client, db, mail_sink):
    row = register(db, language="en")
    reason = "We collect news about political prisoners only."
    response = desk_client.post(f"/desk/partners/{row['id']}/reject", data={"reason": reason})
    assert response.status_code == 303
    rejected = get_registration(db, row["id"])
    assert (rejected["status"], rejected["reason"], rejected["decided_by"]) == (
        "rejected",
        reason,
        desk_client.editor.email,
    )
    assert decisions(db) == [(desk_client.editor.email, "partner registration rejected", row["id"])]
    [message] = mail_sink.messages()
    assert reason in message.get_payload(decode=True).decode()
    assert db.execute("SELECT count(*) FROM partners").fetchone()[0] == 0
    # deciding twice is refused with the library's reason, and nothing more is sent
    again = desk_client.post(f"/desk/partners/{row['id']}/approve")
    assert again.status_code == 409 and "is rejected" in again.get_data(as_text=True)
    assert len(mail_sink.messages()) == 1
    assert reason in desk_client.get("/desk/partners?status=rejected").get_data(as_text=True)


def test_a_decision_without_the_csrf_token_is_refused_and_changes_nothing(desk_client, db, mail_sink):
    row = register(db)
    assert desk_client.post(f"/desk/partners/{row['id']}/approve", csrf=False).status_code == 400
    response = desk_client.post(f"/desk/partners/{row['id']}/reject", data={"reason": "no"}, csrf=False)
    assert response.status_code == 400
    assert get_registration(db, row["id"])["status"] == "pending"
    assert decisions(db) == [] and mail_sink.messages() == []


def test_contact_addresses_of_decided_registrations_are_for_admins(desk_client, admin_client, db):
    """Editors see the address of a registration they must judge; the list of partners' contacts is for admins."""
    row = register(db)
    assert admin_client.post(f"/desk/partners/{row['id']}/approve").status_code == 303
    editor_view = desk_client.get("/desk/partners?status=approved").get_data(as_text=True)
    assert "contact@comite.example" not in editor_view and "…@comite.example" in editor_view
    assert "contact@comite.example" in admin_client.get("/desk/partners?status=approved").get_data(as_text=True)


def test_script_payloads_in_every_field_show_as_text(admin_client, db):
    """A stored registration whose every field (and its site check) holds HTML: the page shows it as text."""
    url = f"javascript:alert(1)//{SCRIPT}"
    hostile = report(url, SCRIPT, ["no_dates"])
    hostile["items"] = [{"title": SCRIPT, "url": url, "published": SCRIPT, "language": SCRIPT}]
    hostile["feeds"][0]["kind"] = SCRIPT
    hostile["problems"].append({"code": SCRIPT, "message": SCRIPT})
    fields = ("organisation", "website", "contact_email", "feed_url", "found_url", "languages", "countries")
    registration = insert_registration(
        db,
        {key: SCRIPT for key in fields}
        | {
            "found_kind": "feed",
            "canonical_url": SCRIPT,
            "description": SCRIPT,
            "ui_language": "en",
            "report": hostile,
            "status": "pending",
            "nonce": "n",
            "created_at": SCRIPT,
            "confirmed_at": SCRIPT,
        },
    )
    html = admin_client.get("/desk/partners").get_data(as_text=True)
    assert f'id="registration-{registration}"' in html
    assert "<script>alert" not in html and "<img src=x onerror" not in html
    assert 'href="javascript:' not in html
    assert html.count("&lt;script&gt;") >= 10  # every field shown, escaped


def test_a_mail_that_cannot_be_sent_is_said_and_the_decision_stands(desk_app, desk_client, db, config):
    """Nothing listens at the configured SMTP port: the approval is stored, the page says to tell the partner."""
    from dataclasses import replace

    from wire.mailsink import free_port

    desk_app.config["WIRE"] = replace(config, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    row = register(db)
    response = desk_client.post(f"/desk/partners/{row['id']}/approve", follow_redirects=True)
    assert response.status_code == 200
    assert "The e-mail to the partner was not sent: please tell them yourself." in response.get_data(as_text=True)
    assert get_registration(db, row["id"])["status"] == "approved"
    assert decisions(db) == [(desk_client.editor.email, "partner registration approved", 1)]


@pytest.mark.browser
def test_reject_in_chromium_at_phone_width(desk_page, live_app, db, mail_sink, artifacts):
    """The page at phone width with a partner's HTML as its name: no script runs, an empty reason is not sent."""
    row = register(db, organisation=f"Comité {SCRIPT}", language="en")
    dialogs = []
    desk_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    desk_page.set_viewport_size({"width": 375, "height": 800})
    desk_page.goto("/desk/partners")
    assert desk_page.locator("header nav .count").inner_text() == "1"
    card = desk_page.locator(f"#registration-{row['id']}")
    assert card.locator("h2").inner_text() == f"Comité {SCRIPT}"  # the markup, as text
    assert desk_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    desk_page.screenshot(path=str(artifacts / "desk-partners-375.png"), full_page=True)
    card.locator("form.stacked button").click()  # no reason: the browser keeps the form (required)
    assert card.locator("textarea[name=reason]").evaluate("el => el.validity.valueMissing")
    assert get_registration(db, row["id"])["status"] == "pending"
    card.locator("textarea[name=reason]").fill("Not about political prisoners.")
    card.locator("form.stacked button").click()
    desk_page.wait_for_selector("p.flash.ok")
    assert get_registration(db, row["id"])["status"] == "rejected"
    assert desk_page.locator("header nav .count").count() == 0
    assert len(mail_sink.messages()) == 1 and dialogs == []


def test_the_page_speaks_the_editors_language_right_to_left_in_persian(desk_client_for, db):
    register(db)
    html = desk_client_for(language="fa").get("/desk/partners").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in html
    assert "ثبت‌نام‌های همکاران" in html and "Some entries have no date" not in html  # the problem in Persian too
