"""The schedule: when drafting and crawling are due; one `wire run-once` cycle end to end."""

import mailbox
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from newsletter.schedule import crawl_due, draft_due, last_draft_moment

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    "now, expected",
    [
        (
            datetime(2026, 11, 23, 4, 59, tzinfo=UTC),
            datetime(2026, 11, 16, 6, 0, tzinfo=BERLIN),
        ),  # Mon 05:59 Berlin
        (
            datetime(2026, 11, 23, 5, 0, tzinfo=UTC),
            datetime(2026, 11, 23, 6, 0, tzinfo=BERLIN),
        ),  # Mon 06:00 Berlin
        (datetime(2026, 11, 26, 12, 0, tzinfo=UTC), datetime(2026, 11, 23, 6, 0, tzinfo=BERLIN)),
    ],
)
def test_last_draft_moment(now, expected):
    assert last_draft_moment(now, "mon 06:00", BERLIN) == expected


def test_draft_is_due_once_per_week():
    monday = datetime(2026, 11, 23, 5, 30, tzinfo=UTC)
    assert draft_due(monday, None, "mon 06:00", BERLIN)
    assert draft_due(monday, monday - timedelta(days=3), "mon 06:00", BERLIN)
    assert not draft_due(monday + timedelta(hours=1), monday, "mon 06:00", BERLIN)
    assert draft_due(monday + timedelta(days=7), monday, "mon 06:00", BERLIN)


def test_crawl_interval():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert crawl_due(now, None, 7200)
    assert not crawl_due(now, now - timedelta(minutes=119), 7200)
    assert crawl_due(now, now - timedelta(minutes=120), 7200)


def test_run_once_crawls_drafts_then_sends_an_approved_edition(tmp_path, demo_network, mail_sink):
    env = {
        "WIRE_DB": str(tmp_path / "wire.db"),
        "WIRE_ALLOW_PRIVATE_NETWORKS": "1",
        "WIRE_ALLOWED_HOSTS": "127.0.0.1",
        "WIRE_CRAWL_DELAY": "0",
        "WIRE_SMTP_URL": mail_sink.url,
        "WIRE_SEND_RATE": "0",
        # the draft time at the very start of the week: the week drafted is the one the demo's
        # articles are in whatever the hour (at the default 'mon 06:00', a run between Monday 00:00
        # and 06:00 drafts the week that just ended, which the demo leaves empty)
        "WIRE_DRAFT_AT": "mon 00:00",
        "PATH": "/usr/bin:/bin",
    }

    def wire(*args):
        result = subprocess.run(
            [sys.executable, "-m", "wire", *args], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    for partner in demo_network.partners[:4]:
        wire("sources", "add", partner.feed_url or partner.home_url, "--yes")
    wire("subscribers", "add", "reader@example.org", "--lang", "de")
    first = wire("run-once")
    assert "drafted: 1" in first and "sent: -" in first
    wire("edition", "approve", "1", "--at", "2026-01-01T00:00:00+00:00")
    second = wire("run-once")
    assert "sent: edition 1: 1" in second
    assert len(list(mailbox.Maildir(str(mail_sink.maildir), create=False))) == 1
    assert "sent" in wire("edition", "list")


def _approved_edition(db, source: int) -> int:
    """One story of `source` in an edition approved for a past time, and one reader: due to be sent."""
    from aggregator.clustering import cluster_new_items
    from aggregator.storage.editions import save_draft, set_edition_status
    from aggregator.storage.items import save_item
    from aggregator.storage.subscribers import add_subscriber
    from aggregator.text import content_hash

    save_item(
        db,
        {
            "source_id": source,
            "url": "http://127.0.0.1:9/a",
            "title": "Vigil on Saturday",
            "text": "A vigil.",
            "language": "en",
            "published_at": "2026-11-20T10:00:00+00:00",
            "content_hash": content_hash("Vigil", "A vigil."),
        },
    )
    cluster_new_items(db)
    story = db.execute("SELECT id FROM stories").fetchone()[0]
    edition = save_draft(db, "2026-W47", [{"story_id": story, "section": "other", "position": 1, "pinned": 0}])
    set_edition_status(db, edition, "approved", scheduled_at="2026-11-21T07:00:00+00:00")
    add_subscriber(db, "reader@example.org", "en")
    return edition


def test_the_serve_scheduler_sends_an_approved_edition_on_time(tmp_path, mail_sink):
    """The thread `wire serve` runs: an edition approved for a past time goes out at the next tick."""
    import time

    from aggregator.db import open_db
    from aggregator.storage.sources import add_source
    from tests.conftest import make_config
    from wire.scheduler import Scheduler

    config = make_config(tmp_path, smtp_url=mail_sink.url)
    db = open_db(config.db)
    edition = _approved_edition(db, add_source(db, "http://127.0.0.1:9/feed", "Partner", "feed"))
    scheduler = Scheduler(config, tick_seconds=0.5)
    scheduler.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(mailbox.Maildir(str(mail_sink.maildir), create=False)):
            time.sleep(0.5)
    finally:
        scheduler.stop()
    assert len(list(mailbox.Maildir(str(mail_sink.maildir), create=False))) == 1
    assert db.execute("SELECT status FROM editions WHERE id = ?", [edition]).fetchone()[0] == "sent"


def test_a_crawl_past_its_deadline_never_keeps_an_edition_from_going_out(tmp_path, mail_sink):
    """A source that hangs the crawl: the cycle stops the crawl at `crawl_deadline`, records the failure
    on that source, sends the approved edition anyway, and does not crawl again at the next tick."""
    import time

    from aggregator.db import open_db
    from aggregator.storage.sources import add_source, get_source
    from tests.conftest import StaticSite, make_config
    from wire.scheduler import run_cycle

    def hang(handler):
        time.sleep(40)
        return 200, {"Content-Type": "application/rss+xml"}, b"<rss version='2.0'><channel/></rss>"

    site = StaticSite(tmp_path)
    site.routes["/feed.xml"] = (200, {}, hang)
    config = make_config(tmp_path, smtp_url=mail_sink.url, crawl_deadline=12, crawl_timeout=60)
    db = open_db(config.db)
    stuck = add_source(db, site.url + "/feed.xml", "Stuck", "feed")
    other = add_source(db, "http://127.0.0.1:9/feed", "Partner", "feed")
    db.execute("UPDATE sources SET next_fetch_at = '2999-01-01T00:00:00+00:00' WHERE id = ?", [other])
    edition = _approved_edition(db, other)
    state = {"last_draft": datetime.now(UTC)}
    report = run_cycle(config, state)
    assert report.crawled and any("did not finish within 12 s" in note for note in report.notes), report.notes
    assert report.sent == {edition: 1}
    assert len(list(mailbox.Maildir(str(mail_sink.maildir), create=False))) == 1
    row = get_source(db, stuck)
    assert "stopped at its deadline" in row["last_error"] and row["consecutive_failures"] == 1
    assert not run_cycle(config, state).crawled, "the next tick waits for the crawl interval"
    site.server.server_close()


def _week_with_a_story(tmp_path, published: str):
    """A database with one story published at `published`, and the config to run cycles against it."""
    from aggregator.clustering import cluster_new_items
    from aggregator.db import open_db
    from aggregator.storage.items import save_item
    from aggregator.storage.sources import add_source
    from aggregator.text import content_hash
    from tests.conftest import make_config

    config = make_config(tmp_path)
    db = open_db(config.db)
    source = add_source(db, "http://127.0.0.1:9/feed", "Partner", "feed")
    for n, when in enumerate([published, "2026-11-18T10:00:00+00:00"]):
        save_item(
            db,
            {
                "source_id": source,
                "url": f"http://127.0.0.1:9/{n}",
                "canonical_url": f"http://127.0.0.1:9/{n}",
                "title": f"Vigil number {n} at the consulate",
                "text": f"Vigil {n}.",
                "language": "en",
                "published_at": when,
                "content_hash": content_hash(f"Vigil {n}", f"Vigil {n}."),
            },
        )
    cluster_new_items(db)
    return config, db


def test_a_serve_restarted_after_the_draft_time_still_drafts_the_week(tmp_path):
    """`wire serve` restarted on Monday 07:00 Berlin, an hour after the draft time: the week is drafted,
    once, because the database has no edition of it (nothing is kept in memory across the restart)."""
    from wire.scheduler import Scheduler, run_cycle

    config, db = _week_with_a_story(tmp_path, "2026-11-23T05:30:00+00:00")
    monday = datetime(2026, 11, 23, 7, 0, tzinfo=BERLIN)
    state = Scheduler(config).state  # what a fresh `wire serve` starts with
    state["last_crawl"] = monday  # no sources: the crawl is not what this test is about
    report = run_cycle(config, state, now=monday)
    assert report.drafted is not None, report.notes
    assert db.execute("SELECT week FROM editions").fetchall() == [("2026-W48",)]
    later = run_cycle(config, state, now=monday + timedelta(hours=2))
    assert later.drafted is None  # the week has its edition: no second draft over the editors' work
    before = run_cycle(config, {"last_crawl": monday}, now=datetime(2026, 11, 23, 5, 0, tzinfo=BERLIN))
    assert before.drafted is not None and db.execute("SELECT week FROM editions ORDER BY week").fetchall() == [
        ("2026-W47",),
        ("2026-W48",),
    ], "before Monday 06:00 the week due is the last one, drafted late rather than never"


def test_run_once_drafts_although_last_weeks_edition_was_approved_on_monday_morning(tmp_path):
    """cron's `wire run-once` keeps nothing between runs: an edition of last week approved on Monday at 06:30
    (its updated_at after the draft time) must not stand for this week's draft."""
    from aggregator.storage.editions import save_draft, set_edition_status
    from wire.scheduler import run_cycle

    config, db = _week_with_a_story(tmp_path, "2026-11-23T05:30:00+00:00")
    story = db.execute("SELECT story_id FROM items WHERE published_at LIKE '2026-11-18%'").fetchone()[0]
    last_week = save_draft(db, "2026-W47", [{"story_id": story, "section": "other", "position": 1, "pinned": 0}])
    set_edition_status(db, last_week, "approved", scheduled_at="2026-11-23T08:00:00+00:00")
    db.execute("UPDATE editions SET updated_at = '2026-11-23T05:30:00+00:00' WHERE id = ?", [last_week])  # 06:30 Berlin
    now = datetime(2026, 11, 23, 7, 0, tzinfo=BERLIN)
    report = run_cycle(config, {"last_crawl": now}, now=now)  # what run-once passes, with the crawl left out
    assert report.drafted is not None and report.drafted != last_week, report.notes
    assert db.execute("SELECT week, status FROM editions ORDER BY week").fetchall() == [
        ("2026-W47", "approved"),
        ("2026-W48", "draft"),
    ]
    assert run_cycle(config, {"last_crawl": now}, now=now + timedelta(hours=1)).drafted is None
