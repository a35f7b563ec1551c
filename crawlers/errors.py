"""Failures in plain words with a hint, as a partner or an editor would want to read them."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import exceptions as scrapy_errors
from twisted.internet import error as net
from twisted.web._newclient import ResponseNeverReceived

from crawlers.middlewares import BlockedRequest
from crawlers.resolver import REFUSED, PrivateAddressRefused

#: Scrapy 2.13+ raises its own download errors in place of Twisted's; older versions lack them.
_SCRAPY_DNS = tuple(filter(None, [getattr(scrapy_errors, "CannotResolveHostError", None)]))
_SCRAPY_TIMEOUT = tuple(filter(None, [getattr(scrapy_errors, "DownloadTimeoutError", None)]))
_SCRAPY_REFUSED = tuple(filter(None, [getattr(scrapy_errors, "DownloadConnectionRefusedError", None)]))
_SCRAPY_BROKEN = tuple(filter(None, [getattr(scrapy_errors, "ResponseDataLossError", None)]))

HTTP_HINTS = {
    401: ("the site asks for a login (401)", "feeds must be public; ask the partner for a public feed URL"),
    403: (
        "the site refused us (403 Forbidden)",
        "the site may block crawlers; ask the partner to allow our User-Agent",
    ),
    404: (
        "the page or feed was not found (404)",
        "the partner may have moved it; run `wire sources add` with the new URL",
    ),
    410: ("the partner removed it for good (410 Gone); the source is paused", "find the new address with the partner"),
    429: ("the site asked us to slow down (429)", "nothing to do: we wait as long as it asked"),
    500: ("the site had an internal error (500)", "usually temporary; we retry with backoff"),
    502: ("the site's gateway failed (502)", "usually temporary; we retry with backoff"),
    503: ("the site is unavailable (503)", "usually temporary; we wait as long as it asked"),
    504: ("the site's gateway timed out (504)", "usually temporary; we retry with backoff"),
}


def describe_status(status: int) -> tuple[str, str]:
    if status in HTTP_HINTS:
        return HTTP_HINTS[status]
    if 400 <= status < 500:
        return f"the site refused the request ({status})", "check the URL with the partner"
    return f"the site answered with an error ({status})", "usually temporary; we retry with backoff"


def describe_failure(failure) -> tuple[str, str]:
    """One line and a hint for a Twisted failure of a request."""
    value = failure.value
    host = urlsplit(failure.request.url).hostname if getattr(failure, "request", None) is not None else None
    if host in REFUSED and "hostname" in f"{type(value).__name__} {value}".lower():
        return REFUSED[host], "only public addresses are fetched"
    if isinstance(value, (BlockedRequest, PrivateAddressRefused)):
        return str(value), "only public addresses are fetched"
    if failure.check(net.DNSLookupError, *_SCRAPY_DNS):
        return "the host name does not resolve (DNS)", "check the spelling; the domain may have expired"
    if failure.check(net.TimeoutError, net.TCPTimedOutError, *_SCRAPY_TIMEOUT):
        return "the site did not answer in time", "usually temporary; we retry with backoff"
    if failure.check(net.ConnectionRefusedError, *_SCRAPY_REFUSED):
        return "the site refused the connection", "the server may be down; we retry with backoff"
    if failure.check(ResponseNeverReceived, net.ConnectionLost, net.ConnectionDone, *_SCRAPY_BROKEN):
        return "the connection broke before a full answer came", "usually temporary; we retry with backoff"
    message = str(value) or type(value).__name__
    if "maxsize" in message.lower() or "max size" in message.lower() or "cancelled" in message.lower():
        return f"the response was too big or was cut off ({message})", "the limit is max_response_bytes"
    return f"the request failed: {type(value).__name__}: {message}", "if it persists, tell the partner"
