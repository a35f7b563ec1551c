"""No write transaction holds the lock for seconds: a web request's write gets through a long rebuild.

A real database file with thousands of generated items; `wire stories rebuild` runs in another
process (as it does beside `wire serve`), and the web app's unsubscribe goes through the storage
layer on its own connection, with a busy timeout of WEB_TIMEOUT_S. When the rebuild ran in one
`BEGIN IMMEDIATE`, it held the lock for the whole rebuild (3,000 items: several seconds on a
2-core machine) and every unsubscribe during it failed with "database is locked".
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aggregator.clustering import cluster_new_items
from aggregator.db import open_db, writing
from aggregator.storage.items import save_item
from aggregator.storage.sources import add_source
from aggregator.storage.subscribers import add_subscriber, get_subscriber, unsubscribe
from aggregator.text import content_hash

ITEMS = 6_000  # at 3,000 the faster clustering rebuilt in under 3 s: one slow wait decided the ratio
WEB_TIMEOUT_S = 15.0  # the app's busy timeout (aggregator.db.BUSY_TIMEOUT_MS)
ROOT = Path(__file__).resolve().parents[2]


def _fill(path: Path, total: int) -> None:
    """`total` generated items over 20 days, a third of them reposts with edits, clustered once."""
    rng = random.Random(3)
    vocabulary = [f"word{n}" for n in range(3_000)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    db = open_db(path)
    source = add_source(db, "http://127.0.0.1/feed", "lock test", "feed")
    with writing(db):
        originals: list[list[str]] = []
        for n in range(total):
            if originals and n % 3 == 2:
                words = list(rng.choice(originals))
                for _ in range(3):
                    words[rng.randrange(len(words))] = rng.choice(vocabulary)
            else:
                words = rng.choices(vocabulary, k=90) + [f"Name{rng.randrange(50_000)}"]
                originals.append(words)
            text, title = " ".join(words), f"Item {n}"
            save_item(
                db,
                {
                    "source_id": source,
                    "guid": f"g{n}",
                    "url": f"http://127.0.0.1/{n}",
                    "title": title,
                    "text": text,
                    "language": "en",
                    "published_at": (start + timedelta(minutes=6 * n)).isoformat(),
                    "content_hash": content_hash(title, text),
                },
            )
    cluster_new_items(db)
    for n in range(20):
        add_subscriber(db, f"reader{n}@example.org", "en")
    db.conn.close()


def test_unsubscribe_succeeds_during_a_long_rebuild(tmp_path):
    path = tmp_path / "wire.db"
    _fill(path, ITEMS)
    web = open_db(path)
    web.conn.execute(f"PRAGMA busy_timeout={int(WEB_TIMEOUT_S * 1000)}")
    tokens = [row["token"] for row in web.query("SELECT token FROM subscribers ORDER BY id")]
    stories_before = web.execute("SELECT count(*) FROM stories").fetchone()[0]
    rebuild = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from aggregator.db import open_db; "
            "from aggregator.clustering import rebuild_stories; db = open_db(sys.argv[1]); "
            "print('rebuilding', flush=True); rebuild_stories(db)",
            str(path),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert rebuild.stdout.readline().strip() == "rebuilding"  # imported (slow on a loaded machine) and started
        started = time.perf_counter()
        time.sleep(0.5)
        during, waits = 0, []
        for token in tokens:
            if rebuild.poll() is not None:
                break
            began = time.perf_counter()
            unsubscribe(web, token)  # raises sqlite3.OperationalError "database is locked" after the timeout
            waits.append(time.perf_counter() - began)
            during += rebuild.poll() is None
            time.sleep(0.05)
        assert rebuild.wait(timeout=120) == 0
        rebuilding = time.perf_counter() - started
    finally:
        if rebuild.poll() is None:
            rebuild.kill()
    assert during >= 3, "the rebuild ended before the unsubscribes could be tried: raise ITEMS"
    # a write waits for one chunk, never for the rebuild: a ratio, so that a loaded machine (which
    # slows chunks and rebuild alike) does not decide it; one transaction made the first wait the
    # whole rebuild
    assert max(waits) < 0.5 * rebuilding, (max(waits), rebuilding)
    for n, _ in enumerate(waits):
        assert get_subscriber(web, n + 1)["status"] == "unsubscribed"
    # the rebuild itself came out whole: every item placed, nothing left waiting
    assert web.execute("SELECT count(*) FROM items WHERE story_id IS NULL OR reprocess = 1").fetchone()[0] == 0
    assert web.execute("SELECT count(*) FROM stories").fetchone()[0] == stories_before
    assert (
        web.execute(
            "SELECT count(*) FROM stories s WHERE item_count != (SELECT count(*) FROM items WHERE story_id = s.id)"
        ).fetchone()[0]
        == 0
    )
