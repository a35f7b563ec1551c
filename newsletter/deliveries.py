"""What an SMTP answer means for a delivery, when to try again, and what may be kept of it. Pure.

4xx is temporary: the row is deferred and tried again after a backoff that doubles, until the
configured number of attempts is spent. 5xx is permanent: the row fails at once. The answer
is kept without any address in it (servers like to echo the recipient: "550 <x@y>: unknown").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_ADDRESS = re.compile(r"<?[^\s<>@,;:\"']+@[^\s<>@,;:\"']+>?")


@dataclass(frozen=True)
class Outcome:
    status: str  # 'sent', 'deferred' or 'failed'
    code: int | None
    error: str | None
    next_attempt_at: datetime | None = None


def redact(text: str, *secrets: str) -> str:
    """Remove addresses and the given secrets (a token) from a server's answer or an error."""
    text = _ADDRESS.sub("<address>", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text


def classify(
    code: int | None, answer: str | bytes, attempts: int, retry_limit: int, backoff: int, now: datetime, *secrets: str
) -> Outcome:
    """The row's next state after the server answered `code` on attempt number `attempts` (1-based)."""
    if isinstance(answer, bytes):
        answer = answer.decode("utf-8", "replace")
    text = redact(f"{code} {answer}".strip() if code else answer, *secrets)[:300]
    if code is not None and 200 <= code < 300:
        return Outcome("sent", code, None)
    if code is not None and 400 <= code < 500:
        if attempts >= retry_limit:
            return Outcome("failed", code, f"{text} (gave up after {attempts} attempts)")
        return Outcome("deferred", code, text, now + timedelta(seconds=backoff * 2 ** (attempts - 1)))
    return Outcome("failed", code, text)
