"""Bounces: RFC 3464 delivery status notifications written here the way mail servers write them
(multipart/report with message/delivery-status, and the original as text/rfc822-headers or
message/rfc822), in a Maildir and in an mbox.

Expect: a hard bounce marks its delivery `bounced`, a delayed one does not; the same notification
read twice counts once; after `bounce_limit` hard bounces the address is bouncing and the next
edition leaves it out; an auto-reply is not a notification; no address in any log line.
"""

from __future__ import annotations

import logging
import mailbox

from aggregator.db import open_db
from newsletter.bounces import parse_dsn, process_bounces
from newsletter.sending import send_edition
from tests.conftest import make_config
from tests.newsletter.sending_helpers import PickyHandler, Server, add_readers, make_edition, wire, wire_env

DSN = """\
From: Mail Delivery System <MAILER-DAEMON@mx.partner-mail.example>
To: bounces@solidarity-wire.example
Subject: Undelivered Mail Returned to Sender
Date: Mon, 30 Nov 2026 07:12:09 +0100
Message-ID: <20261130061209.4C2B1@mx.partner-mail.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B-7781"

--B-7781
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.partner-mail.example.
I'm sorry to have to inform you that your message could not be delivered.

--B-7781
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.partner-mail.example
Arrival-Date: Mon, 30 Nov 2026 07:12:08 +0100

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {code} {recipient}: {text}

--B-7781
Content-Type: {original_type}

{original}
--B-7781--
"""


def dsn(recipient, message_id=None, action="failed", status="5.1.1", as_rfc822=False) -> bytes:
    headers = (
        f"From: Solidarity Wire <weekly@solidarity-wire.example>\nTo: {recipient}\n"
        f"Subject: Solidarity Wire 2026-W48\n" + (f"Message-ID: {message_id}\n" if message_id else "")
    )
    original = headers + ("\nThe body of the edition.\n" if as_rfc822 else "")
    code, text = ("550", "user unknown") if status.startswith("5") else ("451", "mailbox busy, will retry")
    return DSN.format(
        recipient=recipient,
        action=action,
        status=status,
        code=code,
        text=text,
        original_type="message/rfc822" if as_rfc822 else "text/rfc822-headers",
        original=original,
    ).encode()


AUTO_REPLY = b"""From: reader3@example.org
To: weekly@solidarity-wire.example
Subject: Out of office
Content-Type: text/plain

I am at the trial observation in Kuzeykent until 4 December.
"""


def _sent(tmp_path, sink_url, week="2026-W48", **overrides):
    config = make_config(tmp_path, smtp_url=sink_url, languages="en,fa,de", **overrides)
    db = open_db(config.db)
    return config, db


def _message_ids(db, edition_id):
    return {
        row["email"]: row["message_id"]
        for row in db.query(
            "SELECT s.email, d.message_id FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id "
            "WHERE d.edition_id = ?",
            [edition_id],
        )
    }


def test_parse_a_dsn_with_its_original_headers():
    message = mailbox.MaildirMessage(dsn("reader0@example.org", "<abc@wire>"))
    [bounce] = parse_dsn(message)
    assert (bounce.recipient, bounce.action, bounce.status, bounce.message_id, bounce.hard) == (
        "reader0@example.org",
        "failed",
        "5.1.1",
        "<abc@wire>",
        True,
    )
    [delayed] = parse_dsn(
        mailbox.MaildirMessage(dsn("r@example.org", action="delayed", status="4.2.2", as_rfc822=True))
    )
    assert not delayed.hard and delayed.message_id is None
    assert parse_dsn(mailbox.MaildirMessage(AUTO_REPLY)) == []


def test_bounces_mark_deliveries_and_after_the_limit_the_address(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with Server(PickyHandler(tmp_path / "maildir")) as server:
        config, db = _sent(tmp_path, server.url, bounce_limit=2)
        first = make_edition(db)
        readers = add_readers(db, 4)
        send_edition(db, config, first)
        ids = _message_ids(db, first)

        box = mailbox.Maildir(str(tmp_path / "bounces"), create=True)
        box.add(dsn("reader0@example.org", ids["reader0@example.org"]))
        box.add(dsn("reader1@example.org", ids["reader1@example.org"], action="delayed", status="4.4.1"))
        box.add(dsn("stranger@example.net"))
        box.add(AUTO_REPLY)
        report = process_bounces(db, config, tmp_path / "bounces")
        assert (report.read, report.notifications, report.hard, report.soft, report.unmatched) == (4, 3, 1, 1, 1)
        statuses = {row["subscriber_id"]: row["status"] for row in db.query("SELECT * FROM deliveries")}
        assert statuses[readers["reader0@example.org"]] == "bounced"
        assert statuses[readers["reader1@example.org"]] == "sent"
        again = process_bounces(db, config, tmp_path / "bounces")  # read twice: counted once
        assert again.now_bouncing == 0
        assert (
            next(db.query("SELECT hard_bounces FROM subscribers WHERE id = ?", [readers["reader0@example.org"]]))[
                "hard_bounces"
            ]
            == 1
        )

        second = make_edition(db, "2026-W49")
        send_edition(db, config, second)
        ids = _message_ids(db, second)
        mbox = mailbox.mbox(str(tmp_path / "bounces.mbox"))
        mbox.add(mailbox.mboxMessage(dsn("reader0@example.org", ids["reader0@example.org"], as_rfc822=True)))
        mbox.flush()
        mbox.close()
        result = wire(
            config, "bounces", "process", str(tmp_path / "bounces.mbox"), env=wire_env(config, WIRE_BOUNCE_LIMIT=2)
        )
        assert result.returncode == 0, result.stderr
        assert "1 hard" in result.stdout and "1 addresses now bouncing" in result.stdout
        assert "@" not in result.stdout + result.stderr
        row = next(db.query("SELECT * FROM subscribers WHERE id = ?", [readers["reader0@example.org"]]))
        assert row["hard_bounces"] == 2 and row["bouncing_since"]

        third = make_edition(db, "2026-W50")
        report3 = send_edition(db, config, third)
        assert report3.sent == 3
        assert "reader0@example.org" not in _message_ids(db, third)
    for record in caplog.records:
        if not record.name.startswith("mail.log"):
            assert "@" not in record.getMessage(), record.getMessage()


def test_remove_deletes_only_the_matched_notifications(tmp_path):
    with Server(PickyHandler(tmp_path / "maildir")) as server:
        config, db = _sent(tmp_path, server.url)
        edition_id = make_edition(db)
        add_readers(db, 1)
        send_edition(db, config, edition_id)
        ids = _message_ids(db, edition_id)
    box = mailbox.Maildir(str(tmp_path / "bounces"), create=True)
    box.add(dsn("reader0@example.org", ids["reader0@example.org"]))
    box.add(AUTO_REPLY)
    report = process_bounces(db, config, tmp_path / "bounces", remove=True)
    assert report.removed == 1
    assert len(mailbox.Maildir(str(tmp_path / "bounces"), create=False)) == 1


def test_a_path_that_is_no_mailbox_is_one_line(tmp_path):
    config = make_config(tmp_path)
    (tmp_path / "notes").mkdir()
    result = wire(config, "bounces", "process", str(tmp_path / "notes"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "not a Maildir" in result.stderr
