"""Start Debian's Chromium through Playwright, the one way the tests and the README's screenshots do.

`playwright install` downloads a browser and fails here, so Playwright drives `/usr/bin/chromium`.
As root (CI), headless Chromium needs `--no-sandbox`; the other flags keep it from reaching for
hosts it cannot reach (updates, sync, QUIC probes), which would slow pages and leak nothing but
noise. Kept here alone so that the test suite's browser and `docs/screenshots/make.py` cannot drift.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


def launch(playwright: Playwright) -> Browser:
    """Headless Chromium with the project's flags."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(LAUNCH_ARGS))
