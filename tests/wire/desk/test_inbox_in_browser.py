"""The inbox in Chromium: the keyboard (j/k move, s selects, x rejects) through static/desk-inbox.js,
and a bulk action on checked stories, which needs no script at all. One logged-in page for the module's
one test, to keep the suite fast."""

from __future__ import annotations

import re

import pytest

from aggregator.db import utcnow
from aggregator.storage.editions import find_edition
from newsletter.weeks import week_of
from tests.wire.desk.story_data import seed_inbox

pytestmark = pytest.mark.browser


def test_keyboard_triage_and_a_bulk_action(desk_page, db, config):
    stories = seed_inbox(db, config)
    problems: list[str] = []
    desk_page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    desk_page.on("pageerror", lambda error: problems.append(str(error)))
    desk_page.goto("/desk/")
    order = [int(n) for n in desk_page.locator("article.story").evaluate_all("els => els.map(e => e.dataset.story)")]
    assert order == [stories["persian"], stories["vigil"], stories["trial"], stories["strike"]]  # newest first

    def current() -> int:
        return int(desk_page.locator("article.story.current").get_attribute("data-story"))

    desk_page.keyboard.press("j")
    desk_page.keyboard.press("j")
    assert current() == order[1]
    desk_page.keyboard.press("k")
    assert current() == order[0]
    desk_page.keyboard.press("s")  # select the Persian story, in place
    desk_page.wait_for_selector(f'#story-{order[0]} .status[data-status="selected"]')
    assert desk_page.locator(f"#story-{order[0]} .status").inner_text() == "Selected"
    desk_page.keyboard.press("j")
    desk_page.keyboard.press("x")  # reject the vigil
    desk_page.wait_for_selector(f'#story-{order[1]} .status[data-status="rejected"]')
    week = week_of(utcnow(), config.zone)
    assert [entry["story_id"] for entry in find_edition(db, week)["entries"]] == [order[0]]
    assert db.execute("SELECT rejected_at FROM stories WHERE id = ?", [order[1]]).fetchone()[0] is not None
    # typing into the search box is typing, not triage
    desk_page.fill("input[name=q]", "")
    desk_page.locator("input[name=q]").press("x")
    assert db.execute("SELECT rejected_at FROM stories WHERE id = ?", [order[0]]).fetchone()[0] is None

    # bulk: check two stories, press "Select" of the checked ones; the page comes back with the message
    desk_page.goto("/desk/")
    assert desk_page.locator(f"#story-{order[1]}").count() == 0  # rejected: hidden now
    desk_page.check(f"#check-{stories['trial']}")
    desk_page.check(f"#check-{stories['strike']}")
    desk_page.click("form.triage .bulk button[value=select]")
    desk_page.wait_for_url(re.compile(r"/desk/$"))
    assert "2 stories selected." in desk_page.locator(".flash").inner_text()
    entries = [entry["story_id"] for entry in find_edition(db, week)["entries"]]
    assert entries == [order[0], stories["trial"], stories["strike"]]
    assert desk_page.locator(f'#story-{stories["trial"]} .status[data-status="selected"]').count() == 1
    assert problems == []  # no script error, no refused script (CSP: script-src 'self')
