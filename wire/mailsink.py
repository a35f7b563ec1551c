"""A real SMTP server on loopback that keeps every message in a Maildir: for the demo and tests.

aiosmtpd is the maintained asyncio SMTP server of the Python project; its Controller
runs it in a thread. Messages are stored byte for byte as received.
"""

from __future__ import annotations

import mailbox
import socket
from pathlib import Path

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, maildir: Path):
        self.maildir = mailbox.Maildir(str(maildir), create=True)
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        message = mailbox.MaildirMessage(content)
        self.maildir.add(message)
        self.received += 1
        return "250 Message accepted for delivery"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class MailSink:
    """Start with `with MailSink(maildir) as sink:`; `sink.url` is the smtp:// URL to send to."""

    def __init__(self, maildir: str | Path, port: int = 0, host: str = "127.0.0.1"):
        self.maildir = Path(maildir)
        self.host = host
        self.port = port or free_port(host)
        self.handler = MaildirHandler(self.maildir)
        self.controller = Controller(self.handler, hostname=host, port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> MailSink:
        try:
            self.controller.start()
        except BaseException:
            # aiosmtpd leaves its thread's event loop open when it cannot listen (a busy port);
            # closed here, or the interpreter prints a traceback about it on the way out
            self.controller.stop(no_assert=True)
            if not self.controller.loop.is_closed():
                self.controller.loop.close()
            raise
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def messages(self) -> list[mailbox.MaildirMessage]:
        return list(mailbox.Maildir(str(self.maildir), create=False))
