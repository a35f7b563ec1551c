"""Drafting: ranking, sections by theme or region, caps, pins. Pure functions on plain data."""

import json
from datetime import UTC, datetime

from newsletter.compose import plan_edition, urgency

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def story(story_id, title, tags, sources=1, text=""):
    items = [
        {"id": story_id * 10 + n, "source_id": n, "title": title, "text": text, "tags": json.dumps(tags)}
        for n in range(sources)
    ]
    return {
        "id": story_id,
        "representative_item_id": items[0]["id"],
        "items": items,
        "last_published_at": "2026-11-21T10:00:00+00:00",
    }


def test_stories_reported_by_more_partners_and_urgent_ones_rank_first():
    plan = plan_edition(
        [
            story(1, "Concert for prisoners", ["solidarity-action"]),
            story(2, "Vigil at the consulate", ["solidarity-action"], sources=3),
            story(3, "Hunger strike on day 90", ["solidarity-action"]),
        ],
        NOW,
    )
    assert [entry["story_id"] for entry in plan] == [2, 3, 1]


def test_sections_follow_the_theme_order_and_are_capped():
    stories = [story(n, f"Trial {n}", ["trial-sentence"]) for n in range(1, 6)] + [
        story(9, "Hunger strike", ["hunger-strike"]),
        story(10, "Something else", []),
    ]
    plan = plan_edition(stories, NOW, cap=3)
    assert [entry["section"] for entry in plan] == [
        "hunger-strike",
        "trial-sentence",
        "trial-sentence",
        "trial-sentence",
        "other",
    ]
    assert [entry["position"] for entry in plan] == [1, 2, 3, 4, 5]


def test_sections_by_region_and_pins_survive_the_cap():
    stories = [story(n, f"News {n}", ["country-tr"]) for n in range(1, 5)] + [story(7, "Chile", ["country-cl"])]
    plan = plan_edition(stories, NOW, sections_by="region", cap=2, pinned={4})
    sections = {entry["story_id"]: entry["section"] for entry in plan}
    assert sections[7] == "country-cl" and sections[4] == "country-tr"
    assert plan[0]["story_id"] == 4 and plan[0]["pinned"] == 1
    assert sum(1 for entry in plan if entry["section"] == "country-tr") == 2


def test_urgency():
    assert urgency("Ölüm orucu 120. gününde") > urgency("Açlık grevi 10. gününde") > urgency("Konser") == 0
    assert urgency("Verdict expected in the trial of the five") == 0.5


def test_themes_without_a_section_go_to_the_nearest():
    from newsletter.compose import section_of

    assert section_of(["death-penalty", "country-ir"], "theme") == "trial-sentence"
    assert section_of(["prisoner-conditions"], "theme") == "isolation"
    assert section_of(["terror-lists"], "theme") == "other"
