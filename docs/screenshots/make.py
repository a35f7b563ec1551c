"""Make the README's screenshots of the editors' desk from the demo data, in Chromium through Playwright.

The demo partner network is started on 127.0.0.1 and crawled as `wire demo` does, the week's
edition is drafted (not sent: the composer of a sent edition is read-only), an editor account is
made, and the app is served by waitress on a free port. Chromium (Debian's, `/usr/bin/chromium`)
logs in and takes the inbox and the composer at desktop (1280 px) and phone (375 px) width; the
composer's preview shows the edition in Persian, right to left. Each PNG must stay under 200 KB.

    .venv/bin/python docs/screenshots/make.py          # writes docs/screenshots/*.png
"""

from __future__ import annotations

import re
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run as a script from anywhere: the repository's packages first

LIMIT = 200 * 1024
WIDTHS = {"desktop": (1280, 860), "phone": (375, 812)}
EDITOR, PASSWORD = "editor@example.org", "a passphrase for the screenshots"


def prepare(folder: Path):
    """The demo crawled into a fresh database, this week's edition drafted, an editor; return the config."""
    from aggregator.accounts import add_account
    from aggregator.config import load_config
    from aggregator.db import open_db, utcnow
    from aggregator.storage.partners import ensure_partner
    from aggregator.storage.sources import add_source
    from aggregator.storage.subscribers import add_subscriber
    from crawlers.run import crawl_in_subprocess
    from newsletter.editions import draft_edition
    from wire.demo.network import DemoNetwork
    from wire.demo.pipeline import DEMO_SUBSCRIBERS, demo_config_text

    config_path = folder / "wire.toml"
    config_path.write_text(demo_config_text(folder / "wire.db", "smtp://127.0.0.1:9"), encoding="utf-8")
    config = load_config(config_path, environ={})
    db = open_db(config.db)
    with DemoNetwork() as network:
        for partner in network.partners:
            partner_id = ensure_partner(db, partner.name, website=partner.home_url, language=partner.languages[0])
            url = (partner.feed_url if partner.kind == "feed" else None) or partner.home_url
            add_source(db, url, partner.name, partner.kind, partner_id=partner_id, language=partner.languages[0])
        crawl_in_subprocess(config)
    draft_edition(db, config)
    for address, language in DEMO_SUBSCRIBERS:
        add_subscriber(db, address, language)
    add_account(db, EDITOR, PASSWORD, admin=True, language="en", actor="screenshots", now=utcnow())
    db.conn.close()
    return config


def shoot(base_url: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from tests.chromium import launch

    paths = []
    with sync_playwright() as playwright:
        browser = launch(playwright)  # the test suite's Chromium, flags and all (tests/chromium.py)
        for name, (width, height) in WIDTHS.items():
            context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto("/login")
            page.fill("input[name=email]", EDITOR)
            page.fill("input[name=password]", PASSWORD)
            page.click("form.stacked button[type=submit]")
            page.wait_for_url(re.compile(r"/desk/"))
            for shot, path in (("inbox", "/desk/"), ("composer", "/desk/edition?preview=fa")):
                page.goto(path)
                page.wait_for_load_state("load")  # the preview's frame too
                target = HERE / f"{shot}-{name}.png"
                page.screenshot(path=str(target))
                paths.append(target)
            context.close()
        browser.close()
    return paths


def main() -> None:
    from waitress.server import create_server

    from wire.web import create_app

    with tempfile.TemporaryDirectory() as folder:
        config = prepare(Path(folder))
        server = create_server(create_app(config), host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        try:
            paths = shoot(f"http://127.0.0.1:{server.effective_port}")
        finally:
            server.close()
    too_big = [f"{p.name} ({p.stat().st_size // 1024} KB)" for p in paths if p.stat().st_size > LIMIT]
    for path in paths:
        print(f"{path.relative_to(HERE.parents[1])}: {path.stat().st_size // 1024} KB")
    if too_big:
        sys.exit(f"over {LIMIT // 1024} KB: {', '.join(too_big)}")


if __name__ == "__main__":
    main()
