"""The site check behind partner registration: feeds found, latest items, problems in plain words, bounds.

Every case runs over real HTTP on loopback (`static_site`), with the private-network allowance
the tests use (only 127.0.0.1 is ever fetched); one case reads real feeds from ../shared/corpus.
"""

from __future__ import annotations

import socketserver
import threading
from datetime import datetime

import pytest

from crawlers.feeds.discover import Deadline
from crawlers.site_check import Budget, check_site

OPTIONS = dict(user_agent="SolidarityWire/0.1 (+test)", allow_private=True, allowed_hosts=("127.0.0.1",))
RSPARSER = "rsparser/Tests/RSParserTests/Resources"

FULL = "<p>" + "Die Gefangenen im Hungerstreik fordern ein Ende der Isolationshaft und Besuch ihrer Familien. " * 8
RSS = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Komitee</title>
<item><title>Hungerstreik, Tag zwölf: die Gefangenen fordern Besuch</title><link>http://127.0.0.1/a</link>
<pubDate>Thu, 19 Nov 2026 10:00:00 GMT</pubDate><description><![CDATA[{FULL}]]></description></item>
<item><title>Kundgebung vor dem Konsulat am Samstag</title><link>http://127.0.0.1/b</link>
<pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate><description><![CDATA[{FULL}]]></description></item>
</channel></rss>""".encode()
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Comite</title>
<entry><title>Huelga de hambre en la prision de mujeres</title><link href="http://127.0.0.1/x"/><id>x</id>
<updated>2026-11-20T10:00:00Z</updated><summary>Las presas llevan doce dias sin comer...</summary></entry>
</feed>"""
UNDATED = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>No dates</title>
<item><title>Solidarity with the prisoners of the hunger strike</title><link>http://127.0.0.1/n</link>
<description>Short.</description></item></channel></rss>"""
HOME = '<html><head><title>Komitee</title><link rel="alternate" type="application/rss+xml" href="/feed/"></head></html>'


def rss(body=RSS):
    return (200, {"Content-Type": "application/rss+xml"}, body)


def test_a_page_announcing_its_feed(static_site):
    site = static_site({"/feed/": rss()})
    (site.root / "index.html").write_text(HOME)
    report = check_site(site.url + "/", **OPTIONS)
    assert report.kind == "feed" and report.feed_url == site.url + "/feed/"
    assert [(f.kind, f.format) for f in report.feeds] == [("RSS", "rss20")]
    assert [item.title for item in report.items] == [
        "Kundgebung vor dem Konsulat am Samstag",
        "Hungerstreik, Tag zwölf: die Gefangenen fordern Besuch",
    ]
    assert report.items[0].published == "2026-11-20T10:00:00+00:00"
    assert {item.language for item in report.items} == {"de"}
    assert report.problems == []
    assert report.title == "Komitee"


def test_atom_with_excerpts_only(static_site):
    site = static_site({"/atom.xml": (200, {"Content-Type": "application/atom+xml"}, ATOM)})
    report = check_site(site.url + "/atom.xml", **OPTIONS)
    assert [f.kind for f in report.feeds] == ["Atom"]
    assert report.codes() == ["excerpts_only"]
    assert "only excerpts" in report.problems[0].message
    assert report.items[0].language == "es"


def test_json_feed_found_by_the_usual_path(static_site):
    feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "Kampagne", "items": [{"id": "1", '
        b'"url": "http://127.0.0.1/1", "title": "Freiheit f\xc3\xbcr alle politischen Gefangenen", '
        b'"date_published": "2026-11-20T10:00:00Z", "content_text": "kurz"}]}'
    )
    site = static_site({"/feed.json": (200, {"Content-Type": "application/feed+json"}, feed)})
    (site.root / "index.html").write_text("<html><head><title>Kampagne</title></head></html>")
    report = check_site(site.url + "/", **OPTIONS)
    assert [(f.kind, f.url) for f in report.feeds] == [("JSON Feed", site.url + "/feed.json")]


def test_no_dates(static_site):
    site = static_site({"/feed/": rss(UNDATED)})
    report = check_site(site.url + "/feed/", **OPTIONS)
    assert "no_dates" in report.codes()
    assert report.items[0].published is None
    assert "1 of 1 entries have no date" in report.problems[0].message


def test_undeclared_encoding(static_site):
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Dayanisma</title><item>'
        b"<title>A\xe7l\xfdk grevi 40. g\xfcn\xfcnde</title><link>http://127.0.0.1/t</link>"
        b"<pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"
    )
    site = static_site({"/feed/": (200, {"Content-Type": "application/xml"}, body)})
    report = check_site(site.url + "/feed/", **OPTIONS)
    assert "encoding" in report.codes(), report.problems
    assert "does not say which encoding" in next(p.message for p in report.problems if p.code == "encoding")


def test_wrong_encoding_declared(static_site):
    body = RSS.replace(b'encoding="utf-8"', b'encoding="iso-8859-1"')
    site = static_site({"/feed/": (200, {"Content-Type": "application/xml"}, body)})
    report = check_site(site.url + "/feed/", **OPTIONS)
    assert "encoding" in report.codes()
    assert "written in UTF-8" in next(p.message for p in report.problems if p.code == "encoding")


def test_robots_txt_forbids_us(static_site):
    site = static_site({"/feed/": rss(), "/robots.txt": (200, {}, b"User-agent: *\nDisallow: /\n")})
    report = check_site(site.url + "/feed/", **OPTIONS)
    assert report.codes() == ["robots"] and report.kind is None
    assert [path for path, _ in site.requests] == ["/robots.txt"]  # the feed itself was never read


def test_robots_txt_forbids_the_feed_found_on_the_page(static_site):
    site = static_site({"/feed/": rss(), "/robots.txt": (200, {}, b"User-agent: *\nDisallow: /feed/\n")})
    (site.root / "index.html").write_text(HOME)
    report = check_site(site.url + "/", **OPTIONS)
    assert report.feed_url == site.url + "/feed/" and "robots" in report.codes()
    assert [p.code for p in report.blocking] == ["robots"]


def test_not_a_feed(static_site):
    site = static_site()
    (site.root / "index.html").write_text("<html><head><title>Hand-made</title></head><body>News</body></html>")
    report = check_site(site.url + "/", **OPTIONS)
    assert report.codes() == ["not_a_feed"] and report.kind == "site"
    assert "found no feed" in report.problems[0].message
    assert report.requests <= Budget().requests


def test_private_addresses_refused_without_the_allowance(static_site):
    site = static_site({"/feed/": rss()})
    report = check_site(site.url + "/feed/", user_agent="t", allow_private=False)
    assert report.codes() == ["blocked"] and "loopback/private" in report.problems[0].message
    assert site.requests == []


def test_redirect_to_a_private_address_refused(static_site):
    site = static_site({"/feed/": (302, {"Location": "http://10.0.0.5/feed/"}, b"")})
    report = check_site(site.url + "/feed/", **OPTIONS)
    assert report.codes() == ["blocked"] and "10.0.0.5" in report.problems[0].message


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/feed", "javascript:alert(1)", "file:///etc/passwd"])
def test_only_http_and_https(url):
    report = check_site(url, **OPTIONS)
    assert report.codes() == ["blocked"] and report.requests == 0


class EndlessServer:
    """Answers every request 200 with a body that never ends (no Content-Length), counting requests and bytes."""

    def __init__(self):
        self.requests = 0
        self.bytes_sent = 0
        self.stop = threading.Event()
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.recv(65536)
                server.requests += 1
                self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n<rss><channel>")
                chunk = b"<item><title>x</title></item>" * 1000
                try:
                    while not server.stop.is_set():
                        self.request.sendall(chunk)
                        server.bytes_sent += len(chunk)
                except OSError:
                    return

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def test_an_endless_body_costs_a_bounded_number_of_bytes_and_requests():
    server = EndlessServer()
    try:
        budget = Budget(requests=4, bytes=512 * 1024, deadline=Deadline(10))
        report = check_site(server.url + "/", budget=budget, **OPTIONS)
    finally:
        server.close()
    assert "too_big" in report.codes()
    assert report.bytes_read <= 512 * 1024 + 1
    assert server.requests <= 4 and report.requests <= 4


def test_redirect_loops_stop_at_the_request_budget(static_site):
    site = static_site({"/a": (302, {"Location": "/b"}, b""), "/b": (302, {"Location": "/a"}, b"")})
    report = check_site(site.url + "/a", budget=Budget(requests=5), **OPTIONS)
    assert report.kind is None and report.codes()
    assert len(site.requests) <= 5


def test_a_stalling_site_times_out(static_site):
    import time

    def slow(_handler):
        time.sleep(1.5)
        return rss()

    site = static_site({"/feed/": (200, {}, slow)})
    report = check_site(site.url + "/feed/", budget=Budget(deadline=Deadline(0.7)), **OPTIONS)
    assert report.codes() == ["timeout"]
    assert "did not answer in time" in report.problems[0].message


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("scriptingNews.rss", "RSS"),
        ("DaringFireball.rss", "Atom"),
        ("russcox.atom", "Atom"),
        ("DaringFireball.json", "JSON Feed"),
        ("bio.rdf", "RSS"),
    ],
)
def test_real_feeds_from_the_corpus(corpus, static_site, name, kind):
    site = static_site({"/feed": (200, {}, (corpus / RSPARSER / name).read_bytes())})
    report = check_site(site.url + "/feed", **OPTIONS)
    assert [f.kind for f in report.feeds] == [kind]
    assert 1 <= len(report.items) <= 5
    dated = [datetime.fromisoformat(item.published) for item in report.items if item.published]
    assert dated == sorted(dated, reverse=True)
    assert not report.blocking
