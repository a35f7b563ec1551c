"""Autodiscovery: feeds announced on real homepages (corpus), and the whole search over loopback HTTP."""

import json

import pytest

from crawlers.feeds.discover import discover, feed_links
from crawlers.netguard import BlockedAddress

RESOURCES = "rsparser/Tests/RSParserTests/Resources"
OPTIONS = dict(user_agent="SolidarityWire-test", allow_private=True, allowed_hosts=("127.0.0.1",))

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Comité</title>
<item><title>Grève de la faim, jour 12</title><link>http://127.0.0.1/a</link><pubDate>Thu, 19 Nov 2026 10:00:00 GMT</pubDate></item>
<item><title>Rassemblement devant le consulat</title><link>http://127.0.0.1/b</link><pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>""".encode("utf-8")


@pytest.mark.parametrize("page", ["DaringFireball.html", "inessential.html", "sixcolors.html", "furbo.html"])
def test_feed_links_on_real_homepages(corpus, page):
    manifest = json.loads((corpus / "rsparser" / "manifest.json").read_text())[page]
    found = feed_links((corpus / RESOURCES / page).read_bytes(), manifest["source_url"])
    expected = manifest["expected"]["feed_links"]
    hrefs = [link["href"] for link in expected if link.get("href")]
    assert found[: len(expected)] == hrefs or (not hrefs and len(found) >= len(expected)), found


def test_discovers_the_announced_feed(static_site):
    site = static_site({"/feed/": (200, {"Content-Type": "application/rss+xml"}, RSS)})
    (site.root / "index.html").write_text('<html><head><title>Comité</title>'
                                          '<link rel="alternate" type="application/rss+xml" href="/feed/"></head></html>')
    found = discover(site.url + "/", **OPTIONS)
    assert (found.kind, found.url, found.format) == ("feed", site.url + "/feed/", "rss20")
    assert [entry["title"] for entry in found.latest] == ["Rassemblement devant le consulat", "Grève de la faim, jour 12"]


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
