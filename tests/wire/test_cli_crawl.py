"""`wire crawl` as a user runs it: in its own process, against real HTTP servers on loopback.

Ctrl-C stops it within seconds with the summary and status 130, leaving the unfinished
source due and not "ok"; without -v it prints its progress and table only; our Scrapy
settings raise no deprecation warnings.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from aggregator.db import open_db, parse_iso, utcnow
from aggregator.storage.sources import add_source

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Fast partner</title><link>{url}/</link><description>news</description>
<item><title>Day 40 of the hunger strike</title><link>{url}/day-40</link><guid>{url}/day-40</guid>
<pubDate>Mon, 16 Nov 2026 10:00:00 +0000</pubDate>
<description>Mahir Ekinci is on day 40 of his hunger strike, his lawyers said on Monday.</description></item>
</channel></rss>"""


@pytest.fixture
def env(tmp_path):
    return {
        **os.environ,
        "PYTHONPATH": ROOT,
        "WIRE_DB": str(tmp_path / "wire.db"),
        "WIRE_CRAWL_DELAY": "0",
        "WIRE_ALLOW_PRIVATE_NETWORKS": "1",
        "WIRE_ALLOWED_HOSTS": "127.0.0.1",
        "WIRE_CONFIG": "",
    }


@pytest.fixture
def partners(static_site, env):
    """A fast feed, and a slow one that answers after a minute (its request is logged on arrival)."""
    fast = static_site()
    fast.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, FEED.format(url=fast.url).encode())

    def slowly(handler):
        time.sleep(60)
        return 200, {"Content-Type": "application/rss+xml"}, FEED.format(url=slow.url).encode()

    slow = static_site({"/feed.xml": (200, {}, slowly)})
    db = open_db(env["WIRE_DB"])
    ids = {
        "fast": add_source(db, f"{fast.url}/feed.xml", "Fast partner", "feed"),
        "slow": add_source(db, f"{slow.url}/feed.xml", "Slow partner", "feed"),
    }
    db.conn.close()
    return {"fast": fast, "slow": slow, "ids": ids}


def sources(env) -> dict[int, dict]:
    listing = subprocess.run(
        [sys.executable, "-m", "wire", "sources", "list", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    return {row["id"]: row for row in map(json.loads, listing.stdout.splitlines())}


def test_ctrl_c_stops_the_crawl_with_the_summary_and_leaves_the_slow_source_due(env, partners):
    crawl = subprocess.Popen(
        [sys.executable, "-m", "wire", "crawl"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not any(path == "/feed.xml" for path, _ in partners["slow"].requests):
        assert time.monotonic() < deadline and crawl.poll() is None, "the slow feed was never requested"
        time.sleep(0.1)
    time.sleep(1)  # the fast partner's feed is done by now
    interrupted_at = time.monotonic()
    crawl.send_signal(signal.SIGINT)
    stdout, stderr = crawl.communicate(timeout=30)
    # 2 s of grace, then the summary; what folding has not placed waits for the next crawl. Before, Scrapy waited for
    # the request (30 s download timeout) and then clustered (11 s more on 2 busy cores)
    assert time.monotonic() - interrupted_at < 15, "Ctrl-C took more than a few seconds"
    assert crawl.returncode == 130, stderr
    assert "Traceback" not in stderr
    for label in ("sources fetched", "sources interrupted", "items new"):
        assert label in stdout
    rows = sources(env)
    slow, fast = rows[partners["ids"]["slow"]], rows[partners["ids"]["fast"]]
    assert slow["health"] != "ok" and slow["last_success_at"] is None
    assert parse_iso(slow["next_fetch_at"]) <= utcnow()  # due: the next crawl fetches it
    assert "interrupted" in slow["last_error"]
    assert fast["health"] == "ok" and fast["items_total"] == 1
    db = open_db(env["WIRE_DB"])
    # the fast partner's item is kept: placed by the folding that runs alongside the crawl, or,
    # when Ctrl-C came first, waiting without a story for the next crawl
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 1
    again = subprocess.run(
        [sys.executable, "-m", "wire", "crawl", "--source", str(partners["ids"]["fast"])],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert db.execute("SELECT count(*) FROM items WHERE story_id IS NULL").fetchone()[0] == 0, "placed next time"


def test_crawl_prints_progress_and_its_table_only(env, static_site):
    site = static_site()
    site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, FEED.format(url=site.url).encode())
    site.routes["/gone.xml"] = (404, {}, b"")
    db = open_db(env["WIRE_DB"])
    add_source(db, f"{site.url}/feed.xml", "Fast partner", "feed")
    failing = add_source(db, f"{site.url}/gone.xml", "Gone partner", "feed")
    db.conn.close()
    quiet = subprocess.run(
        [sys.executable, "-m", "wire", "crawl"], env=env, capture_output=True, text=True, timeout=120
    )
    assert quiet.returncode == 0, quiet.stderr
    assert "items new" in quiet.stdout
    # stderr: only our one-line summary of each source's error, no Scrapy log lines
    errors = [line for line in quiet.stderr.splitlines() if line.strip()]
    assert errors and all(line.startswith("  ! source ") for line in errors), quiet.stderr
    assert any(line.startswith(f"  ! source {failing} ") for line in errors)
    loud = subprocess.run(
        [sys.executable, "-m", "wire", "-v", "crawl", "--source", str(failing)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "INFO scrapy" in loud.stderr


def test_our_scrapy_settings_raise_no_deprecation_warning(env, config):
    """A real crawl with every warning shown (-W always, -v): none names one of our settings."""
    from crawlers.settings import settings_for

    crawl = subprocess.run(
        [sys.executable, "-W", "always", "-m", "wire", "-v", "crawl"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crawl.returncode == 0, crawl.stderr
    warned = [line for line in crawl.stderr.splitlines() if "Warning:" in line]
    ours = [line for line in warned if any(key in line for key in settings_for(config))]
    assert not ours, ours
