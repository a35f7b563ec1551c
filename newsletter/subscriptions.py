"""Double opt-in: signed, expiring confirmation links and the e-mails that carry them, in the reader's language.

A confirmation link is an itsdangerous signature over the subscriber id and a digest of
their secret token: it names nobody (no address in the URL, which servers log), it dies
after `confirm_link_max_age`, and it dies with the row (an erased and re-used id has a
new token). The clock is a parameter so that tests can move time.

These e-mails are the only ones ever sent to an address that has not confirmed: the
confirmation itself, and the personal link on request (to confirmed addresses only).

The forms do not send them: they queue a request in the outbox (`aggregator.storage.outbox`)
and answer, and `carry_out_request` does the work later, off the request, in the web app's
sender thread. That way a known and an unknown address cost the form the same time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from aggregator.config import Config
from aggregator.exceptions import InvalidInput
from aggregator.storage.audit import record_action
from aggregator.storage.subscribers import find_by_email, purge_subscribers, request_subscription
from newsletter import i18n

CONFIRM_SALT = "subscribe-confirm"


class ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer reading the time from a clock we pass in (tests move it)."""

    def __init__(self, *args, clock: Callable[[], datetime], **kwargs):
        super().__init__(*args, **kwargs)
        self.clock = clock

    def get_timestamp(self) -> int:
        return int(self.clock().timestamp())


class LinkSigner:
    """Make and read confirmation links for one secret and one clock."""

    def __init__(self, secret: str, clock: Callable[[], datetime]):
        self.clock = clock
        self.serializer = URLSafeTimedSerializer(
            secret, salt=CONFIRM_SALT, signer=ClockSigner, signer_kwargs={"clock": clock}
        )

    def confirm_code(self, subscriber: dict) -> str:
        return self.serializer.dumps([subscriber["id"], token_digest(subscriber["token"])])

    def read_confirm_code(self, code: str, max_age: int) -> tuple[int, str] | None:
        """(subscriber id, token digest), or None when the code is forged, damaged or too old."""
        try:
            # itsdangerous would compare the age with time.time(); ours comes from the clock
            (subscriber_id, digest), timestamp = self.serializer.loads(code, return_timestamp=True)
        except (BadSignature, ValueError, TypeError):
            return None
        if (self.clock() - timestamp).total_seconds() > max_age:
            return None
        return int(subscriber_id), str(digest)


def token_digest(token: str) -> str:
    """A short digest of the personal token: ties a link to this row without revealing the token."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _gettext(language: str) -> Callable[..., str]:
    translations = i18n.translations(language)

    def gettext(message: str, **values) -> str:
        text = translations.gettext(message)
        return text % values if values else text

    return gettext


def _message(config: Config, recipient: str, language: str, subject: str, body: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.mail_from
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    domain = urlsplit(config.base_url).hostname or "localhost"
    message["Message-ID"] = make_msgid(idstring="subscription", domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # no vacation replies to a sign-up
    message.set_content(body, subtype="plain", charset="utf-8")
    message["Content-Language"] = language
    return message


def confirmation_message(config: Config, subscriber: dict, confirm_url: str, now: datetime) -> EmailMessage:
    """The e-mail asking a new reader to confirm, in the language they chose; plain text, no tracking."""
    language = i18n.frame_language(subscriber["language"])
    _ = _gettext(language)
    days = max(1, config.confirm_link_max_age // 86400)
    body = (
        "\n\n".join(
            [
                _(
                    "Someone, hopefully you, asked to receive the weekly newsletter %(name)s at this address.",
                    name=config.site_name,
                ),
                _("To confirm, open this link and press the button:"),
                confirm_url,
                _(
                    "The link works for %(days)s days. If you did not ask for this, ignore this e-mail: "
                    "you will receive nothing else from us.",
                    days=days,
                ),
            ]
        )
        + "\n"
    )
    return _message(
        config,
        subscriber["email"],
        language,
        _("Confirm your subscription to %(name)s", name=config.site_name),
        body,
        now,
    )


def personal_link_message(config: Config, subscriber: dict, preferences_url: str, now: datetime) -> EmailMessage:
    """The e-mail carrying a reader's (new) personal link to their preferences."""
    language = i18n.frame_language(subscriber["language"])
    _ = _gettext(language)
    body = (
        "\n\n".join(
            [
                _("Here is your personal link to your subscription to %(name)s:", name=config.site_name),
                preferences_url,
                _("Keep it to yourself: whoever has it can change or end your subscription."),
            ]
        )
        + "\n"
    )
    return _message(
        config, subscriber["email"], language, _("Your personal link to %(name)s", name=config.site_name), body, now
    )


def send_message(config: Config, message: EmailMessage) -> None:
    """Send one message through the configured SMTP server (the same connection rules as editions)."""
    from newsletter.sending import open_smtp

    client = open_smtp(config.smtp_url, timeout=config.crawl_timeout)
    try:
        client.send_message(message)
    finally:
        try:
            client.quit()
        except Exception:  # noqa: BLE001 - the message is sent; a rude goodbye changes nothing
            pass


def carry_out_request(
    db,
    config: Config,
    request: dict,
    signer: LinkSigner,
    now: datetime,
    confirm_url: Callable[[str], str],
    preferences_url: Callable[[str], str],
) -> int | None:
    """Do what a form asked for (an outbox row); return the id of the subscriber mailed, None when nobody is.

    'sign-up': a pending row for a new, pending or unsubscribed address and the confirmation
    e-mail; nothing for an active reader. 'personal-link': the link, to an active reader only.
    SMTP errors propagate (the caller puts the request off and tries again).
    """
    email = request["email"]
    if request["kind"] == "sign-up":
        purge_subscribers(db, now, config.pending_expiry, config.erase_unsubscribed_after)
        try:
            pending = request_subscription(db, email, request["language"], request["source"], now)
        except InvalidInput:
            return None
        if pending is None:
            return None
        url = confirm_url(signer.confirm_code(pending))
        send_message(config, confirmation_message(config, pending, url, now))
        record_action(db, "subscriber", "sign-up requested", "subscriber", pending["id"])
        return pending["id"]
    try:
        row = find_by_email(db, email)
    except InvalidInput:
        return None
    if row is None or row["status"] != "active":
        return None
    send_message(config, personal_link_message(config, row, preferences_url(row["token"]), now))
    return row["id"]


__all__ = [
    "BadSignature",
    "LinkSigner",
    "SignatureExpired",
    "carry_out_request",
    "confirmation_message",
    "personal_link_message",
    "send_message",
    "token_digest",
]
