"""Autodiscovery: feeds announced on real homepages (corpus), and the whole search over loopback HTTP."""

import json

import pytest

from crawlers.feeds.discover import discover, feed_links
from crawlers.netguard import BlockedAddress

RESOURCES = "rsparser/Tests/RSParserTests/Resources"
OPTIONS = dict(user_agent="SolidarityWire-test", allow_private=True, allowed_hosts=("127.0.0.1",))

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Comité</title>
<item><title>Grève de la faim, jour 12</title><link>http://127.0.0.1/a</link>
<pubDate>Thu, 19 Nov 2026 10:00:00 GMT</pubDate></item>
<item><title>Rassemblement devant le consulat</title><link>http://127.0.0.1/b</link>
<pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>""".encode()


@pytest.mark.parametrize("page", ["DaringFireball.html", "inessential.html", "sixcolors.html", "furbo.html"])
def test_feed_links_on_real_homepages(corpus, page):
    manifest = json.loads((corpus / "rsparser" / "manifest.json").read_text())[page]
    found = feed_links((corpus / RESOURCES / page).read_bytes(), manifest["source_url"])
    expected = manifest["expected"]["feed_links"]
    hrefs = [link["href"] for link in expected if link.get("href")]
    assert found[: len(expected)] == hrefs or (not hrefs and len(found) >= len(expected)), found


def test_discovers_the_announced_feed(static_site):
    site = static_site({"/feed/": (200, {"Content-Type": "application/rss+xml"}, RSS)})
    (site.root / "index.html").write_text(
        '<html><head><title>Comité</title><link rel="alternate" type="application/rss+xml" href="/feed/"></head></html>'
    )
    found = discover(site.url + "/", **OPTIONS)
    assert (found.kind, found.url, found.format) == ("feed", site.url + "/feed/", "rss20")
    assert [entry["title"] for entry in found.latest] == [
        "Rassemblement devant le consulat",
        "Grève de la faim, jour 12",
    ]


def test_falls_back_to_usual_paths_then_to_a_site(static_site):
    site = static_site({"/atom.xml": (200, {"Content-Type": "text/xml"}, RSS)})
    (site.root / "index.html").write_text("<html><head><title>No link</title></head><body></body></html>")
    assert discover(site.url + "/", **OPTIONS).url == site.url + "/atom.xml"
    bare = static_site()
    (bare.root / "index.html").write_text("<html><head><title>Hand-made site</title></head><body></body></html>")
    found = discover(bare.url + "/", **OPTIONS)
    assert (found.kind, found.title) == ("site", "Hand-made site")


def test_redirect_to_a_private_address_is_refused(static_site):
    site = static_site({"/": (302, {"Location": "http://10.0.0.5/feed/"}, b"")})
    with pytest.raises(BlockedAddress, match="10.0.0.5 is not in allowed_hosts"):
        discover(site.url + "/", **OPTIONS)


class TricklingServer:
    """An HTTP server on loopback that sends its answer one byte a second (headers or body), as a
    stalling or hostile site does; it stops when the client hangs up or the test ends."""

    def __init__(self, stall: str):
        import socketserver
        import threading
        import time

        self.stop = threading.Event()
        self.bytes_sent = 0
        server = self
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.recv(65536)
                answer = (b"" if stall == "headers" else head) + b"<html><head><title>slow</title>" + b" " * 99_000
                if stall == "body":
                    self.request.sendall(answer[: len(head)])
                    answer = answer[len(head) :]
                elif stall == "headers":
                    answer = head + answer
                for byte in answer:
                    if server.stop.is_set():
                        return
                    try:
                        self.request.sendall(bytes([byte]))
                    except OSError:
                        return
                    server.bytes_sent += 1
                    time.sleep(1)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def trickling_server(request):
    server = TricklingServer(request.param)
    yield server
    server.close()


@pytest.mark.parametrize("trickling_server", ["headers", "body"], indirect=True)
def test_a_server_sending_a_byte_a_second_is_abandoned_at_the_total_deadline(trickling_server):
    import threading
    import time

    from crawlers.feeds.discover import DiscoveryTimeout

    outcome = {}

    def run():
        started = time.monotonic()
        try:
            discover(trickling_server.url, deadline=3, **OPTIONS)
        except Exception as error:  # noqa: BLE001 - the test looks at what was raised
            outcome["error"] = error
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=15)
    assert not thread.is_alive(), "discovery still running after 15 s against a 1 byte/s server"
    assert isinstance(outcome.get("error"), DiscoveryTimeout), outcome
    assert isinstance(outcome["error"], OSError)  # `wire sources add` prints it as one line
    assert outcome["seconds"] < 4.5, outcome
    message = str(outcome["error"])
    assert "\n" not in message and trickling_server.url in message and "3 s" in message, message


@pytest.mark.parametrize("trickling_server", ["body"], indirect=True)
def test_wire_sources_add_gives_up_on_a_trickling_server_within_its_deadline(tmp_path, trickling_server):
    """The promise as a user meets it: 20 s for the whole discovery, one line, status 2."""
    import subprocess
    import sys
    import time

    env = {
        "WIRE_DB": str(tmp_path / "wire.db"),
        "WIRE_ALLOW_PRIVATE_NETWORKS": "true",
        "WIRE_ALLOWED_HOSTS": "127.0.0.1",
        "PATH": "/usr/bin:/bin",
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "wire", "sources", "add", trickling_server.url, "--yes"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert time.monotonic() - started < 25
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "within 20 s" in result.stderr, result.stderr


def test_a_host_name_that_resolves_to_loopback_is_refused(static_site):
    """`localhost` is a name, not an address: it is resolved once, and 127.0.0.1 is refused before connecting."""
    site = static_site({"/": (200, {"Content-Type": "text/html"}, b"<html><title>local</title></html>")})
    port = site.url.rsplit(":", 1)[1]
    with pytest.raises(BlockedAddress, match="localhost resolves to 127.0.0.1, a loopback/private/reserved address"):
        discover(f"http://localhost:{port}/", user_agent="SolidarityWire-test", allow_private=False)
    assert not site.requests


def test_the_connection_goes_to_the_checked_address_with_the_host_name_kept(static_site):
    """The name is resolved once, the socket opened to that address, and the Host header still names the site."""
    from crawlers.feeds.discover import fetch

    site = static_site({"/": (200, {"Content-Type": "text/html"}, b"<html><title>named</title></html>")})
    port = site.url.rsplit(":", 1)[1]
    status, _, body, final = fetch(
        f"http://localhost:{port}/", user_agent="SolidarityWire-test", allow_private=True, allowed_hosts=("localhost",)
    )
    assert (status, final) == (200, f"http://localhost:{port}/") and b"named" in body
    assert site.requests[0][1]["Host"] == f"localhost:{port}"


@pytest.mark.parametrize(
    "location, refusal",
    [
        ("http://10.0.0.5/feed/", "10.0.0.5 is not in allowed_hosts"),
        ("http://localhost:{port}/feed/", "localhost is not in allowed_hosts"),
        ("file:///etc/passwd", "only http and https are fetched"),
    ],
)
def test_every_redirect_hop_is_checked_before_it_is_followed(static_site, location, refusal):
    target = static_site({"/feed/": (200, {"Content-Type": "application/rss+xml"}, RSS)})
    port = target.url.rsplit(":", 1)[1]
    site = static_site({"/": (302, {"Location": location.format(port=port)}, b"")})
    with pytest.raises(BlockedAddress, match=refusal):
        discover(site.url + "/", **OPTIONS)
    assert not target.requests


def test_a_redirect_to_a_private_address_is_refused_by_the_private_network_rule():
    """Loopback test servers cannot be public, so this hop is checked as the fetch checks each one."""
    from crawlers.netguard import checked_addresses

    for url in (
        "http://10.0.0.5/feed/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://localhost/",
    ):
        with pytest.raises(BlockedAddress, match="loopback/private/reserved address; refused"):
            checked_addresses(url, allow_private=False)
    allowed = checked_addresses("http://127.0.0.1:8080/", allow_private=True, allowed_hosts=("127.0.0.1",))
    assert allowed == ["127.0.0.1"]


def test_an_answer_larger_than_the_cap_is_refused(static_site):
    from crawlers.feeds.discover import fetch

    site = static_site({"/": (200, {"Content-Type": "text/html"}, b"<html>" + b"x" * 50_000 + b"</html>")})
    with pytest.raises(BlockedAddress, match="more than 10000 bytes"):
        fetch(site.url + "/", limit=10_000, **OPTIONS)
