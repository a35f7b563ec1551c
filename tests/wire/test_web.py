"""The web skeleton: health endpoint and this week's items, tested in Debian's Chromium."""

import json
import urllib.request

import pytest

from aggregator.db import iso, utcnow
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source
from aggregator.text import content_hash


def _seed(db):
    source = add_source(db, "http://127.0.0.1:1/feed/", "Kanun Hamrah", "feed")
    now = iso(utcnow())
    for n, (title, language) in enumerate([("Day 60 of the hunger strike in Aldbridge", "en"),
                                           ("<script>alert('x')</script> Vigil at the consulate", "en"),
                                           ("اعتصاب غذای زندانیان سیاسی در روز شصتم", "fa")]):
        save_item(db, {"source_id": source, "url": f"http://127.0.0.1:1/{n}", "canonical_url": f"http://127.0.0.1:1/{n}",
                       "title": title, "text": title, "summary": f"Summary {n}", "language": language,
                       "published_at": now, "content_hash": content_hash(title, str(n))})


def test_health(live_app, db):
    with urllib.request.urlopen(f"{live_app.url}/health") as response:
        body = json.loads(response.read())
    assert body["status"] == "ok" and body["schema_version"] >= 1


@pytest.mark.browser
def test_this_weeks_items_page_in_chromium(live_app, db, page, artifacts):
    _seed(db)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_app.url + "/")
    assert page.title() == "This week · Solidarity Wire"
    titles = page.locator("li.item h2").all_inner_texts()
    assert len(titles) == 3
    assert "<script>alert('x')</script> Vigil at the consulate" in titles  # shown as text, never run
    persian = page.locator("li.item[lang=fa]")
    assert persian.get_attribute("dir") == "rtl"
    assert persian.evaluate("el => getComputedStyle(el).textAlign") == "right"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no horizontal overflow
    assert all(url.startswith(live_app.url) for url in requested), requested  # nothing from another host
    page.screenshot(path=str(artifacts / "this-week-375.png"), full_page=True)
