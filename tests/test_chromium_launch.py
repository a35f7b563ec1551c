"""Chromium is started one way: `tests/chromium.py` holds the executable and the flags, the rest import them.

The test suite's browser fixture and the README's screenshots (`docs/screenshots/make.py`) each kept
their own copy of the flags, and the copies had drifted (the screenshots lacked `--disable-quic`).
A file that lists a flag or calls Playwright's `launch` again fails here.
"""

from __future__ import annotations

from pathlib import Path

from tests.chromium import CHROMIUM, LAUNCH_ARGS

ROOT = Path(__file__).resolve().parents[1]
OWN = ROOT / "tests" / "chromium.py"


def _sources() -> list[Path]:
    skipped = {".venv", ".git", "node_modules", "build", "data"}
    return [
        path
        for path in ROOT.rglob("*.py")
        if not skipped & set(path.relative_to(ROOT).parts) and path not in (OWN, Path(__file__).resolve())
    ]


def test_no_other_file_lists_chromiums_flags_or_launches_it():
    found = []
    for path in _sources():
        text = path.read_text(encoding="utf-8", errors="replace")
        for mark in ("--no-sandbox", "--disable-background-networking", "chromium.launch(", f'"{CHROMIUM}"'):
            if mark in text:
                found.append(f"{path.relative_to(ROOT)}: {mark}")
    assert found == []


def test_the_flags_keep_chromium_off_hosts_it_cannot_reach_and_run_as_root():
    assert {"--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"} <= set(
        LAUNCH_ARGS
    )
