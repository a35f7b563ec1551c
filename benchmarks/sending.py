"""Send an edition to 10,000 subscribers in 6 languages into a local SMTP server, DKIM off and on, against a floor.

What runs is production's path: `send_edition` (what `wire edition send ID --yes` calls), with the
audience frozen into SQLite and every delivery row moved queued -> sending -> sent, over one reused
connection, `send_rate = 0` (no pause between messages). The edition is the 40-item edition of
`benchmarks/rendering.py`, rendered in the 6 languages by `render_edition` and stored as the frozen
copies `freeze_edition` reads (rendering is measured by benchmarks/rendering.py, not here).

The SMTP server is aiosmtpd's own command line (`python -m aiosmtpd -c aiosmtpd.handlers.Sink`):
it accepts every message and keeps none, in its own process, so that its CPU is not charged to the
sender (on 2 cores it takes the other core; a server on the same core would halve every figure,
the floor's too). Each sending run is its own fresh process, so its peak memory (max RSS, from
`getrusage`) is the sender's alone, database set-up excluded.

The floor, in the same run and against the same server: a bare `smtplib` loop sending one prebuilt
message (the English edition as built for one reader) 10,000 times over one connection: what SMTP
itself costs here, with no rendering, no database and no signing.

DKIM: a throwaway 2048-bit RSA key is generated for the run and configured as `dkim_key_file`,
as an operator would. Targets on 2 cores (issue 11): >= 0.85 of the floor's rate without DKIM,
>= 0.5 with DKIM, peak memory <= 300 MB.

    .venv/bin/python -m benchmarks.sending [SUBSCRIBERS]
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

SUBSCRIBERS = 10_000
LANGUAGES = ("en", "de", "tr", "fa", "ar", "ku")
MAIL_FROM = "Solidarity Wire <newsletter@wire.example>"
TARGET_PLAIN, TARGET_DKIM, TARGET_MB = 0.85, 0.5, 300


def _config(folder: Path, smtp_url: str, dkim_key: Path | None = None):
    from aggregator.config import load_config

    return load_config(
        environ={},
        db=folder / "wire.db",
        smtp_url=smtp_url,
        mail_from=MAIL_FROM,
        base_url="https://wire.example",
        languages=",".join(LANGUAGES),
        send_rate=0,
        dkim_key_file=str(dkim_key) if dkim_key else "",
    )


def build(folder: Path, subscribers: int) -> int:
    """A database with `subscribers` confirmed readers spread over the 6 languages and one approved,
    frozen edition (audience not yet frozen); return the edition id."""
    from datetime import UTC, datetime

    from aggregator.db import open_db
    from aggregator.storage.editions import save_copies, save_draft, set_edition_status
    from aggregator.storage.subscribers import import_subscribers
    from benchmarks.rendering import edition as forty_items
    from newsletter.render import render_edition

    config = _config(folder, "smtp://127.0.0.1:1")
    db = open_db(config.db)
    now = datetime.now(UTC).replace(microsecond=0)
    import_subscribers(
        db,
        [
            {
                "email": f"reader{n:05d}@list{n % 37}.example.org",
                "language": LANGUAGES[n % len(LANGUAGES)],
                "status": "active",
                "consent_at": now,
            }
            for n in range(subscribers)
        ],
        now,
    )
    edition_id = save_draft(db, "2026-W47", [])
    subject = forty_items()
    rendered = [
        render_edition(subject, language, config.site_name, config.base_url, config.zone) for language in LANGUAGES
    ]
    save_copies(db, edition_id, [asdict(r) for r in rendered], [asdict(e) for e in subject.entries], {})
    set_edition_status(db, edition_id, "approved")
    db.conn.close()
    return edition_id


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server():
    """aiosmtpd accepting everything and storing nothing, in its own process; yields its smtp:// URL and pid."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("aiosmtpd did not start") from None
                time.sleep(0.1)
        yield f"smtp://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def throwaway_key(folder: Path) -> Path:
    """A fresh 2048-bit RSA key in PEM (PKCS#1, what dkimpy reads), for this run only."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    return path


def _child_send(folder: str, smtp_url: str, edition_id: int, dkim_key: str, limit: int) -> None:
    """In a fresh process: the real send of `limit` rows (the next run resumes); print seconds, report, peak RSS."""
    from aggregator.db import open_db
    from newsletter.sending import send_edition

    config = _config(Path(folder), smtp_url, Path(dkim_key) if dkim_key else None)
    db = open_db(config.db)
    start = time.perf_counter()
    report = send_edition(db, config, edition_id, limit=limit)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "sent": report.sent,
                "failed": report.failed,
                "status": report.status,
                "peak_mb": peak,
                "cpu": cpu.ru_utime + cpu.ru_stime,
            }
        )
    )


def _child_floor(smtp_url: str, folder: str, count: int, mix: bool) -> None:
    """In a fresh process: prebuilt messages sent `count` times over one smtplib connection.

    The messages are the edition's as the sender makes them for one reader, built before the loop:
    the English one only (`mix` False), or one per language taken in the subscribers' order (the same
    bytes on the wire as the real send, whose Persian and Arabic messages are a third larger).
    """
    from datetime import UTC, datetime

    from aggregator.db import open_db
    from aggregator.storage.editions import get_copies
    from newsletter.messages import MessageTemplate
    from newsletter.render import Rendered

    db = open_db(Path(folder) / "wire.db", migrate=False)
    copies = get_copies(db, 1)
    db.conn.close()
    now = datetime.now(UTC)
    prebuilt = [
        MessageTemplate(
            Rendered(language, row["subject"], row["preheader"], row["html"], row["text"]),
            MAIL_FROM,
            "https://wire.example",
            now,
        ).render("reader@example.org", "x" * 32, now)[1]
        for language, row in sorted(copies.items(), key=lambda pair: LANGUAGES.index(pair[0]))
        if mix or language == "en"
    ]
    host, port = smtp_url.removeprefix("smtp://").split(":")
    client = smtplib.SMTP(host, int(port))
    client.ehlo()
    start = time.perf_counter()
    for n in range(count):
        client.sendmail("newsletter@wire.example", [f"reader{n:05d}@example.org"], prebuilt[n % len(prebuilt)])
    seconds = time.perf_counter() - start
    client.quit()
    size = sum(len(data) for data in prebuilt) / len(prebuilt)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": seconds, "sent": count, "bytes": size, "cpu": usage.ru_utime + usage.ru_stime}))


def _in_child(function: str, *args) -> dict:
    code = f"from benchmarks.sending import {function}; {function}(*{args!r})"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(subscribers: int = SUBSCRIBERS, keep: bool = True, rounds: int = 2) -> None:
    """Run the floors and both sends; append the figures to RESULTS.md unless `keep` is False (a trial).

    The machine is shared, and its load moves within minutes: so the four runs are interleaved
    in `rounds` rounds (floor, floor of six, send, send with DKIM; again), each send taking the
    next 1/`rounds` of the audience and the next round's process resuming it, as `wire edition
    send` resumes; every figure adds up its rounds. The server's CPU per message is taken from
    /proc for each run, to show the server did the same work for the floor and for the sends.
    """
    from benchmarks.record import process_cpu, record

    share = subscribers // rounds
    names = ("floor", "floor6", "plain", "dkim")
    totals = {name: {"seconds": 0.0, "sent": 0, "cpu": 0.0, "server_cpu": 0.0, "peak_mb": 0.0} for name in names}
    with tempfile.TemporaryDirectory(prefix="wire-send-bench-") as tmp:
        root = Path(tmp)
        template = root / "template"
        template.mkdir()
        started = time.perf_counter()
        edition_id = build(template, subscribers)
        built = time.perf_counter() - started
        key = throwaway_key(root)
        for name in ("plain", "dkim"):
            shutil.copytree(template, root / name)
        sizes: dict[str, float] = {}
        status = {}
        with smtp_server() as (url, server_pid):
            for number in range(rounds):
                count = share if number + 1 < rounds else subscribers - share * (rounds - 1)
                for name in names:
                    before = process_cpu(server_pid)
                    if name.startswith("floor"):
                        result = _in_child("_child_floor", url, str(template), count, name == "floor6")
                        sizes[name] = result["bytes"]
                    else:
                        dkim = str(key) if name == "dkim" else ""
                        result = _in_child("_child_send", str(root / name), url, edition_id, dkim, count)
                        assert result["sent"] == count, result
                        status[name] = result["status"]
                    total = totals[name]
                    total["server_cpu"] += process_cpu(server_pid) - before
                    for field in ("seconds", "sent", "cpu"):
                        total[field] += result[field]
                    total["peak_mb"] = max(total["peak_mb"], result.get("peak_mb", 0.0))
    rate = {name: total["sent"] / total["seconds"] for name, total in totals.items()}

    def cpu(name: str) -> str:
        total = totals[name]
        return (
            f"CPU per message: client {total['cpu'] / total['sent'] * 1000:.2f} ms, "
            f"server {total['server_cpu'] / total['sent'] * 1000:.2f} ms"
        )

    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        f"- {subscribers:,} confirmed subscribers in {len(LANGUAGES)} languages ({', '.join(LANGUAGES)}), the 40-item "
        f"edition of benchmarks/rendering.py frozen in each; aiosmtpd (`-c aiosmtpd.handlers.Sink`: accepts and "
        f"drops) in its own process on loopback, so its CPU is not the sender's; {rounds} interleaved rounds (each "
        f"send resumed by a new process, as `wire edition send` resumes); set-up (not measured) {built:.1f} s; "
        f"load average (1/5/15 min) at the end: {load} (the machine is shared)",
        f"- floor, bare smtplib loop over one connection, one prebuilt {sizes['floor'] / 1024:.0f} KB message "
        f"(English) {subscribers:,} times: {rate['floor']:.0f} messages/s ({totals['floor']['seconds']:.1f} s; "
        f"{cpu('floor')})",
        f"- the same loop with the send's mix of bytes, six prebuilt messages (one per language, average "
        f"{sizes['floor6'] / 1024:.0f} KB: Persian and Arabic parts are larger) in the subscribers' order: "
        f"{rate['floor6']:.0f} messages/s ({totals['floor6']['seconds']:.1f} s; {cpu('floor6')}); the ratios below "
        f"are to this floor, [to the English-only one]",
    ]
    for name, label, target in (("plain", "without DKIM", TARGET_PLAIN), ("dkim", "with DKIM", TARGET_DKIM)):
        total = totals[name]
        ratio = rate[name] / rate["floor6"]
        lines.append(
            f"- send_edition {label}: {rate[name]:.0f} messages/s ({total['seconds']:.1f} s; {cpu(name)}), "
            f"{ratio:.2f} [{rate[name] / rate['floor']:.2f}] of the floor (target >= {target}: "
            f"{'met' if ratio >= target else 'NOT met'}); peak RSS {total['peak_mb']:.0f} MB (target <= "
            f"{TARGET_MB} MB: {'met' if total['peak_mb'] <= TARGET_MB else 'NOT met'}); edition {status[name]}"
        )
    if keep:
        record(f"Sending, {subscribers:,} subscribers in {len(LANGUAGES)} languages (benchmarks/sending.py)", lines)
    else:
        print("\n".join(lines))


if __name__ == "__main__":
    # python -m benchmarks.sending [SUBSCRIBERS] [--trial]   (--trial: print, do not append to RESULTS.md)
    numbers = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    main(numbers[0] if numbers else SUBSCRIBERS, keep="--trial" not in sys.argv)
