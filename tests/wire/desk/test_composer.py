"""The composer's pages through Flask's test client, logged in, CSRF on: order and sections, intro per language,
the preview made by the e-mail renderer in a frame only the desk may show, a test to the editor into a real SMTP
server (aiosmtpd), approval, send now in the background with its progress, and a sent edition read-only."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import re
from datetime import UTC, datetime

import pytest

from aggregator.storage.editions import get_edition, save_draft, set_edition_status
from aggregator.storage.stories import save_translation
from aggregator.storage.subscribers import add_subscriber
from newsletter import progress
from tests.conftest import make_config
from tests.wire.desk.composer_data import seed_week
from wire.mailsink import free_port

TURKISH = "Kuzeykent Cezaevi'nde açlık grevi 87. gününde"
PERSIAN = "روز ۸۷ اعتصاب غذای ماهر اکینجی در زندان کوزی‌کنت"


@pytest.fixture
def config(tmp_path, mail_sink):
    return make_config(tmp_path, smtp_url=mail_sink.url)


@pytest.fixture
def week(db, config):
    edition_id, stories = seed_week(db, config)
    return edition_id, stories


def order_of(db, edition_id):
    return [(e["section"], e["story_id"]) for e in get_edition(db, edition_id)["entries"]]


def test_this_weeks_edition_is_one_click_away_and_drafted_when_missing(desk_client, db, config):
    assert b"Draft this week" in desk_client.get("/desk/edition").data
    edition_id, _ = seed_week(db, config)  # drafts it
    response = desk_client.get("/desk/edition")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/desk/editions/{edition_id}")
    # a second "draft" (another tab, another editor) never redrafts over what editors chose
    chosen = order_of(db, edition_id)[:2]
    entries = [
        {"section": section, "story_id": story, "position": n, "pinned": 0}
        for n, (section, story) in enumerate(chosen, 1)
    ]
    save_draft(db, get_edition(db, edition_id)["week"], entries)  # the editors' choice: two stories
    again = desk_client.post("/desk/edition")
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/desk/editions/{edition_id}")
    assert order_of(db, edition_id) == chosen


def test_the_composer_shows_sections_in_order_and_moves_stories_and_sections(desk_client, db, week):
    edition_id, stories = week
    page = desk_client.get(f"/desk/editions/{edition_id}?preview=fa").get_data(as_text=True)
    assert [s for s in re.findall(r'data-section="([^"]+)"', page)] == list(
        dict.fromkeys(section for section, _ in order_of(db, edition_id))
    )
    assert '<html lang="en" dir="ltr">' in page  # the preview's language is not the page's (the editor's)
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page
    assert f'src="/desk/editions/{edition_id}/preview/fa"' in page

    before = order_of(db, edition_id)
    second = next(story for (section, story), (prev, _) in zip(before[1:], before, strict=False) if section == prev)
    response = desk_client.post(f"/desk/editions/{edition_id}/order", data={"story": second, "move": "up"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#story-{second}")
    after = order_of(db, edition_id)
    assert (
        after.index(next(p for p in after if p[1] == second))
        == before.index(next(p for p in before if p[1] == second)) - 1
    )

    last_section = after[-1][0]
    desk_client.post(f"/desk/editions/{edition_id}/order", data={"section": last_section, "move": "up"})
    sections = list(dict.fromkeys(section for section, _ in order_of(db, edition_id)))
    assert sections.index(last_section) == len(sections) - 2

    # the drag and drop form: a full order, regrouped by section; an incomplete one is refused and changes nothing
    ids = [story for _, story in order_of(db, edition_id)]
    desk_client.post(f"/desk/editions/{edition_id}/order", data={"order": ",".join(map(str, reversed(ids)))})
    reordered = order_of(db, edition_id)
    assert reordered[0][1] == ids[-1]
    refused = desk_client.post(f"/desk/editions/{edition_id}/order", data={"order": ",".join(map(str, ids[:-1]))})
    assert refused.status_code == 400 and b"every story of the edition once" in refused.data
    assert order_of(db, edition_id) == reordered

    desk_client.post(f"/desk/editions/{edition_id}/section", data={"story": ids[0], "section": "release"})
    assert ("release", ids[0]) in order_of(db, edition_id)


def test_intro_and_translation_show_in_the_preview_which_only_the_desk_may_frame(desk_client, db, week):
    edition_id, stories = week
    save_translation(db, stories[TURKISH], "fa", PERSIAN)
    response = desk_client.post(
        f"/desk/editions/{edition_id}/intro", data={"language": "fa", "intro": "خبرهای این هفته <b>مهم</b>"}
    )
    assert response.status_code == 303
    preview = desk_client.get(f"/desk/editions/{edition_id}/preview/fa")
    html = preview.get_data(as_text=True)
    assert PERSIAN in html and "خبرهای این هفته &lt;b&gt;مهم&lt;/b&gt;" in html and 'dir="rtl"' in html
    policy = preview.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "script-src" not in policy and "default-src 'none'" in policy
    # every other response keeps the app's policy: never inside anyone's frame
    composer_policy = desk_client.get(f"/desk/editions/{edition_id}").headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in composer_policy
    assert desk_client.get(f"/desk/editions/{edition_id}/preview/xx").status_code == 404

    refused = desk_client.post(f"/desk/editions/{edition_id}/intro", data={"language": "xx", "intro": "kept text"})
    assert refused.status_code == 400 and b"kept text" in refused.data  # what was typed is not lost


def test_a_test_goes_to_the_editor_only_marked_as_a_test_and_is_not_a_delivery(
    desk_app, desk_client, db, week, mail_sink, config
):
    edition_id, stories = week
    add_subscriber(db, "reader@example.org", "fa")
    save_translation(db, stories[TURKISH], "fa", PERSIAN)
    response = desk_client.post(f"/desk/editions/{edition_id}/test", data={"language": "fa"})
    assert response.status_code == 303
    told = desk_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"A test in Persian was sent to {desk_client.editor.email}." in told
    [message] = [email.message_from_bytes(m.as_bytes(), policy=email.policy.default) for m in mail_sink.messages()]
    assert message["To"] == desk_client.editor.email
    assert message["Subject"].startswith("[test] ")
    assert PERSIAN in message.get_body(("html",)).get_content()
    assert db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 0
    assert get_edition(db, edition_id)["status"] == "draft"

    # no SMTP server where the configuration points: the editor is told why, on the page
    desk_app.config["WIRE"] = dataclasses.replace(config, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    down = desk_client.post(f"/desk/editions/{edition_id}/test", data={"language": "fa"})
    assert down.status_code == 503 and b"cannot reach the SMTP server" in down.data


def test_approve_for_a_time_in_the_configured_zone_and_withdraw(desk_client, db, week):
    edition_id, _ = week
    desk_client.post(f"/desk/editions/{edition_id}/approve", data={"at": "2026-12-07T07:30"})
    edition = get_edition(db, edition_id)
    assert (edition["status"], edition["scheduled_at"]) == ("approved", "2026-12-07T06:30:00+00:00")  # Berlin
    bad = desk_client.post(f"/desk/editions/{edition_id}/approve", data={"at": "next monday"})
    assert bad.status_code == 400 and b"not an ISO 8601 time" in bad.data
    desk_client.post(f"/desk/editions/{edition_id}/approve", data={"withdraw": "1"})
    assert get_edition(db, edition_id)["status"] == "draft"


def test_send_now_runs_in_the_background_shows_progress_and_then_the_edition_is_read_only(
    desk_client, db, week, mail_sink, config
):
    edition_id, stories = week
    for n, language in enumerate(["fa", "fa", "tr"]):
        add_subscriber(db, f"reader{n}@example.org", language)
    save_translation(db, stories[TURKISH], "fa", PERSIAN)
    unconfirmed = desk_client.post(f"/desk/editions/{edition_id}/send", data={})
    assert unconfirmed.status_code == 400 and get_edition(db, edition_id)["status"] == "draft"

    response = desk_client.post(f"/desk/editions/{edition_id}/send", data={"confirm": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/desk/editions/{edition_id}/progress")
    progress.wait(config, edition_id, timeout=60)
    status = json.loads(desk_client.get(f"/desk/editions/{edition_id}/status.json").data)
    assert {k: status[k] for k in ("status", "total", "sent", "done", "percent")} == {
        "status": "sent",
        "total": 3,
        "sent": 3,
        "done": 3,
        "percent": 100,
    }
    persian = [m for m in mail_sink.messages() if m["To"].startswith(("reader0", "reader1"))]
    assert len(persian) == 2 and all(
        PERSIAN in email.message_from_bytes(m.as_bytes(), policy=email.policy.default).get_body(("html",)).get_content()
        for m in persian
    )
    page = desk_client.get(f"/desk/editions/{edition_id}/progress").get_data(as_text=True)
    assert 'data-field="sent">3<' in page and 'http-equiv="refresh"' not in page  # done: no more refreshing

    before = order_of(db, edition_id)
    for path, data in [
        ("order", {"story": before[1][1], "move": "up"}),
        ("section", {"story": before[0][1], "section": "release"}),
        ("intro", {"language": "fa", "intro": "changed after sending"}),
        ("test", {"language": "fa"}),
        ("approve", {"at": "2026-12-07T07:30"}),
        ("send", {"confirm": "1"}),
    ]:
        refused = desk_client.post(f"/desk/editions/{edition_id}/{path}", data=data)
        assert refused.status_code == 409, path
        assert b"cannot be changed" in refused.data or b"already being sent or sent" in refused.data, path
    assert order_of(db, edition_id) == before and len(mail_sink.messages()) == 3
    assert "changed after sending" not in desk_client.get(f"/desk/editions/{edition_id}/preview/fa").get_data(
        as_text=True
    )


def test_progress_page_refreshes_itself_without_javascript_while_sending(desk_client, db, week):
    edition_id, _ = week
    set_edition_status(db, edition_id, "approved", scheduled_at=datetime.now(UTC).isoformat())
    page = desk_client.get(f"/desk/editions/{edition_id}/progress").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert 'src="/static/desk-composer.js"' in page


def test_a_partners_html_shows_as_text_in_the_composer(desk_client, db, config):
    from aggregator.storage.items import get_item, save_item
    from aggregator.storage.sources import add_source
    from aggregator.storage.stories import create_story
    from aggregator.text import content_hash

    edition_id, _ = seed_week(db, config)
    source = add_source(db, "http://evil.invalid/feed/", "<img src=x onerror=alert(1)>", "feed")
    title = "<script>alert('x')</script> Day 3 of the hunger strike"
    _, item = save_item(
        db,
        {
            "source_id": source,
            "url": "http://evil.invalid/1",
            "canonical_url": "http://evil.invalid/1",
            "title": title,
            "text": "hunger strike",
            "language": "en",
            "published_at": get_item(db, 1)["published_at"],
            "content_hash": content_hash(title, "x"),
            "tags": ["hunger-strike"],
        },
    )
    create_story(db, get_item(db, item))
    from newsletter.editions import draft_edition

    draft_edition(db, config)
    page = desk_client.get(f"/desk/editions/{edition_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


def test_a_send_that_stops_says_why_and_resumes_from_the_progress_page(
    desk_app, desk_client, db, week, mail_sink, config
):
    edition_id, _ = week
    for n in range(2):
        add_subscriber(db, f"reader{n}@example.org", "fa")
    desk_app.config["WIRE"] = dataclasses.replace(config, smtp_url=f"smtp://127.0.0.1:{free_port()}")  # down
    desk_client.post(f"/desk/editions/{edition_id}/send", data={"confirm": "1"})
    progress.wait(desk_app.config["WIRE"], edition_id, timeout=60)
    stopped = json.loads(desk_client.get(f"/desk/editions/{edition_id}/status.json").data)
    assert "cannot reach the SMTP server" in stopped["error"] and (stopped["queued"], stopped["sent"]) == (2, 0)
    page = desk_client.get(f"/desk/editions/{edition_id}/progress").get_data(as_text=True)
    assert re.search(r'id="resume"\s*>', page)  # the button is shown: nothing is sending
    desk_app.config["WIRE"] = config  # the server is back
    response = desk_client.post(f"/desk/editions/{edition_id}/resume")
    assert response.status_code == 303
    progress.wait(config, edition_id, timeout=60)
    done = json.loads(desk_client.get(f"/desk/editions/{edition_id}/status.json").data)
    assert (done["status"], done["sent"], done["error"]) == ("sent", 2, None)
    assert sorted(m["To"] for m in mail_sink.messages()) == ["reader0@example.org", "reader1@example.org"]
    again = desk_client.post(f"/desk/editions/{edition_id}/resume")
    assert again.status_code == 409 and b"already sent to everyone" in again.data
