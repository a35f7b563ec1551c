"""The inbox through the Flask test client, logged in as an editor: filters as links, search that
accepts what people type, triage by a story's own button and by checked boxes (no JavaScript)."""

from __future__ import annotations

import re

import pytest

from aggregator.db import utcnow
from aggregator.storage.editions import find_edition
from newsletter.weeks import week_of
from tests.wire.desk.story_data import seed_inbox


@pytest.fixture
def stories(db, config):
    return seed_inbox(db, config)


def shown(response) -> set[int]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return {int(n) for n in re.findall(r'id="story-(\d+)"', response.get_data(as_text=True))}


def test_the_inbox_shows_the_weeks_stories_with_their_reports(desk_client, stories):
    response = desk_client.get("/desk/")
    html = response.get_data(as_text=True)
    assert shown(response) == {stories["strike"], stories["trial"], stories["vigil"], stories["persian"]}
    assert "Also reported by" in html and "Rote Hilfe Altwerder" in html and "Dayanışma Ağı Kuzeykent" in html
    assert "açlık grevi" in html  # the evidence for the tag
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'src="/static/desk-inbox.js"' in html


def test_filters_combine_and_are_links(desk_client, stories, db):
    partner = db.execute("SELECT id FROM partners WHERE name = 'Hukuk Gözlem Ağı'").fetchone()[0]
    assert shown(desk_client.get("/desk/?language=tr")) == {stories["strike"], stories["trial"]}
    assert shown(desk_client.get("/desk/?language=tr&theme=hunger-strike")) == {stories["strike"]}
    assert shown(desk_client.get(f"/desk/?language=tr&partner={partner}")) == {stories["trial"]}
    assert shown(desk_client.get(f"/desk/?language=tr&partner={partner}&theme=hunger-strike")) == set()
    assert shown(desk_client.get("/desk/?country=country-ir")) == {stories["persian"]}
    assert shown(desk_client.get("/desk/?theme=hunger-strike&country=country-tr&language=de")) == {stories["strike"]}
    html = desk_client.get("/desk/?language=tr&theme=hunger-strike").get_data(as_text=True)
    assert re.search(r'<option value="tr"\s+selected', html)  # the form shows the view it is


@pytest.mark.parametrize("typed", ["hunger-strike", '"x', "AND", "NEAR(", '"', "*", "a OR"])
def test_search_accepts_what_people_type(desk_client, stories, typed):
    response = desk_client.get("/desk/", query_string={"q": typed})
    found = shown(response)
    if typed == "hunger-strike":
        assert found == {stories["old"]}  # across all weeks


def test_a_bad_filter_is_a_clear_message_not_an_error_page(desk_client, stories):
    response = desk_client.get("/desk/?status=maybe")
    assert response.status_code == 400
    assert "status: expected one of" in response.get_data(as_text=True)
    assert desk_client.get("/desk/?partner=abc").status_code == 400


def test_select_and_reject_by_a_storys_button_then_back_to_the_same_view(desk_client, stories, db, config):
    view = "/desk/?language=tr"
    response = desk_client.post("/desk/triage", data={"one": f"{stories['strike']}:select", "next": view, "week": ""})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{view}#story-{stories['strike']}")
    edition = find_edition(db, week_of(utcnow(), config.zone))
    assert [entry["story_id"] for entry in edition["entries"]] == [stories["strike"]]
    desk_client.post("/desk/triage", data={"one": f"{stories['trial']}:reject", "next": view})
    assert shown(desk_client.get(view)) == {stories["strike"]}  # rejected: hidden by default
    assert shown(desk_client.get(view + "&status=rejected")) == {stories["trial"]}
    assert shown(desk_client.get(view + "&status=selected")) == {stories["strike"]}
    actors = {row[0] for row in db.execute("SELECT actor FROM audit_log WHERE story_id IS NOT NULL")}
    assert actors == {desk_client.editor.email}


def test_bulk_actions_on_checked_stories(desk_client, stories, db, config):
    checked = [stories["vigil"], stories["persian"]]
    response = desk_client.post(
        "/desk/triage", data={"action": "pin", "story": [str(s) for s in checked], "next": "/desk/"}
    )
    assert response.status_code == 303
    flash = desk_client.get("/desk/").get_data(as_text=True)
    assert "2 stories pinned." in flash
    assert shown(desk_client.get("/desk/?status=pinned")) == set(checked)
    desk_client.post("/desk/triage", data={"action": "select", "next": "/desk/"})
    assert "Check at least one story first." in desk_client.get("/desk/").get_data(as_text=True)


def test_triage_without_a_csrf_token_is_refused(desk_client, stories, db):
    response = desk_client.post("/desk/triage", data={"one": f"{stories['strike']}:select"}, csrf=False)
    assert response.status_code == 400
    assert db.execute("SELECT count(*) FROM edition_entries").fetchone()[0] == 0


def test_the_keyboard_script_asks_for_json(desk_client, stories):
    response = desk_client.post(
        "/desk/triage", data={"one": f"{stories['persian']}:reject"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.get_json() == {"stories": [stories["persian"]], "status": "rejected", "changed": 1}
    refused = desk_client.post("/desk/triage", data={"one": "x:reject"}, headers={"Accept": "application/json"})
    assert refused.status_code == 400 and "story" in refused.get_json()["error"]


def test_the_inbox_speaks_the_editors_language_right_to_left(desk_client_for, stories):
    persian = desk_client_for(language="fa")
    html = persian.get("/desk/").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in html
    assert "صندوق ورودی" in html and "جست‌وجو در همه هفته‌ها" in html  # Inbox, Search all weeks
    story = persian.get(f"/desk/stories/{stories['strike']}").get_data(as_text=True)
    assert "تیتر و خلاصه" in story  # Headline and summary


def test_other_weeks_keep_the_filters(desk_client, stories, config):
    from datetime import timedelta

    from newsletter.weeks import week_bounds

    week = week_of(utcnow(), config.zone)
    last = week_of(week_bounds(week, config.zone)[0] - timedelta(days=1), config.zone)
    html = desk_client.get("/desk/?language=tr").get_data(as_text=True)
    assert f'href="/desk/?language=tr&amp;week={last}"' in html
    assert shown(desk_client.get(f"/desk/?language=tr&week={last}")) == {stories["old"]}
    assert shown(desk_client.get(f"/desk/?language=de&week={last}")) == set()
    assert desk_client.get("/desk/?week=2026-W99").status_code == 400


def test_a_story_shows_its_first_reports_and_links_to_the_rest(desk_client, stories, db, config):
    """A page of 50 stories stays small: a story's first 3 reports, then how many more (on the story page);
    every partner is still named and every report's tag evidence still counts."""
    from datetime import timedelta

    from aggregator.storage.items import save_item
    from aggregator.storage.partners import ensure_partner
    from aggregator.storage.sources import add_source
    from aggregator.storage.stories import attach_item
    from aggregator.storage.tags import replace_tag_evidence
    from aggregator.text import content_hash
    from tests.wire.desk.story_data import this_week_start

    when = this_week_start(config) + timedelta(hours=14)
    for number in range(4):  # the strike story had 2 reports: now 6
        partner = f"Partner <b>{number}</b>"
        source = add_source(
            db, f"http://127.0.0.1:9/more{number}/feed/", partner, "feed", ensure_partner(db, partner), "en"
        )
        url = f"http://127.0.0.1:9/more/{number}"
        title = f"Later report {number} <i>x</i>"
        _, item_id = save_item(
            db,
            {
                "source_id": source,
                "guid": url,
                "url": url,
                "canonical_url": url,
                "title": title,
                "text": f"Report {number} on the hunger strike.",
                "language": "en",
                "published_at": (when + timedelta(hours=number)).isoformat(),
                "content_hash": content_hash(title, str(number)),
            },
        )
        replace_tag_evidence(db, [(item_id, {"health": [f"word{number}"]})])
        attach_item(db, item_id, stories["strike"])
    html = desk_client.get("/desk/").get_data(as_text=True)
    story = html[html.index(f'id="story-{stories["strike"]}"') :]
    story = story[: story.index("</article>")]
    assert "Hungerstreik in Kuzeykent: Tag 87" in story and "Later report 0 &lt;i&gt;x&lt;/i&gt;" in story
    assert "Later report 1" not in story and "Later report 3" not in story  # on the story page
    assert re.search(rf'<a href="/desk/stories/{stories["strike"]}">and 3 more reports</a>', story)
    assert "Partner &lt;b&gt;3&lt;/b&gt;" in story  # also reported by: every partner, shown or not
    assert "word3" in story  # the evidence of a report not shown still counts
    page = desk_client.get(f"/desk/stories/{stories['strike']}").get_data(as_text=True)
    assert "Later report 3 &lt;i&gt;x&lt;/i&gt;" in page


def test_the_inbox_shows_25_stories_a_page(desk_client, stories, db, config):
    """25 stories a page (the server's time grows with the stories on it), the next ones a link away."""
    from datetime import timedelta

    from aggregator.storage.items import get_item, save_item
    from aggregator.storage.sources import add_source
    from aggregator.storage.stories import create_story
    from aggregator.text import content_hash
    from tests.wire.desk.story_data import this_week_start

    source = add_source(db, "http://127.0.0.1:9/paging/feed/", "Paging partner", "feed", None, "en")
    when = this_week_start(config) + timedelta(hours=20)
    for number in range(22):  # 4 stories this week already: 26 in all
        url = f"http://127.0.0.1:9/paging/{number}"
        _, item_id = save_item(
            db,
            {
                "source_id": source,
                "guid": url,
                "url": url,
                "canonical_url": url,
                "title": f"Story number {number}",
                "text": f"Text {number}.",
                "language": "en",
                "published_at": (when + timedelta(minutes=number)).isoformat(),
                "content_hash": content_hash(url, str(number)),
            },
        )
        create_story(db, get_item(db, item_id))
    first = desk_client.get("/desk/")
    html = first.get_data(as_text=True)
    second = shown(desk_client.get("/desk/?page=2"))
    assert len(shown(first)) == 25 and len(second) == 1
    assert not shown(first) & second
    assert 'href="/desk/?page=2" rel="next"' in html
