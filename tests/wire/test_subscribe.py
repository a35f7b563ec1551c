"""Sign-up with double opt-in through the Flask client, with a real SMTP server (aiosmtpd) receiving the mail.

What is checked: the confirmation arrives in the chosen language with a signed link that expires
(the test moves the app's clock); forged and old links are refused; the form answers the same for
new, pending, active and unsubscribed addresses; limits per client and per address; CSRF; consent
time and source recorded; unconfirmed sign-ups expire; the preferences page and its actions.
"""

from __future__ import annotations

import json
import mailbox
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import pytest

from aggregator.db import open_db
from aggregator.storage.subscribers import add_subscriber, count_erasures, find_by_email, get_subscriber
from tests.conftest import make_config

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def site(tmp_path, mail_sink, clock):
    """The app on the test's SMTP server and clock; returns (app, config, db)."""
    from aggregator.db import open_db
    from wire.web import create_app

    config = make_config(
        tmp_path,
        smtp_url=mail_sink.url,
        subscribe_limit_per_client="20 per hour",
        subscribe_limit_per_address="3 per day",
    )
    app = create_app(config)
    app.config["WIRE_CLOCK"] = clock
    database = open_db(config.db)
    yield app, config, database
    database.conn.close()


def csrf(client, path="/subscribe") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post_subscribe(client, email, language="en", token=None, **extra):
    """Post the form, then wait until the app's outbox sender has carried the request out (it runs off the request)."""
    token = token or csrf(client)
    response = client.post("/subscribe", data={"email": email, "language": language, "csrf_token": token, **extra})
    sent(client)
    return response


def sent(client):
    assert client.application.extensions["wire_outbox"].wait_idle(20), "the outbox sender did not finish"


def mails(sink):
    return [BytesParser(policy=policy.default).parsebytes(bytes(m)) for m in sink.messages()]


def confirm_path(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://[^/\s]+(/subscribe/confirm/\S+)", body).group(1)


def test_subscribe_confirm_in_the_chosen_language(site, mail_sink, clock):
    app, config, db = site
    client = app.test_client()
    response = post_subscribe(client, "Leyla@Example.org", "fa", token=csrf(client, "/subscribe?lang=fa"))
    assert response.status_code == 200
    [message] = mails(mail_sink)
    assert message["To"] == "Leyla@example.org"
    assert message["Content-Language"] == "fa"
    body = message.get_body(("plain",)).get_content()
    assert "Someone, hopefully you" not in body  # Persian, not the English source
    assert "leyla" not in confirm_path(message).lower()  # the link names nobody
    row = find_by_email(db, "leyla@example.org")
    assert row["status"] == "pending" and row["consent_at"] is None
    # GET only shows the button: a mail scanner following the link confirms nobody
    page = client.get(confirm_path(message))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert find_by_email(db, "leyla@example.org")["status"] == "pending"
    clock.advance(hours=3)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = client.post(confirm_path(message), data={"csrf_token": token})
    assert done.status_code == 200
    row = find_by_email(db, "leyla@example.org")
    assert row["status"] == "active"
    assert row["consent_at"] == (START + timedelta(hours=3)).isoformat()
    assert row["consent_source"] == "web"
    assert f"/subscription/{row['token']}" in done.get_data(as_text=True)


def test_partner_box_fills_our_form_and_records_the_source(site, mail_sink):
    app, _config, db = site
    client = app.test_client()
    # what a partner's pasted form sends: no CSRF token, and nothing is stored or sent by it
    shown = client.post("/subscribe/box", data={"email": "ana@example.org", "language": "es", "source": "Red Aid Bern"})
    assert shown.status_code == 200 and 'value="ana@example.org"' in shown.get_data(as_text=True)
    assert find_by_email(db, "ana@example.org") is None and not mail_sink.messages()
    token = re.search(r'name="csrf_token" value="([^"]+)"', shown.get_data(as_text=True)).group(1)
    post_subscribe(client, "ana@example.org", "es", token=token, source="Red Aid Bern")
    assert find_by_email(db, "ana@example.org")["consent_source"] == "partner:Red Aid Bern"
    assert len(mail_sink.messages()) == 1


def test_expired_and_forged_links_are_refused(site, mail_sink, clock):
    app, config, db = site
    client = app.test_client()
    post_subscribe(client, "old@example.org")
    path = confirm_path(mails(mail_sink)[0])
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.get(forged).status_code == 404
    clock.advance(seconds=config.confirm_link_max_age + 1)
    page = client.get(path)
    assert page.status_code == 404
    assert "not valid any more" in page.get_data(as_text=True)
    assert client.post(path, data={"csrf_token": csrf(client)}).status_code == 404
    assert find_by_email(db, "old@example.org")["status"] == "pending"


def test_unconfirmed_sign_ups_expire(site, mail_sink, clock):
    app, config, db = site
    client = app.test_client()
    post_subscribe(client, "never@example.org")
    clock.advance(seconds=config.pending_expiry + 1)
    post_subscribe(client, "someone.else@example.org")  # any sign-up purges what has expired
    assert find_by_email(db, "never@example.org") is None
    assert count_erasures(db) == {"sign-up not confirmed": 1}


def test_the_answer_does_not_wait_for_the_mail_server(tmp_path, clock):
    """Timing: the form answers a new address while the SMTP server still holds its confirmation, and an
    active address with the same page; the mail is delivered to the real server once it lets go."""
    import asyncio
    import threading
    import time

    from tests.newsletter.sending_helpers import PickyHandler, Server
    from wire.web import create_app

    gate = threading.Event()

    class HoldingHandler(PickyHandler):
        async def handle_DATA(self, server, session, envelope):
            while not gate.is_set():
                await asyncio.sleep(0.01)
            return await super().handle_DATA(server, session, envelope)

    with Server(HoldingHandler(tmp_path / "maildir")) as server:
        config = make_config(tmp_path, smtp_url=server.url)
        app = create_app(config)
        app.config["WIRE_CLOCK"] = clock
        db = open_db(config.db)
        add_subscriber(db, "active@example.org", "en")
        client = app.test_client()
        pages = []
        for email in ("new@example.org", "active@example.org"):
            token = csrf(client)
            started = time.monotonic()
            response = client.post("/subscribe", data={"email": email, "language": "en", "csrf_token": token})
            pages.append((response.status_code, re.sub(r'value="[^"]+"', "", response.get_data(as_text=True))))
            assert time.monotonic() - started < 5  # the held confirmation would have kept it for ever
        assert pages[0] == pages[1] and pages[0][0] == 200
        assert not gate.is_set() and not app.extensions["wire_outbox"].wait_idle(0.2)  # the mail is still held
        gate.set()
        sent(client)
        delivered = [
            BytesParser(policy=policy.default).parsebytes(bytes(m)) for m in mailbox.Maildir(tmp_path / "maildir")
        ]
        assert [m["To"] for m in delivered] == ["new@example.org"]
        assert find_by_email(db, "new@example.org")["status"] == "pending"
        assert next(db.query("SELECT count(*) AS n FROM outbox"))["n"] == 0  # nothing personal waits once sent
        db.conn.close()


def test_the_form_answers_the_same_for_every_address(site, mail_sink):
    """New, pending, active and unsubscribed: the same status and the same page; the active one gets no mail."""
    app, _config, db = site
    add_subscriber(db, "active@example.org", "en")
    gone = add_subscriber(db, "gone@example.org", "en")
    from aggregator.storage.subscribers import unsubscribe

    unsubscribe(db, get_subscriber(db, gone)["token"])
    client = app.test_client()
    post_subscribe(client, "pending@example.org")
    answers = []
    for email in ("new@example.org", "pending@example.org", "active@example.org", "gone@example.org"):
        response = post_subscribe(client, email)
        body = re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
        answers.append((response.status_code, body))
    assert len(set(answers)) == 1
    recipients = sorted(m["To"] for m in mails(mail_sink))  # the Maildir keeps no order
    assert recipients == ["gone@example.org", "new@example.org", "pending@example.org", "pending@example.org"]
    assert get_subscriber(db, gone)["status"] == "pending"  # back only by confirming again


def test_no_edition_reaches_an_unconfirmed_address(site, mail_sink):
    from aggregator.storage.deliveries import freeze_audience
    from aggregator.storage.editions import save_draft

    app, _config, db = site
    post_subscribe(app.test_client(), "waiting@example.org")
    assert find_by_email(db, "waiting@example.org")["status"] == "pending"
    reader = add_subscriber(db, "reader@example.org", "en")
    edition_id = save_draft(db, "2026-W48", [])
    assert freeze_audience(db, edition_id) == 1  # what sending freezes: the confirmed reader only
    assert [row["subscriber_id"] for row in db.query("SELECT subscriber_id FROM deliveries")] == [reader]


def test_rate_limit_per_address_is_silent(site, mail_sink):
    """A fourth request for one address within a day sends nothing, and answers as before (no mail-bombing)."""
    app, _config, _db = site
    client = app.test_client()
    answers = {post_subscribe(client, "target@example.org").status_code for _ in range(5)}
    assert answers == {200}
    assert len(mail_sink.messages()) == 3


def test_rate_limit_per_client(tmp_path, mail_sink):
    from wire.web import create_app

    config = make_config(tmp_path, smtp_url=mail_sink.url, subscribe_limit_per_client="3 per hour")
    app = create_app(config)
    client = app.test_client()
    statuses = [post_subscribe(client, f"reader{n}@example.org").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    other = app.test_client()
    response = other.post(
        "/subscribe",
        data={"email": "x@example.org", "language": "en", "csrf_token": csrf(other)},
        environ_base={"REMOTE_ADDR": "127.0.0.9"},
    )
    assert response.status_code == 200
    sent(other)
    assert len(mail_sink.messages()) == 4


def test_csrf_is_required(site, mail_sink):
    app, _config, db = site
    client = app.test_client()
    response = client.post("/subscribe", data={"email": "csrf@example.org", "language": "en"})
    assert response.status_code == 400
    assert find_by_email(db, "csrf@example.org") is None and not mail_sink.messages()
    token = get_subscriber(db, add_subscriber(db, "me@example.org", "en"))["token"]
    assert client.post(f"/subscription/{token}", data={"action": "pause"}).status_code == 400
    assert get_subscriber(db, find_by_email(db, "me@example.org")["id"])["paused_at"] is None


def test_bad_address_or_language_is_said_on_the_form(site, mail_sink):
    app, _config, _db = site
    client = app.test_client()
    assert post_subscribe(client, "not an address").status_code == 400
    assert post_subscribe(client, "a@example.org", "xx").status_code == 400
    assert not mail_sink.messages()


@pytest.mark.parametrize("language, direction", [("en", "ltr"), ("fa", "rtl"), ("ar", "rtl"), ("tr", "ltr")])
def test_subscribe_page_in_the_readers_language(site, language, direction):
    app, _config, _db = site
    client = app.test_client()
    by_query = client.get(f"/subscribe?lang={language}").get_data(as_text=True)
    by_header = client.get("/subscribe", headers={"Accept-Language": f"{language};q=1"}).get_data(as_text=True)
    for page in (by_query, by_header):
        assert f'<html lang="{language}" dir="{direction}">' in page
        assert f'<option value="{language}" lang="{language}" selected>' in page


def test_preferences_actions(site, mail_sink, clock):
    app, _config, db = site
    client = app.test_client()
    subscriber_id = add_subscriber(db, "reader@example.org", "de")
    token = get_subscriber(db, subscriber_id)["token"]
    path = f"/subscription/{token}"
    page = client.get(path)
    assert page.headers["Cache-Control"] == "no-store"
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)

    def act(action, **data):
        return client.post(path, data={"action": action, "csrf_token": csrf_token, **data})

    act("language", language="ku")
    assert get_subscriber(db, subscriber_id)["language"] == "ku"
    act("pause")
    assert get_subscriber(db, subscriber_id)["paused_at"] == START.isoformat()
    from aggregator.storage.deliveries import freeze_audience
    from aggregator.storage.editions import save_draft

    assert freeze_audience(db, save_draft(db, "2026-W48", [])) == 0  # a paused reader is left out of an edition
    act("resume")
    assert get_subscriber(db, subscriber_id)["paused_at"] is None
    client.post(f"/unsubscribe/{token}")  # RFC 8058 one-click: no CSRF token
    assert get_subscriber(db, subscriber_id)["status"] == "unsubscribed"
    clock.advance(days=1)
    act("resubscribe")
    row = get_subscriber(db, subscriber_id)
    assert row["status"] == "active" and row["consent_source"] == "preferences"
    data = client.get(f"{path}/data.json")
    assert data.headers["Cache-Control"] == "no-store"
    assert json.loads(data.get_data()) | {} == {**json.loads(data.get_data()), "email": "reader@example.org"}
    assert "token" not in json.loads(data.get_data())


def test_rotate_sends_a_new_link_and_kills_the_old(site, mail_sink):
    app, _config, db = site
    client = app.test_client()
    subscriber_id = add_subscriber(db, "rotate@example.org", "tr")
    old = get_subscriber(db, subscriber_id)["token"]
    token = csrf(client, f"/subscription/{old}")
    assert client.post(f"/subscription/{old}", data={"action": "rotate", "csrf_token": token}).status_code == 200
    new = get_subscriber(db, subscriber_id)["token"]
    assert new != old
    assert client.get(f"/subscription/{old}").status_code == 404
    [message] = mails(mail_sink)
    assert message["Content-Language"] == "tr"
    assert f"/subscription/{new}" in message.get_body(("plain",)).get_content()


def test_lost_link_is_sent_to_active_addresses_only_with_one_answer(site, mail_sink):
    app, _config, db = site
    add_subscriber(db, "known@example.org", "en")
    client = app.test_client()
    answers = set()
    for email in ("known@example.org", "unknown@example.org"):
        token = csrf(client, "/subscription/")
        response = client.post("/subscription/link", data={"email": email, "csrf_token": token})
        answers.add((response.status_code, re.sub(r'value="[^"]+"', "", response.get_data(as_text=True))))
    assert len(answers) == 1
    sent(client)
    assert [m["To"] for m in mails(mail_sink)] == ["known@example.org"]


def test_delete_me_erases_and_counts(site, mail_sink):
    app, _config, db = site
    client = app.test_client()
    subscriber_id = add_subscriber(db, "erase@example.org", "ar")
    token = get_subscriber(db, subscriber_id)["token"]
    page = client.get(f"/subscription/{token}/delete?lang=ar")
    assert page.status_code == 200 and 'dir="rtl"' in page.get_data(as_text=True)
    assert find_by_email(db, "erase@example.org") is not None  # GET asks only
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post(f"/subscription/{token}/delete", data={"csrf_token": csrf_token}).status_code == 200
    assert find_by_email(db, "erase@example.org") is None
    assert count_erasures(db) == {"deleted by the reader": 1}
    dump = "\n".join(db.conn.iterdump())
    assert "erase@example.org" not in dump and token not in dump


def test_unsubscribed_addresses_are_erased_after_the_period(db):
    from aggregator.storage.subscribers import purge_subscribers, unsubscribe

    subscriber_id = add_subscriber(db, "left@example.org", "en")
    unsubscribe(db, get_subscriber(db, subscriber_id)["token"])
    now = datetime.now(UTC)
    assert purge_subscribers(db, now, 3600, 86400) == {"expired": 0, "erased": 0}
    assert purge_subscribers(db, now + timedelta(days=2), 3600, 86400) == {"expired": 0, "erased": 1}
    assert find_by_email(db, "left@example.org") is None
    assert count_erasures(db) == {"unsubscribed": 1}


def test_secret_survives_a_restart(tmp_path, mail_sink, clock):
    """A link signed by one process is honoured by the next (the generated secret is kept in the database)."""
    from wire.web import create_app

    config = make_config(tmp_path, smtp_url=mail_sink.url)
    first = create_app(config)
    first.config["WIRE_CLOCK"] = clock
    post_subscribe(first.test_client(), "restart@example.org")
    second = create_app(replace(config))
    second.config["WIRE_CLOCK"] = clock
    assert second.test_client().get(confirm_path(mails(mail_sink)[0])).status_code == 200


@pytest.mark.parametrize("key", ["subscribe_limit_per_client", "subscribe_limit_per_address"])
def test_a_bad_rate_is_refused_at_start_with_its_key(tmp_path, key):
    from aggregator.exceptions import ConfigError

    with pytest.raises(ConfigError, match=f"{key}: expected a rate such as '10 per hour', got 'lots'"):
        make_config(tmp_path, **{key: "lots"})
