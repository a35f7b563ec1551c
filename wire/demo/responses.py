"""Build HTTP answers the way a polite web server does: validators, 304s and gzip.

Kept apart from the socket code so the rules (If-None-Match wins over
If-Modified-Since, gzip only when asked) can be read and tested on plain data.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime

from wire.demo import dates

COMPRESSIBLE = (
    "text/",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "application/octet-stream",
)


@dataclass
class Response:
    """What a site answers to one request, before transfer encoding."""

    status: int
    content_type: str
    body: bytes = b""
    last_modified: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        """Return a strong validator derived from the body, as nginx and Apache do."""
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


def finish(response: Response, request_headers: dict[str, str], head: bool) -> tuple[int, dict[str, str], bytes]:
    """Turn a Response into status, headers and body bytes for this request.

    Validators are sent with every 200; a matching If-None-Match (or, without it, an
    If-Modified-Since not older than Last-Modified) turns the answer into a 304.
    """
    headers = {"Content-Type": response.content_type, **response.headers}
    if response.status != 200:
        body = response.body
        headers["Content-Length"] = str(len(body))
        return response.status, headers, b"" if head else body

    headers["ETag"] = response.etag
    if response.last_modified is not None:
        headers["Last-Modified"] = dates.http_date(response.last_modified)
    if not_modified(request_headers, response.etag, response.last_modified):
        for name in ("Content-Type", "Content-Length"):
            headers.pop(name, None)
        return 304, headers, b""

    body = response.body
    headers["Vary"] = "Accept-Encoding"
    if wants_gzip(request_headers) and response.content_type.startswith(COMPRESSIBLE):
        body = gzip.compress(body, mtime=0)  # mtime=0: same bytes for same content
        headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(len(body))
    return 200, headers, b"" if head else body


def not_modified(request_headers: dict[str, str], etag: str, last_modified: datetime | None) -> bool:
    """Decide whether the client's cached copy is current (RFC 9110, section 13.2.2)."""
    if_none_match = request_headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request_headers.get("If-Modified-Since")
    if if_modified_since and last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return last_modified.replace(microsecond=0) <= since
    return False


def wants_gzip(request_headers: dict[str, str]) -> bool:
    """Say whether Accept-Encoding allows gzip (and does not refuse it with q=0)."""
    for part in request_headers.get("Accept-Encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False
