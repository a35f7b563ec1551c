"""/desk/subscribers: counts for every editor, one exact address for editors, partial search and the
CSV export for admins only (the export is `wire subscribers export`'s file, and is audited)."""

from __future__ import annotations

from aggregator.db import utcnow
from aggregator.storage.subscribers import add_subscriber, set_paused


def seed(db):
    for n in range(3):
        add_subscriber(db, f"reader{n}@example.org", "fa")
    add_subscriber(db, "okur@example.org", "tr")
    add_subscriber(db, "pending@example.org", "tr", status="pending")
    add_subscriber(db, "gone@example.org", "en", status="unsubscribed")
    paused = add_subscriber(db, "resting@example.org", "fa")
    set_paused(db, paused, True, utcnow())


def test_counts_by_language_and_status_without_any_address(desk_client, db):
    seed(db)
    html = desk_client.get("/desk/subscribers").get_data(as_text=True)
    persian = html[html.index('data-language="fa"') :]
    assert persian.split("</tr>")[0].count("<td>") == 4  # four statuses after the language cell
    assert "<td>3</td><td>1</td><td>0</td><td>0</td>" in persian.split("</tr>")[0]
    assert not any(f"{name}@example.org" in html for name in ("reader0", "okur", "pending", "gone", "resting"))


def test_an_editor_finds_one_exact_address_and_never_a_list(desk_client, db):
    seed(db)
    html = desk_client.get("/desk/subscribers?q=Reader1@Example.org").get_data(as_text=True)
    assert "reader1@example.org" in html and "reader0@example.org" not in html
    # a partial search asked for by an editor is an exact search: nothing matches "reader"
    html = desk_client.get("/desk/subscribers?q=reader&match=part").get_data(as_text=True)
    assert "reader0@example.org" not in html and "No subscriber with this address" in html
    assert desk_client.get("/desk/subscribers/export.csv").status_code == 403


def test_an_admin_searches_part_of_an_address_and_exports_the_csv(admin_client, db):
    seed(db)
    html = admin_client.get("/desk/subscribers?q=reader&match=part").get_data(as_text=True)
    assert all(f"reader{n}@example.org" in html for n in range(3)) and "okur@example.org" not in html
    response = admin_client.get("/desk/subscribers?q=re&match=part")
    assert response.status_code == 400 and "at least 3 characters" in response.get_data(as_text=True)
    response = admin_client.get("/desk/subscribers/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "email,language,status,consent_date" and len(lines) == 8
    audit = next(db.query("SELECT actor, detail FROM audit_log WHERE action = 'subscribers exported'"))
    assert audit["actor"] == "admin@example.org" and '"count": 7' in audit["detail"]
