"""Shared fixtures: configuration and database in a temporary folder, the demo partner network
over real HTTP on loopback, a real SMTP server, the web app on a free port, and Chromium."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from aggregator.config import load_config
from aggregator.db import open_db
from tests.chromium import CHROMIUM, launch

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"
ARTIFACTS = Path(__file__).parent / "artifacts"


def make_config(tmp_path: Path, **overrides):
    """A configuration for tests: its own database, loopback allowed, nothing but 127.0.0.1 fetched."""
    values = dict(
        db=tmp_path / "wire.db",
        allow_private_networks=True,
        allowed_hosts="127.0.0.1",
        crawl_delay=0,
        crawl_per_host=8,
        send_rate=0,
        min_interval=60,
    )
    values.update(overrides)
    return load_config(environ={}, **values)


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path)


@pytest.fixture
def db(config):
    database = open_db(config.db)
    yield database
    database.conn.close()


@pytest.fixture(scope="session")
def demo_network():
    from wire.demo.network import DemoNetwork

    with DemoNetwork() as network:
        yield network


@pytest.fixture
def mail_sink(tmp_path):
    from wire.mailsink import MailSink

    with MailSink(tmp_path / "maildir") as sink:
        yield sink


@pytest.fixture(scope="session")
def corpus():
    """../shared/corpus, or a skip with the reason (a user's clone has no ../shared; CI always has it)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside this clone (a user's clone); CI always has it")
    return CORPUS


class LiveServer:
    """Waitress on a loopback port, bound at once. Tests whose pages must link to the server's own URL
    start it with no app, build the config from `url`, then set `app`: a port picked, closed and bound
    again later can be taken meanwhile (the kernel hands the same free port to the next bind(0), and a
    mail sink started in between took it)."""

    def __init__(self, app=None, port: int = 0):
        from waitress.server import create_server

        self.app = app
        # poll(), not select(): closed while its thread waits, the socket is reported as gone
        # (POLLNVAL, handled as a close) instead of select() raising EBADF in that thread (CI saw it)
        self.server = create_server(self._serve, host="127.0.0.1", port=port, threads=4, asyncore_use_poll=True)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def _serve(self, environ, start_response):
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"the test has not set its app yet"]
        return self.app(environ, start_response)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.close()


@pytest.fixture
def unset_server():
    """A LiveServer bound before the test builds its config from `url`; the test sets `app`."""
    with LiveServer() as server:
        yield server


@pytest.fixture
def live_app(config):
    """The web app served by waitress on a free loopback port."""
    from wire.web import create_app

    with LiveServer(create_app(config)) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; in CI a missing browser fails instead of skipping."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs it with apt-get")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI fails instead of skipping")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class StaticSite:
    """Serve a folder over real HTTP on 127.0.0.1; `routes` maps a path to (status, headers, body) for the rest."""

    def __init__(self, root: Path, routes: dict | None = None):
        import http.server

        site = self
        self.root, self.routes, self.requests = root, routes or {}, []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(root), **kwargs)

            def log_message(self, *args):
                pass

            def do_GET(self):
                site.requests.append((self.path, dict(self.headers.items())))
                if self.path in site.routes:
                    status, headers, body = site.routes[self.path]
                    if callable(body):
                        status, headers, body = body(self)
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                super().do_GET()

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 128  # the default 5 refuses connections under load (see wire/demo/network.py)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def static_site(tmp_path):
    """A factory: `static_site(routes)` serves tmp_path/site plus the given routes."""
    sites = []

    def start(routes=None):
        root = tmp_path / f"site{len(sites)}"
        root.mkdir()
        site = StaticSite(root, routes)
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.close()


@pytest.fixture(autouse=True)
def cheap_password_hashes():
    """Editors' passwords hashed with argon2-cffi's cheapest parameters, as its docs advise for tests.

    The production parameters (64 MiB, 3 passes) cost a few hundred milliseconds per login on a
    busy 2-core machine; a test that needs real work per hash (the timing of refusals) sets its own.
    """
    from argon2 import profiles

    from aggregator import passwords

    production = passwords._hasher
    passwords.use_parameters(profiles.CHEAPEST)
    yield
    passwords._hasher, passwords._dummy_hash = production, None
