"""Checks of reading direction in Chromium, shared by the e-mail file and the archive page tests:
text outside right-to-left blocks or isolated foreign runs, and parts of a line out of reading order."""

from __future__ import annotations

from itertools import pairwise

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


def out_of_order(lines: list[list[dict]], direction: str) -> list[str]:
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
