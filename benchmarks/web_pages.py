"""Latency of an edition page and an Atom feed under 50 concurrent clients, against `wire serve` on loopback.

A year of sent editions (52 weeks, 12 languages each) is frozen with the code that freezes them at
send time; `wire serve --no-schedule` (waitress, as in production) runs in its own process on at most
2 cores; 50 clients on keep-alive connections ask for one edition page, then one feed, a bounded
number of times (gzip accepted, as browsers and feed readers do). Target: p95 <= 100 ms for each.

    .venv/bin/python -m benchmarks.web_pages
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC
from pathlib import Path

CLIENTS = 50
REQUESTS = 2000  # per target, after a warm-up
WARM_UP = 200
WEEKS = 52
TARGET_MS = 100.0
#: Words for distinct texts: 40 reports that fold into 40 stories, as in a busy week.
WORDS = (
    "hunger",
    "strike",
    "prison",
    "isolation",
    "court",
    "lawyer",
    "vigil",
    "consulate",
    "release",
    "appeal",
    "health",
    "family",
    "solidarity",
    "trial",
    "sentence",
    "detention",
    "letters",
    "visit",
    "statement",
    "camp",
)


def build(folder: Path) -> tuple[dict, str]:
    """A database with WEEKS sent editions, frozen; return the environment for `wire` and the newest week."""
    from aggregator.clustering import cluster_new_items
    from aggregator.config import load_config
    from aggregator.db import iso, open_db
    from aggregator.storage.editions import save_draft, set_edition_status
    from aggregator.storage.items import save_item
    from aggregator.storage.sources import add_source
    from aggregator.text import content_hash
    from newsletter.editions import freeze_edition

    env = {"WIRE_DB": str(folder / "wire.db"), "WIRE_BASE_URL": "http://127.0.0.1:8000"}
    config = load_config(environ=env)
    db = open_db(config.db)
    languages = ["en", "de", "fr", "tr", "fa", "ar", "es", "it"]
    sources = [add_source(db, f"http://partner{n}.invalid/feed/", f"Partner {n}", "feed") for n in range(8)]
    from datetime import datetime, timedelta

    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for n in range(40):
        title = f"Day {40 + n} of the hunger strike in prison number {n}: lawyers ask for a health check"
        words = [f"{WORDS[(n * 7 + k * k) % len(WORDS)]}{(n * 31 + k) % 97}" for k in range(120)]
        text = f"Report {n} from prison number {n}. " + " ".join(words) + "."
        save_item(
            db,
            {
                "source_id": sources[n % 8],
                "url": f"http://partner{n % 8}.invalid/{n}",
                "canonical_url": f"http://partner{n % 8}.invalid/{n}",
                "title": title,
                "text": text,
                "summary": text[:200],
                "language": languages[n % len(languages)],
                "published_at": iso(start + timedelta(hours=n)),
                "content_hash": content_hash(title, text),
            },
        )
    cluster_new_items(db)
    stories = [row[0] for row in db.execute("SELECT id FROM stories ORDER BY id")]
    entries = [{"story_id": s, "section": "other", "position": i + 1, "pinned": 0} for i, s in enumerate(stories)]
    weeks = []
    for back in range(WEEKS):
        moment = start - timedelta(weeks=back)
        year, week, _ = moment.isocalendar()
        weeks.append(f"{year}-W{week:02d}")
    for week in reversed(weeks):
        edition = save_draft(db, week, entries)
        freeze_edition(db, config, edition)
        set_edition_status(db, edition, "sent", sent_at=iso(start))
    db.conn.close()
    return env, weeks[0]


async def _client(host: str, port: int, path: str, count: int, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Encoding: gzip\r\nAccept-Language: fa\r\n\r\n"
    ).encode()
    try:
        for _ in range(count):
            began = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"{path}: {head[:40]!r}")
            latencies.append((time.perf_counter() - began) * 1000)
    finally:
        writer.close()


async def _load(port: int, path: str, total: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    began = time.perf_counter()
    share = [total // CLIENTS + (1 if i < total % CLIENTS else 0) for i in range(CLIENTS)]
    await asyncio.gather(*(_client("127.0.0.1", port, path, n, latencies) for n in share))
    return latencies, time.perf_counter() - began


def _pin_to_two_cores() -> None:
    cores = sorted(os.sched_getaffinity(0))[:2]
    os.sched_setaffinity(0, cores)


def main() -> None:
    from benchmarks.record import record
    from wire.mailsink import free_port

    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        env, week = build(Path(folder))
        print(f"{WEEKS} editions frozen in 12 languages in {time.perf_counter() - began:.1f} s")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "wire", "serve", "--no-schedule", "--port", str(port)],
            env={**os.environ, **env, "WIRE_PORT": str(port)},
            cwd=folder,
            preexec_fn=_pin_to_two_cores,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("wire serve did not start") from None
                    time.sleep(0.2)
            lines = [
                f"{WEEKS} sent editions × 12 languages; `wire serve` (waitress, 4 threads) on ≤ 2 cores; "
                f"{CLIENTS} concurrent keep-alive clients, {REQUESTS} requests per target after {WARM_UP} "
                f"to warm up, gzip accepted. Target: p95 ≤ {TARGET_MS:.0f} ms.",
                "",
                "| target | requests/s | p50 ms | p95 ms | p99 ms | max ms | within target |",
                "|---|---|---|---|---|---|---|",
            ]
            for name, path in (("edition page", f"/editions/{week}/fa"), ("Atom feed", "/editions/fa.atom")):
                asyncio.run(_load(port, path, WARM_UP))
                latencies, seconds = asyncio.run(_load(port, path, REQUESTS))
                cuts = statistics.quantiles(latencies, n=100)
                lines.append(
                    f"| {name} `{path}` | {len(latencies) / seconds:.0f} | {statistics.median(latencies):.1f} | "
                    f"{cuts[94]:.1f} | {cuts[98]:.1f} | {max(latencies):.1f} | "
                    f"{'yes' if cuts[94] <= TARGET_MS else 'NO'} |"
                )
            sizes = []
            for path in (f"/editions/{week}/fa", "/editions/fa.atom"):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:
                    sizes.append(f"`{path}` {len(response.read()) / 1024:.0f} KiB")
            lines += [
                "",
                "Bodies without gzip: " + ", ".join(sizes) + ".",
                "Command: `.venv/bin/python -m benchmarks.web_pages`",
            ]
        finally:
            server.terminate()
            server.wait(timeout=10)
    record("Web pages: an edition page and an Atom feed at 50 concurrent clients", lines)


if __name__ == "__main__":
    main()
