"""The story page through the Flask test client: headline and summary, translations beside the
original, split, merge and move, tags, triage, and undo; each POST answered by a redirect back."""

from __future__ import annotations

import json

import pytest

from aggregator.storage.desk import list_audit
from aggregator.storage.items import get_item
from aggregator.storage.stories import get_story
from tests.wire.desk.story_data import seed_inbox


@pytest.fixture
def stories(db, config):
    return seed_inbox(db, config)


def page(client, story_id):
    response = client.get(f"/desk/stories/{story_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_shows_the_story_its_reports_and_the_original_beside_each_translation(desk_client, stories):
    html = page(desk_client, stories["strike"])
    assert "Kuzeykent" in html and "Rote Hilfe Altwerder" in html and "Dayanışma Ağı Kuzeykent" in html
    assert 'id="translation-fa"' in html and 'name="headline"' in html
    assert 'dir="rtl"' in html  # the Persian and Arabic fields are written right to left
    assert "Suggest" not in html  # no translation service configured: no button
    assert desk_client.get("/desk/stories/999999").status_code == 404


def test_headline_edit_redirects_back_and_names_the_editor(desk_client, stories, db):
    story = stories["strike"]
    response = desk_client.post(
        f"/desk/stories/{story}/headline", data={"headline": "Day 87 of Mahir Ekinci's hunger strike", "summary": ""}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/desk/stories/{story}#headline")
    assert get_story(db, story)["headline"] == "Day 87 of Mahir Ekinci's hunger strike"
    entry = list_audit(db, story_id=story)[0]
    assert (entry["actor"], entry["action"]) == (desk_client.editor.email, "headline edited")
    assert "Day 87 of Mahir Ekinci&#39;s hunger strike" in page(desk_client, story)


def test_undo_restores_the_previous_headline(desk_client, stories, db):
    story = stories["trial"]
    desk_client.post(f"/desk/stories/{story}/headline", data={"headline": "First headline"})
    desk_client.post(f"/desk/stories/{story}/headline", data={"headline": "Second headline"})
    response = desk_client.post(f"/desk/stories/{story}/undo")
    assert response.status_code == 303
    assert get_story(db, story)["headline"] == "First headline"
    assert "Undone: headline edited." in page(desk_client, story)
    assert list_audit(db, story_id=story)[0]["action"] == "undo: headline edited"


def test_a_persian_translation_is_saved_and_a_bad_one_changes_nothing(desk_client, stories, db):
    story = stories["trial"]
    desk_client.post(
        f"/desk/stories/{story}/translation",
        data={"language": "fa", "headline": "دادگاه روزنامه‌نگاران به تعویق افتاد", "summary": "جلسه به دی ماه رفت"},
    )
    saved = get_story(db, story)["translations"]["fa"]
    assert saved["headline"] == "دادگاه روزنامه‌نگاران به تعویق افتاد"
    assert saved["editor_id"] == desk_client.editor.id
    desk_client.post(f"/desk/stories/{story}/translation", data={"language": "fa", "headline": "x" * 400})
    assert get_story(db, story)["translations"]["fa"]["headline"] == saved["headline"]
    assert "at most 300" in page(desk_client, story)
    desk_client.post(f"/desk/stories/{story}/translation", data={"language": "xx", "headline": "nope"})
    assert "xx" not in get_story(db, story)["translations"]


def test_split_and_its_undo(desk_client, stories, db):
    story, item = stories["strike"], stories["strike_de"]
    response = desk_client.post(f"/desk/stories/{story}/split", data={"item": str(item)})
    assert response.status_code == 303
    split_into = get_item(db, item)["story_id"]
    assert split_into != story and get_story(db, story)["item_count"] == 1
    desk_client.post(f"/desk/stories/{story}/undo")
    assert get_item(db, item)["story_id"] == story and get_story(db, story)["item_count"] == 2


def test_merge_and_move(desk_client, stories, db):
    response = desk_client.post(f"/desk/stories/{stories['strike']}/merge", data={"other": str(stories["persian"])})
    survivor = get_item(db, stories["strike_tr"])["story_id"]
    assert response.headers["Location"].endswith(f"/desk/stories/{survivor}#items")
    assert get_story(db, survivor)["item_count"] == 3
    desk_client.post(
        f"/desk/stories/{survivor}/move", data={"item": str(stories["strike_de"]), "target": str(stories["trial"])}
    )
    assert get_item(db, stories["strike_de"])["story_id"] == stories["trial"]
    desk_client.post(f"/desk/stories/{survivor}/move", data={"item": "abc", "target": "1"})
    assert "expected a number" in page(desk_client, survivor)


def test_fix_tags(desk_client, stories, db):
    story = stories["vigil"]
    desk_client.post(f"/desk/stories/{story}/tags", data={"add": "country-de", "remove": []})
    item = get_story(db, story)["items"][0]
    assert json.loads(item["tags"]) == ["country-de", "solidarity-action"]
    desk_client.post(f"/desk/stories/{story}/tags", data={"add": "", "remove": ["solidarity-action"]})
    assert json.loads(get_story(db, story)["items"][0]["tags"]) == ["country-de"]
    desk_client.post(f"/desk/stories/{story}/tags", data={"add": "made-up"})
    assert "unknown tag" in page(desk_client, story)


def test_triage_from_the_story_page(desk_client, stories, db):
    story = stories["persian"]
    desk_client.post(f"/desk/stories/{story}/triage", data={"action": "pin"})
    assert "Pinned" in page(desk_client, story)
    assert db.execute("SELECT pinned FROM edition_entries WHERE story_id = ?", [story]).fetchone()[0] == 1


def test_partner_html_shows_as_text_on_the_story_page(desk_client, stories):
    html = page(desk_client, stories["vigil"])
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_story_of_last_week_is_selected_into_last_weeks_edition(desk_client, stories, db, config):
    from datetime import timedelta

    from aggregator.db import utcnow
    from aggregator.storage.editions import find_edition
    from newsletter.weeks import week_bounds, week_of

    this = week_of(utcnow(), config.zone)
    last = week_of(week_bounds(this, config.zone)[0] - timedelta(days=1), config.zone)
    assert f"edition of {last}" in page(desk_client, stories["old"])
    desk_client.post(f"/desk/stories/{stories['old']}/triage", data={"action": "select"})
    assert [e["story_id"] for e in find_edition(db, last)["entries"]] == [stories["old"]]
    assert find_edition(db, this) is None
