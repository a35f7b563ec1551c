"""Canonical URLs: one spelling per article."""

import pytest

from aggregator.urls import canonical_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("HTTP://Partner.Example:80/news/item/?utm_source=rss&utm_medium=feed", "http://partner.example/news/item"),
        ("https://partner.example:443/a?id=3&fbclid=XYZ&gclid=1&mc_cid=2", "https://partner.example/a?id=3"),
        ("https://partner.example/a?b=2&a=1#comments", "https://partner.example/a?a=1&b=2"),
        ("https://amp.partner.example/2026/11/strike/amp/", "https://partner.example/2026/11/strike"),
        ("https://partner.example/2026/11/strike.amp.html", "https://partner.example/2026/11/strike.html"),
        ("https://partner.example/a;jsessionid=ABC123?PHPSESSID=x", "https://partner.example/a"),
        ("https://partner.example:8443//double//slash/", "https://partner.example:8443/double/slash"),
        ("https://partner.example", "https://partner.example/"),
    ],
)
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


@pytest.mark.parametrize(
    "url, expected",
    [
        # PHP-Nuke article addresses: `sid` is the article id, two articles stay two URLs
        (
            "http://partner.example/modules.php?name=News&file=article&sid=12",
            "http://partner.example/modules.php?file=article&name=News&sid=12",
        ),
        (
            "http://partner.example/modules.php?name=News&file=article&sid=13&utm_source=feed",
            "http://partner.example/modules.php?file=article&name=News&sid=13",
        ),
        # phpBB topic and Drupal node shapes keep their ids
        ("https://forum.example/viewtopic.php?t=4411&PHPSESSID=8f3a", "https://forum.example/viewtopic.php?t=4411"),
        ("https://partner.example/node/77?amp=1", "https://partner.example/node/77"),
        ("https://partner.example/?p=4321", "https://partner.example/?p=4321"),
        # percent-encoding spelled two ways is one URL (w3lib)
        ("https://partner.example/haber/a%c3%a7l%c4%b1k", "https://partner.example/haber/a%C3%A7l%C4%B1k"),
        ("https://partner.example/haber/açlık", "https://partner.example/haber/a%C3%A7l%C4%B1k"),
        ("https://[2001:db8::1]:8443/a/", "https://[2001:db8::1]:8443/a"),
    ],
)
def test_real_url_shapes(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "declared, page, accepted",
    [
        ("https://www.partner.example/a", "https://partner.example/a?utm_source=x", "https://www.partner.example/a"),
        ("/2026/11/strike/", "https://partner.example/2026/11/strike/amp/", "https://partner.example/2026/11/strike/"),
        ("https://other-partner.example/their-article", "https://partner.example/a", None),
        ("javascript:alert(1)", "https://partner.example/a", None),
        ("data:text/html,x", "https://partner.example/a", None),
        ("https://partner.example/", "https://partner.example/2026/11/strike", None),
        (None, "https://partner.example/a", None),
    ],
)
def test_a_page_may_only_declare_its_own_canonical(declared, page, accepted):
    from aggregator.urls import accept_canonical

    assert accept_canonical(declared, page) == accepted


@pytest.mark.parametrize(
    "url, private",
    [
        ("http://127.0.0.1:8000/admin", True),
        ("http://localhost/x", True),
        ("http://10.1.2.3/", True),
        ("http://169.254.169.254/latest/meta-data", True),
        ("http://[::1]/", True),
        ("https://partner.example/a", False),
        ("http://93.184.216.34/", False),
    ],
)
def test_private_addresses_are_recognised(url, private):
    from aggregator.urls import is_private_address

    assert is_private_address(url) is private
