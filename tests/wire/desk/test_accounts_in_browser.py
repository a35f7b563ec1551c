"""The desk's shell in Chromium: log in through the form (the `desk_page` fixture), the editor's pages at
phone width without overflow, Persian right to left, nothing from another host, log out and be kept out."""

from __future__ import annotations

import re

import pytest

from aggregator.storage.sources import add_source


@pytest.mark.browser
def test_the_desk_at_phone_width_in_persian_then_log_out(desk_page, live_app, db, artifacts):
    add_source(db, "http://127.0.0.1:1/feed/", "همبستگی <b>زندانیان</b>", "feed")
    requested = []
    desk_page.on("request", lambda request: requested.append(request.url))
    desk_page.set_viewport_size({"width": 375, "height": 800})
    for path in ("/desk/subscribers", "/desk/sources"):
        desk_page.goto(path)
        assert desk_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    desk_page.select_option("#desk-language", "fa")
    desk_page.click("form.language button")
    desk_page.wait_for_url(re.compile(r"/desk/sources$"))
    assert desk_page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["fa", "rtl"]
    assert desk_page.locator("main h1").evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert "همبستگی <b>زندانیان</b>" in desk_page.locator("main table").inner_text()  # markup shown as text
    assert desk_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    desk_page.screenshot(path=str(artifacts / "desk-sources-fa-375.png"), full_page=True)
    assert all(url.startswith(live_app.url) for url in requested), requested

    desk_page.click("form.logout button")
    desk_page.wait_for_url(re.compile(r"/login$"))
    desk_page.goto("/desk/sources")
    assert re.search(r"/login\?next=", desk_page.url)
