"""Sites without feeds: a recipe with selectors and pagination, over real HTTP on loopback."""

import subprocess
import sys

from aggregator.db import open_db
from aggregator.storage.sources import add_source
from crawlers.run import crawl_in_subprocess
from tests.conftest import make_config


def page(title, body, when):
    return (
        f'<html lang="es"><head><title>{title} | Comité</title></head><body><nav><a href="/">Inicio</a></nav>'
        f'<div class="nota"><h1 class="titulo">{title}</h1><span class="fecha" data-when="{when}">{when}</span>'
        f'<div class="cuerpo"><p>{body}</p><p>{body}</p></div></div>'
        f'<div class="comments"><h3>Deja un comentario</h3></div></body></html>'
    ).encode()


def list_page(links, next_page=None):
    items = "".join(f'<li class="entrada"><a class="enlace" href="{href}">{text}</a></li>' for href, text in links)
    more = f'<a class="siguiente" href="{next_page}">Más antiguas</a>' if next_page else ""
    return f'<html><body><ul class="listado">{items}</ul>{more}</body></html>'.encode()


def test_recipe_with_pagination(tmp_path, static_site):
    body = "La compañera sigue en huelga de hambre en la cárcel de Valdeluna y su familia pide una visita médica."
    routes = {
        "/noticias": (
            200,
            {"Content-Type": "text/html"},
            list_page([("/n/1", "Uno"), ("/n/2", "Dos")], "/noticias?p=2"),
        ),
        "/noticias?p=2": (200, {"Content-Type": "text/html"}, list_page([("/n/3", "Tres")], "/noticias?p=3")),
        "/noticias?p=3": (200, {"Content-Type": "text/html"}, list_page([("/n/4", "Cuatro")])),
    }
    for n in range(1, 5):
        routes[f"/n/{n}"] = (
            200,
            {"Content-Type": "text/html"},
            page(f"Día {40 + n} de huelga de hambre", body, f"2026-11-1{n}T10:00:00+01:00"),
        )
    site = static_site(routes)
    config = make_config(tmp_path)
    db = open_db(config.db)
    recipe = {
        "list_urls": [site.url + "/noticias"],
        "link_selector": "li.entrada a.enlace",
        "title_selector": "h1.titulo",
        "date_selector": "span.fecha::attr(data-when)",
        "body_selector": "div.cuerpo",
        "next_selector": "a.siguiente::attr(href)",
        "max_pages": 2,
    }
    source = add_source(db, site.url + "/noticias", "Comité", "site", recipe=recipe, language="es")
    report = crawl_in_subprocess(config)
    rows = list(db.query("SELECT * FROM items WHERE source_id = ? ORDER BY published_at", [source]))
    assert [row["title"] for row in rows] == [
        "Día 41 de huelga de hambre",
        "Día 42 de huelga de hambre",
        "Día 43 de huelga de hambre",
    ]  # max_pages = 2: page 3 not read
    assert rows[0]["published_at"] == "2026-11-11T09:00:00+00:00"
    assert all("Deja un comentario" not in row["text"] and row["language"] == "es" for row in rows)
    assert not [path for path, _ in site.requests if path == "/noticias?p=3"]
    assert report.sources_fetched == 1


def test_bad_recipe_is_refused_with_the_reason(tmp_path):
    env = {"WIRE_DB": str(tmp_path / "wire.db"), "PATH": "/usr/bin:/bin"}
    for recipe, message in [
        ('{"link_selector": "a[", "list_urls": []}', "link_selector is not a CSS selector"),
        ('{"links": "a"}', "unknown key(s) links"),
        ("{not json", "--recipe: not valid JSON"),
        ('{"max_pages": 500}', "max_pages must be a number from 1 to 50"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "wire", "sources", "add", "http://127.0.0.1:9/news/", "--recipe", recipe, "--yes"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        assert result.returncode == 2
        assert message in result.stderr and result.stderr.count("\n") == 1
    listing = subprocess.run(
        [sys.executable, "-m", "wire", "sources", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert listing.stdout == ""  # nothing half-registered


def free_port() -> int:
    """A loopback port where nothing listens (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_article_pages_that_cannot_be_fetched_are_one_line_in_the_sources_health(tmp_path, static_site):
    """A refused connection and a DNS failure on article pages: the good article is kept, the list
    page's fetch still counts as a success, the failures are one line on the source, and the log of
    `wire -v crawl` (Scrapy's lines included) shows no traceback."""
    body = "Der Prozess gegen die fünf Angeklagten wurde heute vor dem Landgericht fortgesetzt, mit vielen Zuhörern."
    refused = f"http://127.0.0.1:{free_port()}/n/refused"
    unresolvable = "http://wire-test.invalid/n/nowhere"
    routes = {
        "/noticias": (
            200,
            {"Content-Type": "text/html"},
            list_page([("/n/1", "Uno"), (refused, "Dos"), (unresolvable, "Tres")]),
        ),
        "/n/1": (200, {"Content-Type": "text/html"}, page("Prozess, Tag 14", body, "2026-11-12T10:00:00+01:00")),
    }
    site = static_site(routes)
    env = {
        "WIRE_DB": str(tmp_path / "wire.db"),
        "WIRE_ALLOW_PRIVATE_NETWORKS": "true",
        "WIRE_ALLOWED_HOSTS": "127.0.0.1 wire-test.invalid",
        "WIRE_CRAWL_DELAY": "0",
        "PATH": "/usr/bin:/bin",
    }
    config = make_config(tmp_path)
    db = open_db(config.db)
    recipe = {"list_urls": [site.url + "/noticias"], "link_selector": "li.entrada a.enlace"}
    source = add_source(db, site.url + "/noticias", "Prozessgruppe", "site", recipe=recipe, language="de")
    result = subprocess.run(
        [sys.executable, "-m", "wire", "-v", "crawl"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-3000:]
    row = db.execute(
        "SELECT last_error, last_error_hint, consecutive_failures, last_success_at FROM sources WHERE id = ?", [source]
    ).fetchone()
    assert [r[0] for r in db.execute("SELECT title FROM items")] == ["Prozess, Tag 14"]
    assert row[2] == 0 and row[3]  # the list page was read: the source works
    error, hint = row[0] or "", row[1] or ""
    assert "\n" not in error and error.startswith("2 article pages could not be fetched"), error
    assert f"{refused} (the site refused the connection)" in error, error
    assert f"{unresolvable} (the host name does not resolve (DNS))" in error, error
    assert hint
