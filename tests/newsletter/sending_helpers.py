"""Shared parts of the sending tests: an edition without crawling, subscribers, a picky SMTP server,
the `wire` command as a real subprocess, and counting messages per address in a Maildir."""

from __future__ import annotations

import asyncio
import mailbox
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller

from aggregator.storage.editions import save_draft, save_intro
from aggregator.storage.subscribers import add_subscriber
from wire.mailsink import MaildirHandler, free_port

ROOT = Path(__file__).resolve().parents[2]


def make_edition(db, week: str = "2026-W48") -> int:
    """An edition with an intro and no stories: enough to render, freeze and send in every language."""
    edition_id = save_draft(db, week, [])
    save_intro(db, edition_id, "en", "Day 87 of Mahir Ekinci's hunger strike; vigils in three cities on Saturday.")
    save_intro(db, edition_id, "fa", "روز ۸۷ اعتصاب غذای ماهر اکینجی؛ تجمع در سه شهر در روز شنبه.")
    return edition_id


def add_readers(db, count: int, prefix: str = "reader") -> dict[str, int]:
    languages = ("en", "fa", "de")
    return {
        f"{prefix}{n}@example.org": add_subscriber(db, f"{prefix}{n}@example.org", languages[n % 3])
        for n in range(count)
    }


class PickyHandler(MaildirHandler):
    """Stores what it accepts; answers RCPT for chosen addresses with the next code of their list,
    and can take a while over each DATA (stored first, answered after `data_delay` seconds)."""

    def __init__(self, maildir: Path, answers: dict[str, list[int]] | None = None, data_delay: float = 0.0):
        super().__init__(maildir)
        self.answers = {k: list(v) for k, v in (answers or {}).items()}
        self.data_delay = data_delay
        self.rcpt_seen: Counter = Counter()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_seen[address] += 1
        queue = self.answers.get(address)
        if queue:
            code = queue.pop(0)
            if code and code != 250:
                text = "try again later" if code < 500 else "no such mailbox here"
                return f"{code} <{address}>: {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return answer


class Server:
    def __init__(self, handler, **kwargs):
        self.port = free_port()
        self.handler = handler
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port, **kwargs)
        self.url = f"smtp://127.0.0.1:{self.port}"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def per_address(maildir: Path) -> Counter:
    if not maildir.exists():
        return Counter()
    return Counter(str(message["To"]) for message in mailbox.Maildir(str(maildir), create=False))


def wire_env(config, **extra) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "WIRE_DB": str(config.db),
        "WIRE_SMTP_URL": config.smtp_url,
        "WIRE_LANGUAGES": ",".join(config.languages),
        "WIRE_SEND_RATE": str(config.send_rate),
        "WIRE_SEND_RETRY_BACKOFF": str(config.send_retry_backoff),
        "PYTHONPATH": str(ROOT),
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def wire(config, *args, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wire", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or wire_env(config),
        cwd=config.db.parent,
    )


def wire_popen(config, *args, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "wire", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or wire_env(config),
        cwd=config.db.parent,
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
