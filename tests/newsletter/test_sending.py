"""Sending as a state machine, against a real aiosmtpd server on loopback and real `wire` processes.

Expect: every subscriber exactly once across SIGKILLs (except the in-flight rows reported by
count), 4xx deferred then sent, 5xx failed at once, the retry limit, one sender per edition,
SMTP down as one line and exit 2, the audience frozen at the first send, and nothing personal
in any log line or error column.
"""

from __future__ import annotations

import logging
import re
import signal
import time

import pytest

from aggregator.db import open_db
from aggregator.storage.deliveries import count_deliveries
from aggregator.storage.editions import get_edition, set_edition_status
from aggregator.storage.subscribers import add_subscriber, remove_subscriber
from newsletter.exceptions import SenderBusy, SmtpUnavailable
from newsletter.sending import send_edition
from tests.conftest import make_config
from tests.newsletter.sending_helpers import (
    PickyHandler,
    Server,
    add_readers,
    make_edition,
    per_address,
    wire,
    wire_popen,
)
from wire.mailsink import free_port

LANGUAGES = "en,fa,de"


def _setup(tmp_path, url, count=6, **overrides):
    config = make_config(tmp_path, smtp_url=url, languages=LANGUAGES, **overrides)
    db = open_db(config.db)
    edition_id = make_edition(db)
    readers = add_readers(db, count)
    return config, db, edition_id, readers


def test_a_4xx_answer_defers_and_the_next_run_delivers(tmp_path):
    maildir = tmp_path / "maildir"
    with Server(PickyHandler(maildir, {"reader1@example.org": [450]})) as server:
        config, db, edition_id, readers = _setup(tmp_path, server.url, send_retry_backoff=0)
        first = send_edition(db, config, edition_id)
        assert (first.sent, first.deferred, first.failed) == (5, 1, 0)
        assert first.status == "approved"  # resumable: the scheduler or the next send continues
        row = next(db.query("SELECT * FROM deliveries WHERE subscriber_id = ?", [readers["reader1@example.org"]]))
        assert row["status"] == "deferred" and row["smtp_code"] == 450 and row["attempts"] == 1
        assert "@" not in row["error"] and "<address>" in row["error"]
        second = send_edition(db, config, edition_id)
        assert (second.sent, second.deferred) == (1, 0) and second.status == "sent"
    assert per_address(maildir) == {address: 1 for address in readers}
    assert get_edition(db, edition_id)["status"] == "sent"


def test_a_deferred_row_waits_for_its_backoff(tmp_path):
    with Server(PickyHandler(tmp_path / "maildir", {"reader0@example.org": [451]})) as server:
        config, db, edition_id, _ = _setup(tmp_path, server.url, count=2, send_retry_backoff=600)
        report = send_edition(db, config, edition_id)
        assert report.deferred == 1 and report.next_retry_at
        again = send_edition(db, config, edition_id)  # not due yet: nothing is tried
        assert (again.sent, again.deferred, again.failed) == (0, 0, 0)
        assert server.handler.rcpt_seen["reader0@example.org"] == 1


def test_a_5xx_answer_fails_at_once_and_the_edition_is_still_sent(tmp_path):
    maildir = tmp_path / "maildir"
    with Server(PickyHandler(maildir, {"reader2@example.org": [550]})) as server:
        config, db, edition_id, readers = _setup(tmp_path, server.url)
        report = send_edition(db, config, edition_id)
        assert (report.sent, report.failed) == (5, 1) and report.status == "sent"
        assert get_edition(db, edition_id)["status"] == "sent"
        assert server.handler.rcpt_seen["reader2@example.org"] == 1
    assert "reader2@example.org" not in per_address(maildir)


def test_the_retry_limit_turns_a_deferred_row_into_a_failure(tmp_path):
    with Server(PickyHandler(tmp_path / "maildir", {"reader0@example.org": [421, 450, 452, 250]})) as server:
        config, db, edition_id, _ = _setup(tmp_path, server.url, count=1, send_retry_backoff=0, send_retry_limit=3)
        statuses = [send_edition(db, config, edition_id).status for _ in range(3)]
        assert statuses == ["approved", "approved", "sent"]
        row = next(db.query("SELECT * FROM deliveries"))
        assert row["status"] == "failed" and row["attempts"] == 3 and "gave up after 3 attempts" in row["error"]
        assert server.handler.rcpt_seen["reader0@example.org"] == 3


def test_the_scheduler_after_a_failure_does_not_send_again(tmp_path, monkeypatch):
    from datetime import timedelta

    from aggregator.db import iso, utcnow
    from wire import scheduler

    monkeypatch.setattr(scheduler, "crawl_in_subprocess", lambda config: (_ for _ in ()).throw(RuntimeError("no")))
    with Server(PickyHandler(tmp_path / "maildir", {"reader0@example.org": [550]})) as server:
        config, db, edition_id, _ = _setup(tmp_path, server.url, count=3)
        set_edition_status(db, edition_id, "approved", scheduled_at=iso(utcnow() - timedelta(minutes=1)))
        state = {"last_crawl": utcnow(), "nothing_in": None}
        first = scheduler.run_cycle(config, state)
        assert first.sent == {edition_id: 2}
        for _ in range(3):
            assert scheduler.run_cycle(config, state).sent == {}
        assert server.handler.rcpt_seen["reader0@example.org"] == 1
        assert get_edition(db, edition_id)["status"] == "sent"


def test_a_subscriber_confirmed_after_the_audience_was_frozen_gets_the_next_edition(tmp_path):
    maildir = tmp_path / "maildir"
    with Server(PickyHandler(maildir)) as server:
        config, db, edition_id, _ = _setup(tmp_path, server.url, count=4)
        assert send_edition(db, config, edition_id, limit=2).sent == 2
        late = add_subscriber(db, "late.reader@example.org", "fa")
        rest = send_edition(db, config, edition_id)
        assert rest.sent == 2 and rest.status == "sent"
        assert not list(
            db.query("SELECT * FROM deliveries WHERE edition_id = ? AND subscriber_id = ?", [edition_id, late])
        )
        next_week = make_edition(db, "2026-W49")
        assert send_edition(db, config, next_week).sent == 5
    assert per_address(maildir)["late.reader@example.org"] == 1


def test_smtp_down_is_one_line_exit_2_and_the_edition_resumes(tmp_path):
    down = f"smtp://127.0.0.1:{free_port()}"
    config, db, edition_id, readers = _setup(tmp_path, down, count=3)
    result = wire(config, "edition", "send", str(edition_id), "--yes")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the SMTP server 127.0.0.1" in lines[0], lines
    assert "Traceback" not in result.stderr
    assert count_deliveries(db, edition_id)["queued"] == 3
    assert get_edition(db, edition_id)["status"] == "approved"
    maildir = tmp_path / "maildir"
    with Server(PickyHandler(maildir)) as server:
        config = make_config(tmp_path, smtp_url=server.url, languages=LANGUAGES)
        result = wire(config, "edition", "send", str(edition_id), "--yes")
        assert result.returncode == 0, result.stderr
    assert per_address(maildir) == {address: 1 for address in readers}


def test_two_senders_at_once_one_waits_the_other_sends_each_subscriber_once(tmp_path):
    maildir = tmp_path / "maildir"
    with Server(PickyHandler(maildir, data_delay=0.05)) as server:
        config, db, edition_id, readers = _setup(tmp_path, server.url, count=30)
        first = wire_popen(config, "edition", "send", str(edition_id), "--yes")
        deadline = time.monotonic() + 30
        while not per_address(maildir) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = wire(config, "edition", "send", str(edition_id), "--yes")
        out, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and f"edition {edition_id} is being sent by " in lines[0] and f"pid {first.pid}" in lines[0]
    assert per_address(maildir) == {address: 1 for address in readers}
    # and in-process: a live holder is named, never overridden
    db.execute(
        "UPDATE editions SET sender = 'elsewhere.example pid 1', sender_seen_at = ? WHERE id = ?",
        [get_edition(db, edition_id)["updated_at"].replace("2026", "2999"), edition_id],
    )
    with pytest.raises(SenderBusy, match="elsewhere.example pid 1"):
        send_edition(db, config, edition_id)


def test_killed_again_and_again_every_subscriber_gets_it_once_except_the_reported_in_flight(tmp_path):
    """SIGKILL a real `wire edition send` at several points, run it again: count messages per address."""
    maildir = tmp_path / "maildir"
    with Server(PickyHandler(maildir, data_delay=0.03)) as server:
        config, db, edition_id, readers = _setup(tmp_path, server.url, count=60)
        kills = []
        for threshold in (0, 8, 20, 35):  # 0: killed while starting up, freezing, or on the first message
            process = wire_popen(config, "edition", "send", str(edition_id), "--yes")
            deadline = time.monotonic() + 60
            while sum(per_address(maildir).values()) < threshold and time.monotonic() < deadline:
                time.sleep(0.01)
            if threshold == 0:
                time.sleep(1.2)
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills.append(process.returncode)
        assert kills == [-signal.SIGKILL] * 4
        final = wire(config, "edition", "send", str(edition_id), "--yes")
        assert final.returncode == 0, final.stderr
        in_flight = {
            row["email"]
            for row in db.query(
                "SELECT s.email FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id "
                "WHERE d.status = 'sending'"
            )
        }
        counts = per_address(maildir)
        for address in readers:
            if address in in_flight:
                assert counts[address] in (0, 1), address
            else:
                assert counts[address] == 1, (address, counts[address])
        if in_flight:
            assert f"{len(in_flight)} deliveries are in flight" in final.stderr
            assert get_edition(db, edition_id)["status"] == "sending"
            missed = {address for address in in_flight if counts[address] == 0}
            settle = wire(config, "edition", "send", str(edition_id), "--yes", "--resend-in-flight")
            assert settle.returncode == 0, settle.stderr
            counts = per_address(maildir)
            assert all(counts[address] == 1 for address in missed)
        assert get_edition(db, edition_id)["status"] == "sent"
        assert count_deliveries(db, edition_id)["sent"] == len(readers)


def test_in_flight_rows_are_settled_only_on_request(tmp_path):
    with Server(PickyHandler(tmp_path / "maildir")) as server:
        config, db, edition_id, _ = _setup(tmp_path, server.url, count=3)
        send_edition(db, config, edition_id, limit=1)
        db.execute("UPDATE deliveries SET status = 'sending' WHERE status = 'sent'")  # as a SIGKILL leaves it
        report = send_edition(db, config, edition_id)
        assert report.in_flight == 1 and report.sent == 2 and report.status == "sending"
        assert send_edition(db, config, edition_id).in_flight == 1  # still only reported
        settled = send_edition(db, config, edition_id, in_flight="assume-sent")
        assert settled.resolved == 1 and settled.sent == 0 and settled.status == "sent"
        assert server.handler.rcpt_seen.total() == 3


def test_nothing_personal_in_logs_or_error_columns(tmp_path, caplog):
    """The whole flow at DEBUG: refused, deferred, sent, removed; grep every log line and every table."""
    maildir = tmp_path / "maildir"
    caplog.set_level(logging.DEBUG)
    with Server(PickyHandler(maildir, {"reader1@example.org": [550], "reader2@example.org": [450, 250]})) as server:
        config, db, edition_id, readers = _setup(tmp_path, server.url, count=5, send_retry_backoff=0)
        tokens = [row["token"] for row in db.query("SELECT token FROM subscribers")]
        send_edition(db, config, edition_id)
        send_edition(db, config, edition_id)
        result = wire(config, "-vv", "edition", "send", str(edition_id), "--yes")  # already sent: one line
        removed = wire(config, "subscribers", "remove", "reader1@example.org")  # the refused one, by the CLI
        assert removed.returncode == 0, removed.stderr
        for address in readers:
            if address != "reader1@example.org":
                remove_subscriber(db, address)
    # the server's own log (aiosmtpd's "mail.log") stands for a remote relay; everything of ours is checked
    ours = [record.getMessage() for record in caplog.records if not record.name.startswith("mail.log")]
    assert any("failed" in line for line in ours) and any("deferred" in line for line in ours)
    secrets = list(readers) + tokens
    for line in ours + (result.stderr + result.stdout + removed.stderr).splitlines():
        assert not any(secret in line for secret in secrets), line
        assert not re.search(r"[\w.]+@example\.org", line), line
    dump = "\n".join(db.iterdump())
    assert not any(secret in dump for secret in secrets)
    rows = list(db.query("SELECT * FROM deliveries"))
    assert len(rows) == 5 and all(row["subscriber_id"] is None for row in rows)
    assert {row["status"] for row in rows} == {"sent", "failed"}


def test_test_send_goes_to_one_address_and_records_nothing(tmp_path):
    maildir = tmp_path / "maildir"
    with Server(PickyHandler(maildir)) as server:
        config, db, edition_id, _ = _setup(tmp_path, server.url, count=2)
        result = wire(config, "edition", "send", str(edition_id), "--test", "editor@example.org", "--lang", "fa")
        assert result.returncode == 0, result.stderr
    assert per_address(maildir) == {"editor@example.org": 1}
    assert not list(db.query("SELECT * FROM deliveries"))
    assert get_edition(db, edition_id)["status"] == "draft"


def test_the_send_rate_is_kept(tmp_path):
    with Server(PickyHandler(tmp_path / "maildir")) as server:
        config, db, edition_id, _ = _setup(tmp_path, server.url, count=6, send_rate=20)
        started = time.monotonic()
        assert send_edition(db, config, edition_id).sent == 6
        assert time.monotonic() - started >= 5 / 20


def test_an_unreachable_server_raises_one_resumable_error(tmp_path):
    config, db, edition_id, _ = _setup(tmp_path, f"smtp://127.0.0.1:{free_port()}", count=2)
    with pytest.raises(SmtpUnavailable, match="run the same send again"):
        send_edition(db, config, edition_id)
    assert get_edition(db, edition_id)["sender"] is None  # the claim is released
    assert count_deliveries(db, edition_id)["queued"] == 2


class Dropping(PickyHandler):
    """Closes the connection once: at RCPT for one address (nothing sent), during DATA for another
    (stored, but the answer never comes: the client cannot know)."""

    def __init__(self, maildir, at_rcpt, at_data):
        super().__init__(maildir)
        self.at_rcpt, self.at_data = {at_rcpt}, {at_data}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.at_rcpt:
            self.at_rcpt.discard(address)
            server.transport.close()
            return "250 OK"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if set(envelope.rcpt_tos) & self.at_data:
            self.at_data.clear()
            server.transport.close()
        return answer


def test_a_dropped_connection_before_data_is_retried_during_data_stays_in_flight(tmp_path):
    maildir = tmp_path / "maildir"
    with Server(Dropping(maildir, "reader1@example.org", "reader3@example.org")) as server:
        config, db, edition_id, readers = _setup(tmp_path, server.url, count=6)
        report = send_edition(db, config, edition_id)
        assert (report.sent, report.in_flight, report.failed) == (5, 1, 0)
        assert report.status == "sending"  # waits for the operator's decision on the one in flight
        row = next(db.query("SELECT status FROM deliveries WHERE subscriber_id = ?", [readers["reader3@example.org"]]))
        assert row["status"] == "sending"
        assert send_edition(db, config, edition_id, in_flight="assume-sent").status == "sent"
    assert per_address(maildir) == {address: 1 for address in readers}
