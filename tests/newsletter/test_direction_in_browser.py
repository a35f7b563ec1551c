"""The e-mail HTML opened as a file in Chromium, at phone and desktop width: Persian and Arabic read right
to left in every block, foreign runs are isolated, and the parts of the meta and "also reported by"
lines appear in reading order (their boxes from right to left); English is the left-to-right control."""

from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from newsletter.render import render_edition

ZONE = ZoneInfo("Europe/Berlin")

#: Text nodes whose element is neither right to left nor inside an isolated foreign run.
NOT_RTL = """(lang) => {
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const element = node.parentElement;
    const style = getComputedStyle(element);
    if (style.direction === 'rtl') continue;
    const run = element.closest('bdi, [dir]');
    let isolated = false;
    if (run && run !== document.documentElement && run.getAttribute('dir') !== 'rtl') {
      const runStyle = getComputedStyle(run);
      const foreign = run.tagName === 'BDI' || (run.lang && run.lang !== lang);
      const isolating = ['isolate', 'isolate-override', 'plaintext'].includes(runStyle.unicodeBidi)
                        || runStyle.display !== 'inline';
      isolated = foreign && isolating;
    }
    if (!isolated) bad.push(`${element.tagName}.${element.className}: ${node.textContent.trim().slice(0, 50)}`);
  }
  return bad;
}"""

#: For each line matching the selector: its parts with the first and last box each one occupies.
PARTS = """(selector) => [...document.querySelectorAll(selector)].map(line =>
  [...line.querySelectorAll(':scope > .part')].map(part => {
    const rects = [...part.getClientRects()].filter(r => r.width > 0);
    const box = r => ({left: r.left, right: r.right, top: r.top, height: r.height});
    return {text: part.textContent, first: box(rects[0]), last: box(rects[rects.length - 1])};
  }))"""


def _out_of_order(lines: list[list[dict]], direction: str) -> list[str]:
    """Consecutive parts whose boxes are not in reading order (same visual line: towards the line's end)."""
    wrong = []
    for parts in lines:
        for before, after in pairwise(parts):
            a, b = before["last"], after["first"]
            if abs(a["top"] - b["top"]) < a["height"] / 2:  # on one visual line
                ok = b["right"] <= a["left"] + 1 if direction == "rtl" else b["left"] >= a["right"] - 1
            else:
                ok = b["top"] > a["top"]  # wrapped: the next part starts on a later line
            if not ok:
                wrong.append(f"{before['text']!r} then {after['text']!r}")
    return wrong


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
        assert _out_of_order(meta, direction) == [], f"meta line at {width} px"
        assert _out_of_order(also, direction) == [], f"'also reported by' at {width} px"
        # the mixed line of the issue: "The Open Cell · 29 <month> · in English", each part whole and in order
        open_cell = next([part["text"] for part in parts] for parts in meta if parts[0]["text"] == "The Open Cell")
        assert open_cell[1].startswith("29 ") and len(open_cell) == (2 if language == "en" else 3)
