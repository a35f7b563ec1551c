"""Writing direction: the one list of right-to-left languages, and the direction of a run of text.

Pure. Everything in the project that asks "is this language written right to left?" asks
here: the e-mail's `dir`, the web pages, the demo sites, and the cross-script name matching.
The list is the languages whose usual script runs right to left in CLDR (Babel's
`Locale.text_direction` for the bare language code), written out so that it can be read
and so that a language written in Latin by default (Kurmanji `ku`, Azeri `az`) stays
left to right; `tests/aggregator/test_scripts.py` holds it against Babel.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

RTL_LANGUAGES = frozenset(
    {
        "ar",
        "apc",
        "ary",
        "arc",
        "bal",
        "bgn",
        "bqi",
        "brh",
        "ckb",
        "dv",
        "fa",
        "he",
        "ks",
        "lrc",
        "mzn",
        "nqo",
        "ps",
        "rhg",
        "sd",
        "sdh",
        "skr",
        "syr",
        "trw",
        "ug",
        "ur",
        "yi",
    }
)

#: Unicode isolates: what a paragraph's first-strong rule (UAX #9, P2) skips over.
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
RLM = "\u200f"  # right-to-left mark: a strong R character that is invisible


def base_language(code: str | None) -> str:
    """'fa' for 'fa', 'fa-IR', 'fa_IR' or 'FA'."""
    return (code or "").replace("_", "-").split("-", 1)[0].lower()


@lru_cache(maxsize=256)
def language_direction(language: str | None) -> str:
    """'rtl' or 'ltr' for text in `language` (an unknown or missing language is 'ltr')."""
    return "rtl" if base_language(language) in RTL_LANGUAGES else "ltr"


def is_rtl(language: str | None) -> bool:
    return language_direction(language) == "rtl"


@lru_cache(maxsize=4096)
def text_direction(text: str) -> str | None:
    """The direction of `text` by its first strong character ('ltr', 'rtl'), or None when it has none.

    Characters inside isolates (FSI/LRI/RLI ... PDI) are skipped, as UAX #9 does when it
    finds a paragraph's direction: what a reader's client will do with a line.
    """
    depth = 0
    for char in text:
        if char in (LRI, RLI, FSI):
            depth += 1
        elif char == PDI:
            depth = max(0, depth - 1)
        elif not depth:
            kind = unicodedata.bidirectional(char)
            if kind == "L":
                return "ltr"
            if kind in ("R", "AL"):
                return "rtl"
    return None
