"""Response times of the editors' desk with a year of news stored: the inbox, a search and a preview.

100,000 items in 20,000 stories over 52 weeks (10 languages, 200 partners, themes and countries
with their tag evidence, the full-text index filled by the schema's own triggers) are written with
bulk inserts into a database in a temporary folder, and this week's edition is drafted by
`newsletter.editions.draft_edition`. An editor account is made with `wire editors add`; then
`wire serve --no-schedule` (waitress, as in production) runs in its own process on at most 2 cores,
and one HTTP client on loopback logs in through `/login` like a browser (CSRF token, session
cookie) and asks, one request after another on a keep-alive connection, for:

- the inbox, `/desk/` (this week's stories, first page);
- a search across all weeks, `/desk/?q=...`, with what editors type (words in several scripts,
  a quoted phrase, a hyphenated word, a stray quote);
- the preview of this week's edition in one language, `/desk/editions/<id>/preview/<lang>`
  (the e-mail renderer, as in the composer's frame), looked at again (the app keeps a preview
  until the database changes) and after a change: before each of those requests the benchmark
  commits a change to the edition through its own connection, as another editor or the crawler
  would, so every one is read and rendered anew.

Target: p95 <= 100 ms for each on 2 cores.

    .venv/bin/python -m benchmarks.desk_pages            # full size
    .venv/bin/python -m benchmarks.desk_pages 10000 2000 # a quick look (items, stories), printed only
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

ITEMS = 100_000
STORIES = 20_000
WEEKS = 52
SOURCES = 200
REQUESTS = 300  # per page, after a warm-up
WARM_UP = 30
TARGET_MS = 100.0
EDITOR, PASSWORD = "benchmark-editor@example.org", "a long benchmark passphrase"
LANGUAGES = ("en", "tr", "de", "fa", "es", "fr", "ar", "it", "ku", "pt")
PREVIEW_LANGUAGES = ("fa", "tr", "en", "de", "ar")
THEMES = (
    "hunger-strike",
    "isolation",
    "trial-sentence",
    "release",
    "health",
    "solidarity-action",
    "arrest",
    "administrative-detention",
    "event-call",
    "statement",
)
COUNTRIES = (
    "country-tr",
    "country-kurdistan",
    "country-ir",
    "country-ps",
    "country-basque",
    "country-de",
    "country-co",
)
FIRST = ("Mahir", "Leyla", "Reza", "Nasrin", "Ainhoa", "Jon", "Selin", "Karim", "Lucía", "Tomás", "Hevin", "Dara")
LAST = ("Ekinci", "Demir", "Tavakoli", "Karimi", "Etxeberria", "Aranburu", "Yıldız", "Haddad", "Moreno", "Rojas")
PLACES = ("Kuzeykent", "Aldbridge", "Marzdaran", "Altwerder", "Sierra Baja", "Villanueva", "Qaraqol", "Northmoor")
#: A title and a sentence of text per language: {n} a number, {who} a person, {where} a prison or town.
TEMPLATES = {
    "en": ("Day {n} of the hunger strike of {who} in {where} prison", "Lawyers of {who} asked for a health check."),
    "tr": ("{who} açlık grevinin {n}. gününde: {where} Cezaevi", "{who} avukatları acil sağlık kontrolü istedi."),
    "de": ("Tag {n} des Hungerstreiks von {who} in {where}", "Die Anwältinnen von {who} fordern eine Untersuchung."),
    "fa": ("روز {n} اعتصاب غذای {who} در زندان {where}", "وکلای {who} خواستار معاینه‌ی پزشکی فوری شدند."),
    "es": ("Día {n} de la huelga de hambre de {who} en {where}", "La defensa de {who} pidió un control médico."),
    "fr": ("Jour {n} de la grève de la faim de {who} à {where}", "Les avocats de {who} demandent un examen médical."),
    "ar": ("اليوم {n} من إضراب {who} عن الطعام في سجن {where}", "طالب محامو {who} بفحص طبي عاجل."),
    "it": ("Giorno {n} dello sciopero della fame di {who} a {where}", "Gli avvocati di {who} chiedono una visita."),
    "ku": ("Roja {n}em a greva birçîbûnê ya {who} li {where}", "Parêzerên {who} kontrola tenduristiyê xwestin."),
    "pt": ("Dia {n} da greve de fome de {who} em {where}", "Os advogados de {who} pediram um exame médico."),
}
#: What editors type into the search box.
SEARCHES = (
    "hunger strike",
    "açlık grevi",
    "Mahir Ekinci",
    "اعتصاب غذا",
    '"health check"',
    "hunger-strike",
    'Tavakoli "',
    "Kuzeykent AND",
    "Hungerstreiks Altwerder",
    "Etxeberria",
)


def _moment(now: datetime, rng: random.Random) -> datetime:
    return now - timedelta(seconds=rng.uniform(60, WEEKS * 7 * 86400))


def build(folder: Path, items: int = ITEMS, stories: int = STORIES) -> tuple[dict, int]:
    """Write the database; return the environment for `wire` and this week's edition id."""
    from aggregator.config import load_config
    from aggregator.db import iso, open_db, writing
    from newsletter.editions import draft_edition

    env = {"WIRE_DB": str(folder / "wire.db"), "WIRE_BASE_URL": "http://127.0.0.1:8000"}
    config = load_config(environ=env)
    db = open_db(config.db)
    rng = random.Random(12)
    now = datetime.now(UTC)
    stamp = iso(now)
    with writing(db):
        db.conn.executemany(
            "INSERT INTO sources (id, name, url, kind, language, status, created_at) "
            "VALUES (?, ?, ?, 'feed', ?, 'active', ?)",
            [
                (n, f"Partner {n} <i>solidarity</i>", f"http://partner{n}.invalid/feed/", LANGUAGES[n % 10], stamp)
                for n in range(1, SOURCES + 1)
            ],
        )
    # the share of stories in this week is that of a year spread evenly (about 1/52)
    story_moments = sorted((_moment(now, rng) for _ in range(stories)), reverse=True)
    per_story = [1] * stories
    for _ in range(items - stories):
        per_story[rng.randrange(stories)] += 1
    item_rows, story_rows, evidence = [], [], []
    item_id = 0
    for story_index, (base, count) in enumerate(zip(story_moments, per_story, strict=True), start=1):
        who = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        where, day = rng.choice(PLACES), rng.randrange(1, 200)
        theme, country = rng.choice(THEMES), rng.choice(COUNTRIES)
        first_id = item_id + 1
        moments = []
        for k in range(count):
            item_id += 1
            language = LANGUAGES[(story_index + k) % len(LANGUAGES)]
            title_t, sentence_t = TEMPLATES[language]
            title = title_t.format(n=day, who=who, where=where)
            text = f"{title}. {sentence_t.format(who=who)} " * 3
            moment = min(base + timedelta(hours=k * rng.uniform(1, 20)), now)
            moments.append(moment)
            source = rng.randrange(1, SOURCES + 1)
            url = f"http://partner{source}.invalid/{item_id}"
            tags = [theme, country]
            item_rows.append(
                (
                    item_id,
                    source,
                    story_index,
                    url,
                    url,
                    title,
                    text[:300],
                    text,
                    language,
                    iso(moment),
                    iso(moment),
                    iso(moment),
                    f"hash{item_id}",
                    json.dumps(tags),
                    f"url:{url}",
                    "page",
                )
            )
            evidence += [(item_id, theme, json.dumps(["hunger"])), (item_id, country, json.dumps([where]))]
        story_rows.append(
            (
                story_index,
                TEMPLATES[LANGUAGES[story_index % len(LANGUAGES)]][0].format(n=day, who=who, where=where),
                LANGUAGES[story_index % len(LANGUAGES)],
                first_id,
                count,
                iso(min(moments)),
                iso(max(moments)),
                iso(min(moments)),
            )
        )
    began = time.perf_counter()
    with writing(db):
        db.conn.executemany(
            "INSERT INTO stories (id, title, language, representative_item_id, item_count, first_published_at, "
            "last_published_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            story_rows,
        )
        for start in range(0, len(item_rows), 10_000):
            db.conn.executemany(
                "INSERT INTO items (id, source_id, story_id, url, canonical_url, title, summary, text, language, "
                "published_at, fetched_at, updated_at, content_hash, tags, entry_key, text_origin) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                item_rows[start : start + 10_000],
            )
        db.conn.executemany("INSERT INTO tag_evidence (item_id, tag, words) VALUES (?, ?, ?)", evidence)
    db.execute("ANALYZE")
    print(f"stored {len(item_rows):,} items in {len(story_rows):,} stories in {time.perf_counter() - began:.1f} s")
    edition_id = draft_edition(db, config, now=now)
    db.conn.close()
    return env, edition_id


class Client:
    """One browser-like client: a keep-alive connection and the session cookie."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes, dict]:
        headers = {"Accept-Language": "en", "Accept-Encoding": "identity"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, content, dict(response.headers)

    def log_in(self) -> None:
        _, page, _ = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            rb'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        if token is None:
            raise RuntimeError("no CSRF token on /login")
        status, _, headers = self.request(
            "POST", "/login", {"email": EDITOR, "password": PASSWORD, "csrf_token": token.group(1).decode()}
        )
        if status not in (302, 303) or "/login" in headers.get("Location", "/login"):
            raise RuntimeError(f"login failed: {status} {headers.get('Location')}")

    def timed(self, path: str) -> float:
        began = time.perf_counter()
        status, content, _ = self.request("GET", path)
        elapsed = (time.perf_counter() - began) * 1000
        if status != 200:
            raise RuntimeError(f"{path}: {status} {content[:200]!r}")
        return elapsed


def _peak_memory_mb(pid: int) -> float:
    """The process's peak resident memory (Linux /proc VmHWM): each serving thread keeps its own SQLite cache."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pin_to_two_cores() -> None:
    cores = sorted(os.sched_getaffinity(0))[:2]
    os.sched_setaffinity(0, cores)


def _start_server(folder: str, env: dict) -> tuple[subprocess.Popen, int]:
    from wire.mailsink import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "wire", "serve", "--no-schedule", "--port", str(port)],
        env={**os.environ, **env, "WIRE_PORT": str(port)},
        cwd=folder,
        preexec_fn=_pin_to_two_cores,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/health")
            connection.getresponse().read()
            return server, port
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("wire serve did not start") from None
            time.sleep(0.2)


def main(items: int = ITEMS, stories: int = STORIES) -> None:
    from benchmarks.record import process_cpu, record

    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        env, edition_id = build(Path(folder), items, stories)
        built = time.perf_counter() - began
        subprocess.run(
            [sys.executable, "-m", "wire", "editors", "add", EDITOR],
            input=f"{PASSWORD}\n{PASSWORD}\n",
            text=True,
            env={**os.environ, **env},
            cwd=folder,
            check=True,
            capture_output=True,
        )
        server, port = _start_server(folder, env)
        try:
            client = Client(port)
            client.log_in()
            previews = [f"/desk/editions/{edition_id}/preview/{lang}" for lang in PREVIEW_LANGUAGES]
            pages = {
                "inbox": ["/desk/"],
                "search": [f"/desk/?{urllib.parse.urlencode({'q': q})}" for q in SEARCHES],
                "preview": previews,
                "preview after a change": previews,
            }
            writer = sqlite3.connect(env["WIRE_DB"], isolation_level=None, timeout=15)

            def change() -> None:
                """Commit a change (not timed): the server must read and render the preview anew."""
                writer.execute("UPDATE editions SET updated_at = ? WHERE id = ?", [repr(time.time()), edition_id])

            before = {"preview after a change": change}
            lines = [
                f"{items:,} items in {stories:,} stories over {WEEKS} weeks, {len(LANGUAGES)} languages, "
                f"{SOURCES} partners (written in {built:.0f} s with bulk inserts; the full-text index by the "
                f"schema's triggers); `wire serve --no-schedule` (waitress, 4 threads) on ≤ 2 cores; one "
                f"logged-in client on a keep-alive loopback connection, {REQUESTS} requests per page after "
                f"{WARM_UP} to warm up. Target: p95 ≤ {TARGET_MS:.0f} ms.",
                "",
                "| page | p50 ms | p95 ms | max ms | server CPU ms per request | within target |",
                "|---|---|---|---|---|---|",
            ]
            # each page must be what it claims: stories listed, searches finding some, an e-mail rendered
            for name, must in (("inbox", b'class="story'), ("search", b'class="story'), ("preview", b"<html")):
                _, body, _ = client.request("GET", pages[name][0])
                if must not in body:
                    raise RuntimeError(f"{pages[name][0]} does not show {must!r}: not the page to measure")
            for name, paths in pages.items():
                prepare = before.get(name, lambda: None)
                for n in range(WARM_UP):
                    prepare()
                    client.timed(paths[n % len(paths)])
                cpu_before = process_cpu(server.pid)  # the server is idle while the client commits a change
                latencies = []
                for n in range(REQUESTS):
                    prepare()
                    latencies.append(client.timed(paths[n % len(paths)]))
                cpu = (process_cpu(server.pid) - cpu_before) * 1000 / REQUESTS
                cuts = statistics.quantiles(latencies, n=100)
                shown = paths[0] if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more"
                lines.append(
                    f"| {name} `{shown}` | {statistics.median(latencies):.1f} | {cuts[94]:.1f} | "
                    f"{max(latencies):.1f} | {cpu:.1f} | {'yes' if cuts[94] <= TARGET_MS else 'NO'} |"
                )
            load = os.getloadavg()
            lines += [
                "",
                f"Server's peak resident memory: {_peak_memory_mb(server.pid):.0f} MB.",
                f"Load average (1/5/15 min) at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on 2 cores "
                "(the machine is shared: with a load above 2, response times include waiting for a core; the "
                "server's CPU time per request does not).",
                "Command: `.venv/bin/python -m benchmarks.desk_pages"
                + ("`" if (items, stories) == (ITEMS, STORIES) else f" {items} {stories}`"),
            ]
            writer.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    title = f"Editors' desk: inbox, search and preview with {items:,} items stored (benchmarks/desk_pages.py)"
    if (items, stories) == (ITEMS, STORIES):
        record(title, lines)
    else:  # a quick look at another size is printed, not recorded
        print("\n".join([title, *lines]))


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
