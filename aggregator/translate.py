"""Translation help: ask a LibreTranslate-compatible service for a draft an editor then corrects.

The service is configured (`translate_url`, `translate_api_key`, `translate_timeout`); without
it the desk shows no "suggest" button. LibreTranslate's API: POST /translate with `q`, `source`,
`target`, `format` ("text") and `api_key`, answering {"translatedText": "..."} or
{"error": "..."}. What comes back is a stranger's text: it is read with a size cap, must be
a JSON string, is cleaned of characters nobody means to show, cut to `limit`, and is only
ever shown in a form field for the editor (never saved by itself, never trusted as HTML).
A service that is down, slow or answers nonsense is one clear error; nothing of the
editor's is lost.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from aggregator.exceptions import WireError
from aggregator.text import clean_at_door

logger = logging.getLogger(__name__)

#: Bytes of answer read at most: a headline's translation is a few hundred.
MAX_ANSWER_BYTES = 64 * 1024


class TranslationUnavailable(WireError):
    """The service gave no usable suggestion; the message says why, in one line, without the API key."""


def endpoint(url: str) -> str:
    """The /translate address of a service given by its base address (or already by /translate)."""
    url = url.rstrip("/")
    return url if url.endswith("/translate") else f"{url}/translate"


def suggest_translation(
    text: str,
    source: str | None,
    target: str,
    url: str,
    api_key: str = "",
    timeout: float = 10.0,
    limit: int = 1000,
) -> str:
    """The service's translation of `text` from `source` ("auto" when unknown) into `target`, as plain text."""
    if not text.strip():
        raise TranslationUnavailable("there is no text to translate")
    body = {"q": text, "source": source or "auto", "target": target, "format": "text"}
    if api_key:
        body["api_key"] = api_key
    request = urllib.request.Request(
        endpoint(url),
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    host = urlsplit(url).netloc
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - an http(s) URL from config
            raw = response.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as error:
        reason = _error_of(error.read(MAX_ANSWER_BYTES)) or str(error.reason)
        logger.warning("translation service %s answered %s: %s", host, error.code, reason)
        raise TranslationUnavailable(f"the translation service answered {error.code}: {reason}"[:300]) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        cause = getattr(error, "reason", None) or error
        logger.warning("translation service %s unreachable: %s", host, cause)
        raise TranslationUnavailable(f"the translation service at {host} could not be reached ({cause})") from None
    if len(raw) > MAX_ANSWER_BYTES:
        raise TranslationUnavailable("the translation service sent an answer far too long for a headline")
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TranslationUnavailable("the translation service sent something that is not JSON") from None
    translated = answer.get("translatedText") if isinstance(answer, dict) else None
    if not isinstance(translated, str):
        raise TranslationUnavailable("the translation service's answer has no translatedText")
    cleaned = " ".join(clean_at_door(translated).split())[:limit]
    if not cleaned:
        raise TranslationUnavailable("the translation service sent an empty translation")
    return cleaned


def _error_of(raw: bytes) -> str | None:
    """The "error" of a LibreTranslate error answer, as one short line of plain text."""
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    error = answer.get("error") if isinstance(answer, dict) else None
    return " ".join(clean_at_door(error).split())[:200] if isinstance(error, str) else None
