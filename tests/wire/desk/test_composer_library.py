"""The library behind the desk's composer: ordering that keeps sections whole, approval, the preview made by
the e-mail renderer, and a send started in the background into a real SMTP server (aiosmtpd) whose progress
is read from the delivery log."""

from __future__ import annotations

import mailbox
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from aggregator.exceptions import ConflictError, InvalidInput, NotFound
from aggregator.storage.editions import get_edition, reorder_entries, save_intro, set_edition_status
from aggregator.storage.stories import save_translation
from aggregator.storage.subscribers import add_subscriber
from newsletter import progress
from newsletter.approval import approve_edition, send_time, withdraw_approval
from newsletter.editions import load_edition
from newsletter.ordering import blocks, checked_order, move_section, move_story
from newsletter.preview import PREVIEW_TOKEN, preview_html
from newsletter.render import TOKEN_PLACEHOLDER, personalise, render_edition
from tests.conftest import make_config
from tests.wire.desk.composer_data import seed_week

ENTRIES = [
    {"story_id": 1, "section": "hunger-strike", "position": 1},
    {"story_id": 2, "section": "hunger-strike", "position": 2},
    {"story_id": 3, "section": "trial-sentence", "position": 3},
    {"story_id": 4, "section": "solidarity-action", "position": 4},
    {"story_id": 5, "section": "solidarity-action", "position": 5},
]


@pytest.mark.parametrize(
    ("story", "step", "order"),
    [
        (2, -1, [2, 1, 3, 4, 5]),
        (1, -1, [1, 2, 3, 4, 5]),  # first of its section stays first: it never leaves its section
        (2, +1, [1, 2, 3, 4, 5]),  # last of its section stays last
        (4, +1, [1, 2, 3, 5, 4]),
        (3, -1, [1, 2, 3, 4, 5]),  # alone in its section
    ],
)
def test_a_story_moves_only_within_its_section(story, step, order):
    assert move_story(ENTRIES, story, step) == order


@pytest.mark.parametrize(
    ("section", "step", "order"),
    [
        ("trial-sentence", -1, [3, 1, 2, 4, 5]),
        ("hunger-strike", +1, [3, 1, 2, 4, 5]),
        ("solidarity-action", -1, [1, 2, 4, 5, 3]),
        ("hunger-strike", -1, [1, 2, 3, 4, 5]),
        ("solidarity-action", +1, [1, 2, 3, 4, 5]),
    ],
)
def test_a_section_moves_as_a_whole(section, step, order):
    assert move_section(ENTRIES, section, step) == order


def test_a_dragged_order_is_regrouped_by_section_and_must_name_every_story_once():
    # story 4 dragged to the top: its section comes first, with its other story, as readers would see it
    assert checked_order(ENTRIES, [4, 1, 2, 3, 5]) == [4, 5, 1, 2, 3]
    for bad in ([1, 2, 3, 4], [1, 2, 3, 4, 5, 6], [1, 1, 2, 3, 4]):
        with pytest.raises(InvalidInput, match="every story of the edition once"):
            checked_order(ENTRIES, bad)
    with pytest.raises(NotFound):
        move_story(ENTRIES, 99, 1)
    with pytest.raises(NotFound):
        move_section(ENTRIES, "release", 1)


def test_send_time_reads_a_time_without_offset_in_the_configured_zone():
    berlin = ZoneInfo("Europe/Berlin")
    assert send_time("2026-11-30T07:00", berlin) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert send_time("2026-11-30T07:00:00+00:00", berlin) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    now = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    assert send_time("", berlin, now=now) == now
    with pytest.raises(InvalidInput, match="not an ISO 8601 time: 'monday morning'"):
        send_time("monday morning", berlin)


def test_order_approval_and_the_frozen_rule_in_storage(db, config):
    edition_id, _ = seed_week(db, config)
    entries = get_edition(db, edition_id)["entries"]
    order = move_section(entries, blocks(entries)[-1][0], -1)
    reorder_entries(db, edition_id, order)
    assert [e["story_id"] for e in get_edition(db, edition_id)["entries"]] == order
    with pytest.raises(ConflictError, match="changed meanwhile"):
        reorder_entries(db, edition_id, order[:-1])

    at = approve_edition(db, edition_id, datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    edition = get_edition(db, edition_id)
    assert (edition["status"], edition["scheduled_at"], at) == ("approved", at, "2026-12-01T06:00:00+00:00")
    withdraw_approval(db, edition_id)
    assert get_edition(db, edition_id)["status"] == "draft"
    with pytest.raises(ConflictError, match="not approved"):
        withdraw_approval(db, edition_id)

    set_edition_status(db, edition_id, "sent")
    with pytest.raises(ConflictError, match="cannot be changed"):
        reorder_entries(db, edition_id, list(reversed(order)))
    with pytest.raises(InvalidInput, match="already being sent or sent"):
        approve_edition(db, edition_id, datetime(2026, 12, 1, 6, 0, tzinfo=UTC))


def test_the_preview_is_the_email_renderer_s_html_with_a_token_that_belongs_to_nobody(db, config):
    edition_id, stories = seed_week(db, config)
    story = stories["Kuzeykent Cezaevi'nde açlık grevi 87. gününde"]
    save_translation(db, story, "fa", "روز ۸۷ اعتصاب غذا در زندان کوزی‌کنت")
    save_intro(db, edition_id, "fa", "خبرهای این هفته")
    shown = preview_html(db, config, edition_id, "fa")
    assert "روز ۸۷ اعتصاب غذا در زندان کوزی‌کنت" in shown
    assert 'dir="rtl"' in shown
    assert TOKEN_PLACEHOLDER not in shown and f"/unsubscribe/{PREVIEW_TOKEN}" in shown
    # exactly the HTML part that sending makes
    edition = load_edition(db, edition_id)
    sent = render_edition(edition, "fa", config.site_name, config.base_url, config.zone).html
    assert shown == personalise(sent, PREVIEW_TOKEN)
    with pytest.raises(InvalidInput, match="not rendered in 'xx'"):
        preview_html(db, config, edition_id, "xx")


def test_a_preview_is_made_again_after_any_change_to_the_database_and_only_then(db, config):
    """A preview seen again is not made again (no query at all), but a change committed by any connection,
    this one, another one or another process, makes the next one from the new data."""
    import sqlite3

    edition_id, stories = seed_week(db, config)
    story = stories["Kuzeykent Cezaevi'nde açlık grevi 87. gününde"]
    first = preview_html(db, config, edition_id, "fa")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        assert preview_html(db, config, edition_id, "fa") == first
    finally:
        db.conn.set_trace_callback(None)
    assert not [sql for sql in statements if "stories" in sql or "items" in sql], statements  # not read again
    assert preview_html(db, config, edition_id, "tr") != first  # each language its own

    save_translation(db, story, "fa", "تیتر تازه‌ی ویراستار")  # through the same connection, as the desk does
    assert "تیتر تازه‌ی ویراستار" in preview_html(db, config, edition_id, "fa")
    other = sqlite3.connect(config.db, isolation_level=None)  # another connection, as another process would
    try:
        other.execute(
            "UPDATE translations SET headline = ? WHERE story_id = ? AND language = 'fa'", ["تیتر دوم", story]
        )
    finally:
        other.close()
    shown = preview_html(db, config, edition_id, "fa")
    assert "تیتر دوم" in shown and "تیتر تازه‌ی ویراستار" not in shown
    edition = load_edition(db, edition_id)
    assert shown == personalise(
        render_edition(edition, "fa", config.site_name, config.base_url, config.zone).html, PREVIEW_TOKEN
    )


def test_a_kept_preview_is_dropped_with_the_connection_that_watched_its_database(tmp_path):
    """A watching connection closed to make room (tests open many databases) takes its previews with it:
    a new one counts its versions from its own start, and could meet an old number again."""
    import sqlite3

    from newsletter.preview import _Previews

    previews = _Previews()
    paths = [str(tmp_path / f"{n}.db") for n in range(previews.WATCHED_FILES + 2)]
    for path in paths:
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE t (a)")
    version = previews.version(paths[0])
    previews.put((paths[0], 1), version, "made under the first watch")
    assert previews.get((paths[0], 1), previews.version(paths[0])) == "made under the first watch"
    for path in paths[1:]:  # the first database's watch is closed
        previews.version(path)
    assert previews.get((paths[0], 1), previews.version(paths[0])) is None


def test_a_background_send_reaches_the_smtp_server_and_its_progress_is_read_from_deliveries(tmp_path, mail_sink, db):
    config = make_config(tmp_path, smtp_url=mail_sink.url)
    edition_id, _ = seed_week(db, config)
    for n, language in enumerate(["fa", "fa", "tr", "en"]):
        add_subscriber(db, f"reader{n}@example.org", language)
    before = progress.read_progress(db, config, edition_id)
    assert (before.status, before.total, before.running, before.percent) == ("draft", 0, False, 0)

    approve_edition(db, edition_id, datetime.now(UTC))
    assert progress.start_send(config, edition_id, "editor@example.org")
    progress.wait(config, edition_id, timeout=60)

    after = progress.read_progress(db, config, edition_id)
    assert (after.status, after.total, after.sent, after.done, after.percent) == ("sent", 4, 4, 4, 100)
    assert after.error is None and not after.running
    arrived = sorted(message["To"] for message in mailbox.Maildir(mail_sink.maildir))
    assert arrived == [f"reader{n}@example.org" for n in range(4)]
    actions = [row["action"] for row in db.query("SELECT action FROM audit_log WHERE entity = 'edition'")]
    assert actions == ["edition send started", "edition send finished"]


def test_a_background_send_that_cannot_reach_the_server_says_why_and_loses_nothing(tmp_path, db):
    from wire.mailsink import free_port

    config = make_config(tmp_path, smtp_url=f"smtp://127.0.0.1:{free_port()}")  # nobody listens there
    edition_id, _ = seed_week(db, config)
    add_subscriber(db, "reader@example.org", "fa")
    approve_edition(db, edition_id, datetime.now(UTC))
    progress.start_send(config, edition_id, "editor@example.org")
    deadline = time.monotonic() + 60
    while progress.read_progress(db, config, edition_id).running and time.monotonic() < deadline:
        time.sleep(0.05)
    progress.wait(config, edition_id, timeout=60)
    stopped = progress.read_progress(db, config, edition_id)
    assert stopped.error and "cannot reach the SMTP server" in stopped.error
    assert "reader@example.org" not in stopped.error
    assert (stopped.status, stopped.queued, stopped.sent) == ("approved", 1, 0)  # resumable, nothing lost


def test_stories_loaded_together_are_the_stories_loaded_one_by_one_with_what_an_edition_shows(db, config):
    """An edition shows no report's text: `get_stories` reads only the item columns it shows."""
    from aggregator.storage.stories import EDITION_ITEM_COLUMNS, get_stories, get_story

    _, stories = seed_week(db, config)
    ids = list(stories.values())
    save_translation(db, ids[0], "fa", "روز ۸۷ اعتصاب غذا")
    one_by_one = {story_id: get_story(db, story_id) for story_id in ids}
    assert any(item["text"] for story in one_by_one.values() for item in story["items"])
    shown = {*EDITION_ITEM_COLUMNS, "source_name", "partner_name"}
    for story in one_by_one.values():
        story["items"] = [{key: value for key, value in item.items() if key in shown} for item in story["items"]]
    assert get_stories(db, ids) == one_by_one
    assert get_stories(db, []) == {}
    with pytest.raises(NotFound, match="no story with id 9999"):
        get_stories(db, [ids[0], 9999])
