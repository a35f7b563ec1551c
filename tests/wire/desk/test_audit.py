"""The audit page: admins only; the log filtered by story and by editor; undo of a story's last change."""

from __future__ import annotations

import pytest

from aggregator.storage.items import get_item
from aggregator.storage.stories import get_story
from tests.wire.desk.story_data import seed_inbox


@pytest.fixture
def stories(db, config):
    return seed_inbox(db, config)


def test_an_editor_cannot_see_the_audit_page(desk_client, stories):
    assert desk_client.get("/desk/audit").status_code == 403
    assert desk_client.post("/desk/audit/undo", data={"story": str(stories["strike"])}).status_code == 403


def test_admins_see_who_did_what_and_filter_it(admin_client, desk_client, stories):
    desk_client.post(f"/desk/stories/{stories['strike']}/headline", data={"headline": "Day 87"})
    admin_client.post(f"/desk/stories/{stories['trial']}/triage", data={"action": "select"})
    html = admin_client.get("/desk/audit").get_data(as_text=True)
    assert desk_client.editor.email in html and "admin@example.org" in html
    assert "headline edited" in html and "story selected" in html
    only = admin_client.get(f"/desk/audit?editor={desk_client.editor.email}").get_data(as_text=True)
    assert "headline edited" in only and "story selected" not in only
    story = admin_client.get(f"/desk/audit?story={stories['trial']}").get_data(as_text=True)
    assert "story selected" in story and "headline edited" not in story
    assert admin_client.get("/desk/audit?story=abc").status_code == 400


def test_an_admin_undoes_a_split_from_the_audit_page(admin_client, desk_client, stories, db):
    story, item = stories["strike"], stories["strike_de"]
    desk_client.post(f"/desk/stories/{story}/split", data={"item": str(item)})
    assert get_item(db, item)["story_id"] != story
    html = admin_client.get("/desk/audit").get_data(as_text=True)
    assert f'name="story" value="{story}"' in html  # the undo button of the story's last change
    response = admin_client.post("/desk/audit/undo", data={"story": str(story), "next": "/desk/audit"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/desk/audit")
    assert get_item(db, item)["story_id"] == story and get_story(db, story)["item_count"] == 2
    html = admin_client.get("/desk/audit").get_data(as_text=True)
    assert "Undo: story split" in html and "(undone)" in html
    admin_client.post("/desk/audit/undo", data={"story": str(story)})
    assert "has no change left to undo" in admin_client.get("/desk/audit").get_data(as_text=True)


def test_the_cli_undoes_as_the_desk_does(db, config, stories, monkeypatch, tmp_path):
    """`wire stories undo` calls the same undo: the desk's change reverted, the undo recorded as 'cli'."""
    from click.testing import CliRunner

    from aggregator.curation import edit_story
    from aggregator.storage.desk import list_audit
    from wire.cli import cli

    monkeypatch.setenv("WIRE_DB", str(config.db))
    monkeypatch.delenv("WIRE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    edit_story(db, stories["trial"], "ayse@example.org", "Trial postponed to January", None)
    result = CliRunner().invoke(cli, ["stories", "undo", str(stories["trial"])])
    assert result.exit_code == 0, result.output
    assert "undone 'headline edited' by ayse@example.org" in result.output
    assert get_story(db, stories["trial"])["headline"] is None
    assert list_audit(db, story_id=stories["trial"])[0]["actor"] == "cli"
    again = CliRunner().invoke(cli, ["stories", "undo", str(stories["trial"])])
    assert again.exit_code == 2 and "has no change left to undo" in again.output
