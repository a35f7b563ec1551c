"""Canonical URLs: one spelling per article, and which declared canonical links we believe.

Pure functions, no I/O. The spelling is w3lib's `canonicalize_url` (Scrapy's own: sorted
query, percent-encoding normalised, host lower-cased, fragment dropped), with our rules
on top, each from a URL shape seen on real partner sites: tracking parameters dropped
(`utm_*`, `fbclid`, ... as Miniflux's `urlcleaner` does), default ports dropped, AMP
variants undone (`/amp/`, `.amp.html`, `amp.` hosts, `?amp=1`), session ids in the path
dropped, trailing slashes and doubled slashes folded.

Parameters that name the article are never dropped: PHP-Nuke and phpBB sites address
articles as `modules.php?name=News&file=article&sid=12`, so `sid` is an article id, not
a session (the session parameters we drop are spelled out: `PHPSESSID`, `jsessionid`).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as w3lib_canonicalize_url
from w3lib.url import url_query_cleaner

TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "mtm_", "hsa_", "_hs")
TRACKING_PARAMS = {
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "igshid",
    "twclid",
    "ttclid",
    "ref_src",
    "_ga",
    "_gl",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wt_mc",
    "phpsessid",
    "jsessionid",
    "cfid",
    "cftoken",
    "amp",
}
_AMP_PATH = re.compile(r"(/amp/?$)|(\.amp(?=\.html?$|$))|(^/amp(?=/))")
_SESSION_IN_PATH = re.compile(r";jsessionid=[^/?#]*", re.IGNORECASE)
CONTENT_FRAGMENT = "item-"


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _tracking_names(query: str) -> list[str]:
    names = {pair.split("=", 1)[0] for pair in query.split("&") if pair}
    return [name for name in names if is_tracking_param(name)]


@lru_cache(maxsize=4096)
def canonical_url(url: str, base: str | None = None) -> str:
    """Return the canonical spelling of `url` (resolved against `base` when relative).

    Cached: a crawl spells each entry's link three times (looking the entry up, its key, its
    canonical link), and w3lib's canonicalisation is one of the larger costs of an item.
    """
    url = (url or "").strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    # the content address of an item with no link is the only fragment we keep (`content_address`)
    keep_fragment = parts.fragment.startswith(CONTENT_FRAGMENT)
    tracking = _tracking_names(parts.query)
    if tracking:
        url = url_query_cleaner(url, tracking, remove=True, keep_fragments=keep_fragment)
    url = w3lib_canonicalize_url(url, keep_fragments=keep_fragment)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("amp."):
        host = host[4:]
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    path = _SESSION_IN_PATH.sub("", parts.path) or "/"
    path = _AMP_PATH.sub("", path) or "/"
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit((scheme, netloc, path, parts.query, parts.fragment if keep_fragment else ""))


def content_address(feed_url: str, digest: str) -> str:
    """Where an item with no link of its own lives: its feed, plus a hash of its content."""
    return f"{feed_url.split('#', 1)[0]}#{CONTENT_FRAGMENT}{digest[:16]}"


def is_http_url(url: str | None) -> bool:
    try:
        parts = urlsplit(url or "")
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _site(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def same_site(url: str, other: str) -> bool:
    """Same host, `www.` aside: what a page may claim as its own canonical address."""
    try:
        return _site(urlsplit(url).hostname or "") == _site(urlsplit(other).hostname or "")
    except ValueError:
        return False


def accept_canonical(declared: str | None, page_url: str) -> str | None:
    """The canonical URL a page declares, when we believe it; else None.

    A page may only speak for its own site: a `rel=canonical` to another host (a partner's
    article, say) would let one partner's page pass for another's, and a `javascript:` or
    `data:` canonical is no address at all. A canonical pointing at the site's home page
    is the common template mistake that would fold every article into one: refused too.
    """
    if not declared:
        return None
    absolute = urljoin(page_url, declared.strip())
    if not is_http_url(absolute) or not same_site(absolute, page_url):
        return None
    if urlsplit(absolute).path.strip("/") == "" and urlsplit(page_url).path.strip("/") != "":
        return None
    return absolute


def is_private_address(url: str) -> bool:
    """True when the URL's host is a literal loopback, private, link-local or reserved address, or localhost.

    Names are not resolved here (this is pure); the crawler's resolver refuses them at
    connection time. This catches what a feed can smuggle into an item link that we would
    mail to subscribers.
    """
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return True
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def entry_key(guid: str | None, url: str) -> str:
    """What identifies an entry within its source: its GUID when the feed's GUIDs are reliable, else its link."""
    return f"guid:{guid}" if guid else f"url:{canonical_url(url)}"
