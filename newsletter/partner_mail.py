"""E-mails to partners: confirm your address, your registration was approved or rejected, your page link.

Plain text only, in the language the partner used on the form (`ui_language`), through the
same SMTP settings as every other mail (`newsletter.subscriptions.send_message`). Whatever the
partner typed (their organisation's name, a URL) and the editor's reason go into the text
as they are: a plain-text body is never rendered as HTML, so a script in a name stays text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

import sqlite_utils

from aggregator.config import Config
from aggregator.registrations import page_code
from aggregator.storage.registrations import get_partner
from newsletter import i18n
from newsletter.subscriptions import send_message


def _gettext(language: str) -> Callable[..., str]:
    translations = i18n.translations(i18n.frame_language(language))

    def gettext(message: str, **values) -> str:
        text = translations.gettext(message)
        return text % values if values else text

    return gettext


def _message(config: Config, recipient: str, language: str, subject: str, body: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.mail_from
    message["To"] = recipient
    # a header cannot carry a line break: a name with one would otherwise be refused by the mail library
    message["Subject"] = " ".join(subject.split())
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring="partner", domain=urlsplit(config.base_url).hostname or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, subtype="plain", charset="utf-8")
    message["Content-Language"] = i18n.frame_language(language)
    return message


def page_url(config: Config, secret: str, partner: dict) -> str:
    """The partner's page link for their current link version."""
    return f"{config.base_url.rstrip('/')}/partners/page/{page_code(secret, partner)}"


def confirmation_message(config: Config, registration: dict, confirm_url: str, now: datetime) -> EmailMessage:
    """Ask the contact address to confirm a registration; the link works for `confirm_link_max_age`."""
    _ = _gettext(registration["ui_language"])
    days = max(1, config.confirm_link_max_age // 86400)
    body = "\n\n".join(
        [
            _(
                "Someone, hopefully you, registered %(organisation)s with %(name)s, with this address as contact.",
                organisation=registration["organisation"],
                name=config.site_name,
            ),
            _("Feed or site: %(url)s", url=registration["found_url"] or registration["feed_url"]),
            _("To confirm your address, open this link and press the button:"),
            confirm_url,
            _(
                "The link works for %(days)s days. If you did not register, ignore this e-mail: "
                "nothing will be collected.",
                days=days,
            ),
        ]
    )
    subject = _("Confirm your registration with %(name)s", name=config.site_name)
    return _message(config, registration["contact_email"], registration["ui_language"], subject, body + "\n", now)


def decision_message(config: Config, registration: dict, partner_page_url: str | None, now: datetime) -> EmailMessage:
    """Tell the partner an editor approved (with their page link) or rejected (with the reason) the registration."""
    _ = _gettext(registration["ui_language"])
    url = registration["found_url"] or registration["feed_url"]
    if registration["status"] == "approved":
        subject = _("Your registration with %(name)s is approved", name=config.site_name)
        parts = [
            _(
                "Welcome! An editor approved the registration of %(organisation)s. We now collect %(url)s.",
                organisation=registration["organisation"],
                url=url,
            ),
            _("Your partner page shows what we read from you and lets you change it:"),
            partner_page_url or "",
            _("Keep this link to your organisation: whoever has it can change your feeds."),
        ]
    else:
        subject = _("Your registration with %(name)s was not approved", name=config.site_name)
        parts = [
            _(
                "An editor did not approve the registration of %(organisation)s (%(url)s).",
                organisation=registration["organisation"],
                url=url,
            ),
            _("The editor's reason:"),
            registration["reason"] or "",
            _("You can reply to this e-mail or register again once the reason no longer applies."),
        ]
    return _message(
        config, registration["contact_email"], registration["ui_language"], subject, "\n\n".join(parts) + "\n", now
    )


def send_decision(db: sqlite_utils.Database, config: Config, secret: str, registration: dict, now: datetime) -> None:
    """Tell the partner of an editor's decision on `registration` (as stored after it): build and send the e-mail.

    The one way the desk and `wire partners` tell a partner, so that both send the same text; an
    approval carries the new partner's page link signed with `secret` (the web app's key). Sending
    errors are raised: the decision is already stored, and each caller says the failure its own way.
    """
    url = None
    if registration["status"] == "approved":
        url = page_url(config, secret, get_partner(db, registration["partner_id"]))
    send_message(config, decision_message(config, registration, url, now))


def page_link_message(config: Config, partner: dict, partner_page_url: str, now: datetime) -> EmailMessage:
    """A partner's new page link (the old one no longer works)."""
    language = partner.get("ui_language") or i18n.FALLBACK_LANGUAGE
    _ = _gettext(language)
    body = "\n\n".join(
        [
            _("Here is the new link to the partner page of %(organisation)s:", organisation=partner["name"]),
            partner_page_url,
            _("Older links no longer work. Keep this one to your organisation."),
        ]
    )
    subject = _("Your partner page at %(name)s", name=config.site_name)
    return _message(config, partner["contact_email"], language, subject, body + "\n", now)


__all__ = ["confirmation_message", "decision_message", "page_link_message", "page_url", "send_message"]
