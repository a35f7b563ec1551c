"""Build one subscriber's e-mail from a rendered edition. Pure.

multipart/alternative with the plain-text part first (clients show the last part they
can), Content-Language for screen readers and filters, and RFC 8058 one-click
List-Unsubscribe so that leaving always works from the mail client itself.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from newsletter.render import Rendered, personalise


def build_message(
    rendered: Rendered, sender: str, recipient: str, token: str, base_url: str, now: datetime
) -> EmailMessage:
    message = EmailMessage()
    domain = urlsplit(base_url).hostname or "localhost"
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring="edition", domain=domain)
    unsubscribe = f"{base_url.rstrip('/')}/unsubscribe/{token}"
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["List-Id"] = f"Solidarity Wire <weekly.{domain}>"
    message.set_content(personalise(rendered.text, token), subtype="plain", charset="utf-8")
    message.add_alternative(personalise(rendered.html, token), subtype="html", charset="utf-8")
    # set last: building the alternative moves every Content-* header into the first part
    message["Content-Language"] = rendered.language
    return message
