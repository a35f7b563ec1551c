"""Crawl 1,000 full-content feeds of 20 items each on loopback, against feedparser alone and rss2email.

The production path: sources registered in a fresh database, then `crawl_in_subprocess`
(one Scrapy process: fetch, parse, normalise, store, then cluster and tag), timed from
the parent. Figures, all in one run on the same bodies:

- first crawl of the 1,000 feeds (20,000 new items), with its peak memory (max RSS of
  the crawl process);
- an unchanged re-crawl: every feed answers 304 to our ETag/If-Modified-Since;
- the floor: `feedparser.parse` alone on the same 1,000 bodies, in this process;
- the peer: rss2email 3 (`r2e run`, installed into the venv on first use) fetching the
  same feeds over loopback and writing every entry to a Maildir, then its re-run.

Targets (issue 8, point 7): first crawl <= 4x the floor and faster than rss2email;
unchanged re-crawl <= 5 s; peak memory <= 500 MB.

The feeds are generated: RSS 2.0 with `content:encoded` of 1-3 kB per item (so no
article page is fetched), varied text in seven languages from templates with names (real ones and
thousands of invented ones), places, numbers and filler words; about one item in ten is a repost of
another feed's item, as partners repost each other's statements.

Politeness: all feeds live on 127.0.0.1, spread over PORTS ports (one robots.txt each).
Scrapy keys its per-host slot on the host name without the port, so `crawl_per_host`
is set to 16 (Scrapy's global CONCURRENT_REQUESTS) and `crawl_delay` to 0 for this run;
production defaults are 2 requests per host and a 2 s delay.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

FEEDS, ITEMS, PORTS = 1_000, 20, 10
PER_HOST = 16
START = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
WORK = Path(__file__).parent / "work"

# -- generated text ---------------------------------------------------------------------

FIRST = [
    "Mahir",
    "Deniz",
    "Selin",
    "Nasrin",
    "Ali",
    "Leyla",
    "Jorge",
    "Camille",
    "Anna",
    "Kemal",
    "Rosa",
    "Omar",
    "Elif",
    "Pierre",
    "Lucía",
    "Hamid",
    "Zeynep",
    "Marco",
    "Ayşe",
    "Jonas",
    "Sara",
    "Yusuf",
    "Inès",
    "Diego",
    "Marta",
    "Reza",
    "Hüseyin",
    "Chiara",
    "Tomás",
    "Fatma",
    "Gülistan",
    "Nadia",
    "Ibrahim",
    "Julia",
    "Sibel",
]
LAST = [
    "Ekinci",
    "Aksoy",
    "Alavi",
    "Kaya",
    "Durand",
    "García",
    "Moreau",
    "Yılmaz",
    "Rossi",
    "Schmidt",
    "Demir",
    "Rahimi",
    "Ferreira",
    "Martín",
    "Öztürk",
    "Bernard",
    "Conti",
    "Keller",
    "Şahin",
    "Navarro",
    "Karimi",
    "Lopes",
    "Arslan",
    "Lefèvre",
    "Bianchi",
    "Vogel",
    "Çelik",
    "Mendes",
    "Tehrani",
    "Ortega",
    "Baran",
    "Fabre",
]
PLACES = [
    "Kuzeykent",
    "Diyarbakır",
    "Evin",
    "Fleury-Mérogis",
    "Soto del Real",
    "Silivri",
    "Stammheim",
    "Rebibbia",
    "Sincan",
    "Lannemezan",
    "Moabit",
    "Qarchak",
    "Bilbao",
    "Marseille",
    "Izmir",
    "Napoli",
    "Lisboa",
    "Tebriz",
]
ORGS = [
    "Solidarity Network",
    "Red Help",
    "Prisoners' Families Association",
    "Lawyers for Freedom",
    "Rote Hilfe",
    "Secours Rouge",
    "Askapena",
    "TAYAD",
    "Antirepressione",
    "Comité Libertad",
]

LANGUAGES = {
    "en": {
        "title": [
            "{name} enters day {n} of hunger strike in {place}",
            "Court in {place} sentences {name} to {n} months",
            "{name} released after {n} days in {place} prison",
            "Vigil for {name} outside {place} prison",
            "Lawyers denied visit to {name} in {place}",
            "{org} calls for solidarity with {name}",
        ],
        "sentences": [
            "{name} has refused food for {n} days in {place} prison, according to the family.",
            "The lawyer of {name} said that the prison administration had again refused an independent doctor.",
            "{org} called on everyone to gather on {day} in front of the courthouse in {place}.",
            "The hearing was postponed to {day}, the {n}th postponement since the arrest.",
            "Relatives who travelled from {place} were sent back at the gate without explanation.",
            "In a letter smuggled out of the cell, {name} wrote that the isolation is the hardest part.",
            "More than {n} people signed the open letter within two days.",
            "The ministry has not answered the questions of the press about the health of the prisoners.",
            "A doctor who examined {name} last week reported a weight loss of {n} kilos.",
            "Solidarity actions took place in {place}, {place2} and several other cities.",
        ],
        "filler": "meanwhile however family statement prison court hearing visit letter campaign doctor health "
        "conditions demand release support call action public report week month evening morning people "
        "friends comrades lawyers judges guards ministry government decision appeal protest gathering",
    },
    "de": {
        "title": [
            "{name} seit {n} Tagen im Hungerstreik in {place}",
            "Gericht in {place} verurteilt {name} zu {n} Monaten",
            "Kundgebung für {name} vor der JVA {place}",
            "{org} fordert Freiheit für {name}",
        ],
        "sentences": [
            "{name} verweigert seit {n} Tagen die Nahrung, teilte die Familie mit.",
            "Die Anwältin von {name} berichtete, dass ein unabhängiger Arzt erneut abgelehnt wurde.",
            "{org} ruft dazu auf, sich am {day} vor dem Gericht in {place} zu versammeln.",
            "Der Prozess wurde auf den {day} vertagt, zum {n}. Mal seit der Festnahme.",
            "Angehörige, die aus {place} angereist waren, wurden am Tor abgewiesen.",
            "In einem Brief schrieb {name}, dass die Isolation das Schwerste sei.",
            "Mehr als {n} Menschen haben den offenen Brief innerhalb von zwei Tagen unterschrieben.",
            "Solidaritätsaktionen fanden in {place}, {place2} und weiteren Städten statt.",
        ],
        "filler": "jedoch inzwischen Familie Erklärung Gefängnis Gericht Besuch Brief Kampagne Arzt Gesundheit "
        "Bedingungen Forderung Freilassung Unterstützung Aufruf Aktion Woche Monat Abend Menschen Freunde",
    },
    "fr": {
        "title": [
            "{name} en grève de la faim depuis {n} jours à {place}",
            "Le tribunal de {place} condamne {name}",
            "Rassemblement pour {name} devant la prison de {place}",
            "{org} appelle à la solidarité avec {name}",
        ],
        "sentences": [
            "{name} refuse de s'alimenter depuis {n} jours, selon sa famille.",
            "L'avocate de {name} a déclaré que l'administration pénitentiaire refusait "
            "toujours un médecin indépendant.",
            "{org} appelle à se rassembler le {day} devant le palais de justice de {place}.",
            "L'audience a été reportée au {day}, pour la {n}e fois depuis l'arrestation.",
            "Des proches venus de {place} ont été refoulés à l'entrée sans explication.",
            "Dans une lettre, {name} écrit que l'isolement est le plus difficile.",
            "Plus de {n} personnes ont signé la lettre ouverte en deux jours.",
            "Des actions de solidarité ont eu lieu à {place}, {place2} et dans d'autres villes.",
        ],
        "filler": "cependant famille déclaration prison tribunal visite lettre campagne médecin santé conditions "
        "demande libération soutien appel action semaine mois soir personnes amis camarades avocats",
    },
    "es": {
        "title": [
            "{name} cumple {n} días en huelga de hambre en {place}",
            "El tribunal de {place} condena a {name}",
            "Concentración por {name} ante la cárcel de {place}",
            "{org} pide solidaridad con {name}",
        ],
        "sentences": [
            "{name} lleva {n} días sin comer, según su familia.",
            "La abogada de {name} denunció que la dirección de la prisión volvió a negar un médico independiente.",
            "{org} convoca una concentración el {day} frente a los juzgados de {place}.",
            "El juicio se aplazó al {day}, por {n}ª vez desde la detención.",
            "Familiares llegados de {place} fueron rechazados en la puerta sin explicación.",
            "En una carta, {name} escribió que el aislamiento es lo más duro.",
            "Más de {n} personas firmaron la carta abierta en dos días.",
            "Hubo acciones de solidaridad en {place}, {place2} y otras ciudades.",
        ],
        "filler": "sin embargo familia comunicado cárcel tribunal visita carta campaña médico salud condiciones "
        "demanda libertad apoyo llamamiento acción semana mes tarde personas amigos compañeros abogados",
    },
    "tr": {
        "title": [
            "{name} {place} cezaevinde açlık grevinin {n}. gününde",
            "{place} mahkemesi {name} için {n} ay ceza verdi",
            "{name} için {place} cezaevi önünde eylem",
            "{org}: {name} ile dayanışmaya",
        ],
        "sentences": [
            "Ailesinin açıklamasına göre {name} {n} gündür açlık grevinde.",
            "{name}'in avukatı, cezaevi yönetiminin bağımsız doktor talebini yine reddettiğini söyledi.",
            "{org}, {day} günü {place} adliyesi önünde buluşma çağrısı yaptı.",
            "Duruşma {day} tarihine ertelendi; bu, gözaltından bu yana {n}. erteleme.",
            "{place} kentinden gelen aileler kapıdan geri çevrildi.",
            "{name} bir mektubunda tecridin en zor şey olduğunu yazdı.",
            "Açık mektubu iki günde {n} kişiden fazla kişi imzaladı.",
            "{place}, {place2} ve başka kentlerde dayanışma eylemleri yapıldı.",
        ],
        "filler": "ancak aile açıklama cezaevi mahkeme ziyaret mektup kampanya doktor sağlık koşullar talep "
        "özgürlük destek çağrı eylem hafta ay akşam insanlar arkadaşlar yoldaşlar avukatlar",
    },
    "it": {
        "title": [
            "{name} al {n}° giorno di sciopero della fame a {place}",
            "Il tribunale di {place} condanna {name}",
            "Presidio per {name} davanti al carcere di {place}",
        ],
        "sentences": [
            "{name} rifiuta il cibo da {n} giorni, secondo la famiglia.",
            "L'avvocata di {name} ha detto che l'amministrazione ha di nuovo negato un medico indipendente.",
            "{org} invita tutti a radunarsi il {day} davanti al tribunale di {place}.",
            "L'udienza è stata rinviata al {day}, per la {n}ª volta dall'arresto.",
            "In una lettera {name} ha scritto che l'isolamento è la cosa più dura.",
            "Azioni di solidarietà si sono svolte a {place}, {place2} e in altre città.",
        ],
        "filler": "tuttavia famiglia dichiarazione carcere tribunale visita lettera campagna medico salute "
        "condizioni richiesta libertà sostegno appello azione settimana mese sera persone amici compagni",
    },
    "pt": {
        "title": [
            "{name} cumpre {n} dias de greve de fome em {place}",
            "Tribunal de {place} condena {name}",
        ],
        "sentences": [
            "{name} recusa alimentar-se há {n} dias, segundo a família.",
            "A advogada de {name} disse que a direção da prisão voltou a recusar um médico independente.",
            "{org} convoca uma concentração no dia {day} em frente ao tribunal de {place}.",
            "O julgamento foi adiado para {day}, pela {n}ª vez desde a prisão.",
            "Numa carta, {name} escreveu que o isolamento é o mais difícil.",
            "Houve ações de solidariedade em {place}, {place2} e noutras cidades.",
        ],
        "filler": "porém família comunicado prisão tribunal visita carta campanha médico saúde condições "
        "exigência liberdade apoio apelo ação semana mês noite pessoas amigos camaradas advogados",
    },
}


def _invented(count: int, seed: int, syllables: int) -> list[str]:
    """Invented proper names: 1,000 partners write about many different people and towns, so
    the names of a real week are far more varied than a few dozen lists could give."""
    parts = [
        "ka",
        "ren",
        "dal",
        "mi",
        "sor",
        "tu",
        "lan",
        "be",
        "nik",
        "zo",
        "ar",
        "el",
        "fin",
        "gu",
        "hal",
        "ir",
        "jon",
        "ma",
        "ra",
        "sel",
        "ta",
        "vo",
        "yil",
        "dem",
        "er",
        "ko",
        "lu",
        "na",
        "pe",
        "sa",
        "ti",
        "ve",
        "zu",
        "bar",
        "cem",
        "do",
        "ga",
        "hu",
        "ke",
        "li",
        "mo",
        "nu",
        "po",
        "ri",
        "su",
        "te",
        "vu",
    ]
    rng, names = random.Random(seed), set()
    while len(names) < count:
        names.add("".join(rng.choice(parts) for _ in range(rng.randint(2, syllables))).capitalize())
    return sorted(names)


FIRST_POOL = FIRST + _invented(600, 1, 2)
LAST_POOL = LAST + _invented(4_000, 2, 3)
PLACE_POOL = PLACES + _invented(600, 3, 3)
WEIGHTS = {"en": 4, "de": 2, "fr": 2, "es": 2, "tr": 2, "it": 1, "pt": 1}


def _fill(template: str, rng: random.Random, who: str, where: str) -> str:
    return template.format(
        name=who,
        place=where,
        place2=rng.choice(PLACE_POOL),
        org=rng.choice(ORGS),
        n=rng.randint(2, 400),
        day=f"{rng.randint(1, 28)}.{rng.randint(1, 12)}.2026",
    )


def article(rng: random.Random, language: str) -> tuple[str, str]:
    """(title, content HTML) of 1-3 kB: template sentences, each paragraph ending in a filler clause."""
    words = LANGUAGES[language]
    who = f"{rng.choice(FIRST_POOL)} {rng.choice(LAST_POOL)}"
    where = rng.choice(PLACE_POOL)
    title = _fill(rng.choice(words["title"]), rng, who, where)
    filler = words["filler"].split()
    paragraphs = []
    size = 0
    target = rng.randint(1_000, 3_000)
    while size < target:
        sentences = [_fill(s, rng, who, where) for s in rng.sample(words["sentences"], rng.randint(2, 4))]
        tail = " ".join(rng.choices(filler, k=rng.randint(8, 20)))
        paragraph = " ".join(sentences) + f" {tail.capitalize()} {rng.randint(10, 9_999)}."
        paragraphs.append(f"<p>{escape(paragraph)}</p>")
        size += len(paragraph)
    return title, "\n".join(paragraphs)


def generate_feeds(base_urls: list[str], feeds: int = FEEDS, items: int = ITEMS, seed: int = 8) -> dict[str, bytes]:
    """{path: RSS 2.0 body}; feed n lives at base_urls[n % len(base_urls)] + path."""
    rng = random.Random(seed)
    languages = [code for code, weight in WEIGHTS.items() for _ in range(weight)]
    written: list[tuple[str, str, str]] = []
    bodies = {}
    for feed in range(feeds):
        base = base_urls[feed % len(base_urls)]
        language = rng.choice(languages)
        entries = []
        for number in range(items):
            if written and rng.random() < 0.1:
                title, content, _ = rng.choice(written)  # a repost of another partner's statement
            else:
                title, content = article(rng, language)
                written.append((title, content, language))
            when = START - timedelta(minutes=feed * 7 + number * 53)
            link = f"{base}/p{feed}/{when:%Y/%m}/{number}-{hashlib.md5(title.encode()).hexdigest()[:8]}"
            summary = escape(content.split("</p>", 1)[0].removeprefix("<p>")[:200]) + " […]"
            entries.append(
                f"<item><title>{escape(title)}</title><link>{link}</link>"
                f'<guid isPermaLink="false">p{feed}-{number}</guid>'
                f"<pubDate>{format_datetime(when)}</pubDate><dc:creator>Press team</dc:creator>"
                f"<category>{'prisoners' if number % 2 else 'solidarity'}</category>"
                f"<description>{summary}</description>"
                f"<content:encoded><![CDATA[{content}]]></content:encoded></item>"
            )
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            f'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>Partner {feed}</title><link>{base}/p{feed}/</link><language>{language}</language>"
            f"<description>News of partner {feed}</description>{''.join(entries)}</channel></rss>\n"
        )
        bodies[f"/p{feed}/feed.xml"] = body.encode("utf-8")
    return bodies


# -- the loopback server -------------------------------------------------------------------


class LoopbackSites:
    """Serve `routes` ({path: (content type, body)}) on `ports` ports of 127.0.0.1, with validators.

    Every body gets an ETag and a Last-Modified; a request carrying either that still
    matches gets 304. Threaded, and bounded: it shuts itself down after `lifetime` seconds.
    """

    def __init__(self, ports: int = PORTS, lifetime: float = 900):
        self.routes: dict[str, tuple[str, bytes, str]] = {}
        self.counts = {200: 0, 304: 0, 404: 0}
        self.lock = threading.Lock()
        self.servers = []
        sites = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path == "/robots.txt":
                    return self._send(
                        200,
                        {"Content-Type": "text/plain"},
                        b"User-agent: *\nAllow: /\n",
                    )
                route = sites.routes.get(path)
                if route is None:
                    return self._send(404, {"Content-Type": "text/plain"}, b"not found")
                content_type, body, etag = route
                if self.headers.get("If-None-Match") == etag or self.headers.get("If-Modified-Since") == MODIFIED:
                    return self._send(304, {"ETag": etag, "Last-Modified": MODIFIED}, b"")
                self._send(
                    200,
                    {
                        "Content-Type": content_type,
                        "ETag": etag,
                        "Last-Modified": MODIFIED,
                    },
                    body,
                )

            def _send(self, status, headers, body):
                with sites.lock:
                    sites.counts[status] = sites.counts.get(status, 0) + 1
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 256
            daemon_threads = True

        for _ in range(ports):
            server = Server(("127.0.0.1", 0), Handler)
            self.servers.append(server)
            threading.Thread(target=server.serve_forever, daemon=True).start()
        self.bases = [f"http://127.0.0.1:{server.server_address[1]}" for server in self.servers]
        self.timer = threading.Timer(lifetime, self.close)
        self.timer.daemon = True
        self.timer.start()

    def add(self, path: str, body: bytes, content_type: str) -> None:
        self.routes[path] = (
            content_type,
            body,
            '"' + hashlib.sha1(body).hexdigest()[:16] + '"',
        )

    def close(self) -> None:
        self.timer.cancel()
        for server in self.servers:
            server.shutdown()
            server.server_close()
        self.servers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


MODIFIED = format_datetime(START, usegmt=True)


# -- the runs --------------------------------------------------------------------------------


def children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def children_cpu() -> float:
    """CPU seconds (user + system) of the children waited for so far: a figure that other work on
    the machine does not inflate, unlike the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stolen_seconds() -> float | None:
    """CPU seconds the hypervisor has taken from this virtual machine since boot (/proc/stat's
    `steal`, all cores), or None where there is no such count: a run slowed by a neighbour on
    the host says so instead of looking like our code."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def feedparser_floor(bodies: list[bytes]) -> float:
    """Seconds for feedparser alone to parse every body, with its defaults (sanitising included)."""
    import feedparser

    started, cpu = time.perf_counter(), time.process_time()
    entries = sum(len(feedparser.parse(body).entries) for body in bodies)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert entries == len(bodies) * ITEMS, entries
    return seconds, cpu


def crawl_config(folder: Path, per_host: int):
    from aggregator.config import load_config

    return load_config(
        None,
        environ={},
        db=folder / "wire.db",
        allow_private_networks=True,
        allowed_hosts=("127.0.0.1",),
        crawl_delay=0.0,
        crawl_per_host=per_host,
        max_items_per_feed=200,
    )


def run_ours(urls: list[str], folder: Path, per_host: int = PER_HOST, timeout: float = 1800) -> dict:
    """First crawl and unchanged re-crawl through `crawl_in_subprocess`; peak RSS of the first crawl."""
    from aggregator.db import open_db
    from aggregator.storage.sources import add_source
    from crawlers.run import crawl_in_subprocess

    config = crawl_config(folder, per_host)
    db = open_db(config.db)
    ids = [add_source(db, url, f"Partner {n}", "feed") for n, url in enumerate(urls)]
    db.conn.close()
    before = children_peak_mb()
    started, cpu, stolen = time.perf_counter(), children_cpu(), stolen_seconds()
    first = crawl_in_subprocess(config, source_ids=ids, kinds=("feed",), timeout=timeout)
    first_seconds, first_cpu = time.perf_counter() - started, children_cpu() - cpu
    stolen_after = stolen_seconds()
    peak = children_peak_mb()
    started, cpu = time.perf_counter(), children_cpu()
    second = crawl_in_subprocess(config, source_ids=ids, kinds=("feed",), timeout=timeout)
    second_seconds, second_cpu = time.perf_counter() - started, children_cpu() - cpu
    db = open_db(config.db)
    stored = db.execute("SELECT count(*) FROM items").fetchone()[0]
    stories = db.execute("SELECT count(*) FROM stories").fetchone()[0]
    tagged = db.execute("SELECT count(*) FROM items WHERE tags != '[]'").fetchone()[0]
    db.conn.close()
    return {
        "first": first_seconds,
        "second": second_seconds,
        "first_cpu": first_cpu,
        "second_cpu": second_cpu,
        "first_stolen": None if stolen is None or stolen_after is None else stolen_after - stolen,
        "peak_mb": peak if peak > before else None,
        "first_report": first,
        "second_report": second,
        "stored": stored,
        "stories": stories,
        "tagged": tagged,
    }


def rss2email_command() -> list[str] | str:
    """The `r2e` of this venv, installed with pip on first use; or why it is not available."""
    r2e = Path(sys.executable).with_name("r2e")
    if not r2e.exists():
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "rss2email"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0 or not r2e.exists():
            return f"pip install rss2email failed: {result.stderr.strip()[-200:]}"
    return [str(r2e)]


def run_rss2email(urls: list[str], folder: Path, timeout: float = 600) -> dict | str:
    """rss2email fetching every feed and writing every entry to a Maildir; then an unchanged re-run."""
    command = rss2email_command()
    if isinstance(command, str):
        return command
    maildir = folder / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / "INBOX" / sub).mkdir(parents=True, exist_ok=True)
    config = folder / "r2e.cfg"
    lines = [
        "[DEFAULT]",
        "to = reader@example.invalid",
        "from = r2e@example.invalid",
        "email-protocol = maildir",
        f"maildir-path = {maildir}",
        "maildir-mailbox = INBOX",
        "verbose = warning",
        "feed-timeout = 60",
        "",
    ]
    for n, url in enumerate(urls):
        lines += [f"[feed.partner{n}]", f"url = {url}", ""]
    config.write_text("\n".join(lines), encoding="utf-8")
    data = folder / "r2e.json"
    base = [*command, "--config", str(config), "--data", str(data)]
    figures = {}
    for run in ("first", "second"):
        started, cpu = time.perf_counter(), children_cpu()
        result = subprocess.run([*base, "run"], capture_output=True, text=True, timeout=timeout, check=False)
        figures[run] = time.perf_counter() - started
        figures[f"{run}_cpu"] = children_cpu() - cpu
        if result.returncode != 0:
            return f"r2e run failed ({result.returncode}): {result.stderr.strip()[-300:]}"
    figures["messages"] = sum(1 for _ in (maildir / "INBOX" / "new").iterdir())
    return figures


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="wire-bench-crawl-"))
    try:
        with LoopbackSites(PORTS) as sites:
            bodies = generate_feeds(sites.bases)
            for path, body in bodies.items():
                sites.add(path, body, "application/rss+xml; charset=utf-8")
            urls = [f"{sites.bases[n % PORTS]}/p{n}/feed.xml" for n in range(FEEDS)]
            megabytes = sum(map(len, bodies.values())) / 2**20
            print(
                f"{FEEDS} feeds x {ITEMS} items, {megabytes:.0f} MB on {PORTS} loopback ports",
                flush=True,
            )
            floor, floor_cpu = feedparser_floor(list(bodies.values()))
            print(f"feedparser alone: {floor:.1f} s", flush=True)
            ours = run_ours(urls, folder / "wire")
            print(
                f"ours: first {ours['first']:.1f} s, re-crawl {ours['second']:.1f} s",
                flush=True,
            )
            for report in (ours["first_report"], ours["second_report"]):
                for error in report.errors[:5]:  # a crawl that went wrong says so, not only its time
                    print(f"  ! {error}", flush=True)
            served = dict(sites.counts)
            peer = run_rss2email(urls, folder / "r2e")
            print(f"rss2email: {peer}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    first, second = ours["first_report"], ours["second_report"]
    lines = [
        (
            f"- {FEEDS} generated RSS 2.0 feeds x {ITEMS} full-content items ({megabytes:.0f} MB, 7 languages, "
            f"~10 % reposts) "
            f"on {PORTS} ports of 127.0.0.1; `crawl_per_host = {PER_HOST}`, `crawl_delay = 0` for this run "
            f"(Scrapy's slot is per host name, so all ports share one); command: `.venv/bin/python -m benchmarks.crawl`"
        ),
        f"- floor, feedparser alone on the same 1,000 bodies: {floor:.1f} s ({floor_cpu:.1f} s of CPU)",
        (
            f"- ours, first crawl (`crawl_in_subprocess`: fetch, parse, store, cluster, tag): {ours['first']:.1f} s = "
            f"{ours['first'] / floor:.1f}x the floor (target <= 4x); {first.items_new} new items, "
            f"{ours['stories']} stories, {first.duplicates_folded} folded, {ours['tagged']} tagged, "
            f"{first.requests} requests; CPU {ours['first_cpu']:.1f} s = "
            f"{ours['first_cpu'] / floor_cpu:.1f}x the floor's CPU, {ours['first_cpu'] / ours['first']:.2f} "
            f"cores busy on average; CPU taken by the hypervisor meanwhile: "
            + ("not known" if ours["first_stolen"] is None else f"{ours['first_stolen']:.1f} s")
        ),
        (
            f"- ours, unchanged re-crawl: {ours['second']:.1f} s (target <= 5 s); "
            f"{second.sources_not_modified} sources "
            f"answered 304, {second.items_new} new items; CPU {ours['second_cpu']:.1f} s"
        ),
        "- peak memory of the first crawl (max RSS of the crawl process): "
        + (
            f"{ours['peak_mb']:.0f} MB (target <= 500 MB)"
            if ours["peak_mb"]
            else "not measurable (an earlier child was larger)"
        ),
        f"- server: {served.get(200, 0)} answers 200, {served.get(304, 0)} answers 304 during our two crawls",
        "- errors reported by our crawls: " + ("; ".join(first.errors[:3] + second.errors[:3]) or "none"),
    ]
    if isinstance(peer, str):
        lines.append(f"- peer, rss2email: not measured: {peer}")
    else:
        verdict = "faster" if ours["first"] < peer["first"] else "slower"
        lines.append(
            f"- peer, rss2email 3.14 (`r2e run`, sequential, to a Maildir): first run {peer['first']:.1f} s "
            f"({peer['messages']} messages, CPU {peer['first_cpu']:.1f} s), unchanged re-run {peer['second']:.1f} s; "
            f"ours is {verdict} ({ours['first'] / peer['first']:.2f}x the wall time, "
            f"{ours['first_cpu'] / max(peer['first_cpu'], 0.001):.2f}x the CPU)"
        )
    from benchmarks.record import record

    lines.append(
        f"- load average at the end of the run (1/5/15 min): {' / '.join(f'{v:.1f}' for v in os.getloadavg())} "
        f"on {os.cpu_count()} cores (other work on the machine slows both sides alike)"
    )
    record("Crawl of 1,000 full-content feeds on loopback (benchmarks/crawl.py)", lines)


if __name__ == "__main__":
    main()
