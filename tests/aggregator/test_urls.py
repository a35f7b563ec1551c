"""Canonical URLs: one spelling per article."""

import pytest

from aggregator.urls import canonical_url


@pytest.mark.parametrize("url, expected", [
    ("HTTP://Partner.Example:80/news/item/?utm_source=rss&utm_medium=feed", "http://partner.example/news/item"),
    ("https://partner.example:443/a?id=3&fbclid=XYZ&gclid=1&mc_cid=2", "https://partner.example/a?id=3"),
    ("https://partner.example/a?b=2&a=1#comments", "https://partner.example/a?a=1&b=2"),
    ("https://amp.partner.example/2026/11/strike/amp/", "https://partner.example/2026/11/strike"),
    ("https://partner.example/2026/11/strike.amp.html", "https://partner.example/2026/11/strike.html"),
    ("https://partner.example/a;jsessionid=ABC123?PHPSESSID=x", "https://partner.example/a"),
    ("https://partner.example:8443//double//slash/", "https://partner.example:8443/double/slash"),
    ("https://partner.example", "https://partner.example/"),
])
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_relative_url_is_resolved():
    assert canonical_url("../b/", base="https://p.example/news/a/") == "https://p.example/news/b"


def test_an_item_without_a_link_keeps_its_content_address():
    from aggregator.urls import content_address

    address = content_address("http://127.0.0.1:8/feed/", "0123456789abcdef0123")
    assert address == "http://127.0.0.1:8/feed/#item-0123456789abcdef"
    assert canonical_url(address) == "http://127.0.0.1:8/feed#item-0123456789abcdef"
    assert canonical_url("http://127.0.0.1:8/a#comments") == "http://127.0.0.1:8/a"
