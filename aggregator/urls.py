"""Canonical URLs: one spelling per article, so reposts of the same link are one item.

Pure functions, no I/O. The rules follow what feed readers and news crawlers settled on
(Miniflux's `urlcleaner`, news-please's URL handling): drop tracking parameters, lower-case
scheme and host, drop default ports, fragments and trailing slashes, undo AMP variants.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "mtm_", "hsa_", "_hs")
TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid", "ttclid",
    "ref_src", "_ga", "_gl", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wt_mc", "share",
    "phpsessid", "sid", "sessionid", "session_id", "jsessionid", "cfid", "cftoken", "amp",
}
_AMP_PATH = re.compile(r"(/amp/?$)|(\.amp(?=\.html?$|$))|(^/amp(?=/))")
_SESSION_IN_PATH = re.compile(r";jsessionid=[^/?#]*", re.IGNORECASE)


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str, base: str | None = None) -> str:
    """Return the canonical spelling of `url` (resolved against `base` when relative)."""
    url = (url or "").strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("amp."):
        host = host[4:]
    port = parts.port
    netloc = host
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    path = _SESSION_IN_PATH.sub("", parts.path) or "/"
    path = _AMP_PATH.sub("", path) or "/"
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    query.sort()
    # fragments go, except the content address given to an item that has no link (`content_address`)
    fragment = parts.fragment if parts.fragment.startswith(CONTENT_FRAGMENT) else ""
    return urlunsplit((scheme, netloc, path, urlencode(query), fragment))


CONTENT_FRAGMENT = "item-"


def content_address(feed_url: str, digest: str) -> str:
    """Where an item with no link of its own lives: its feed, plus a hash of its content."""
    return f"{feed_url.split('#', 1)[0]}#{CONTENT_FRAGMENT}{digest[:16]}"


def is_http_url(url: str) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def same_site(url: str, other: str) -> bool:
    return (urlsplit(url).hostname or "").lower() == (urlsplit(other).hostname or "").lower()
