"""The e-mail HTML opened as a file in Chromium, at phone and desktop width: Persian and Arabic read right
to left in every block, foreign runs are isolated, and the parts of the meta and "also reported by"
lines appear in reading order (their boxes from right to left); English is the left-to-right control."""

from zoneinfo import ZoneInfo

import pytest

from newsletter.render import render_edition
from tests.direction_checks import NOT_RTL, PARTS, out_of_order

ZONE = ZoneInfo("Europe/Berlin")


@pytest.mark.browser
@pytest.mark.parametrize("language", ["fa", "ar", "en"])
def test_blocks_read_in_the_editions_direction_and_lines_in_reading_order(page, artifacts, tmp_path, edition, language):
    rendered = render_edition(edition, language, "Solidarity Wire", "https://wire.example", ZONE)
    path = tmp_path / f"{language}.html"
    path.write_text(rendered.html, encoding="utf-8")
    direction = "ltr" if language == "en" else "rtl"
    for width in (375, 800):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(path.as_uri())
        page.screenshot(path=str(artifacts / f"direction-{language}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"overflows at {width}"
        if direction == "rtl":
            assert page.evaluate(NOT_RTL, language) == [], f"not right to left at {width} px"
        meta = page.evaluate(PARTS, "p.meta")
        also = page.evaluate(PARTS, "p.also")
        assert len(meta) == len(edition.entries) and all(len(parts) >= 2 for parts in meta)
        assert sorted(len(parts) for parts in also) == [2, 2, 4]  # the label, then each partner
        assert out_of_order(meta, direction) == [], f"meta line at {width} px"
        assert out_of_order(also, direction) == [], f"'also reported by' at {width} px"
        # the mixed line of the issue: "The Open Cell · 29 <month> · in English", each part whole and in order
        open_cell = next([part["text"] for part in parts] for parts in meta if parts[0]["text"] == "The Open Cell")
        assert open_cell[1].startswith("29 ") and len(open_cell) == (2 if language == "en" else 3)
