"""Turn what people type into a search box into a safe SQLite FTS5 query.

FTS5 has its own query language (`AND`, `OR`, `NOT`, `NEAR(...)`, `column:`, `-`, quotes),
and text that happens to look like it fails with a syntax error: `hunger-strike` is read
as "column hunger minus strike". Pure: text in, query text out, so that every case can
be checked in a table (tests/aggregator/test_search.py).
"""

from __future__ import annotations

import re

# A quoted phrase (its closing quote may be missing) or a run of anything but spaces.
_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_query(text: str) -> str | None:
    """Quote every word and "quoted phrase" so that FTS5 matches them all, literally.

    A trailing `*` on a word keeps its meaning, a prefix search (`hung*`). Operators typed
    by people (`AND`, `NEAR`) become words to look for. Tokens without a letter or digit are
    dropped: FTS5 would read them as empty phrases that match nothing. Returns None when
    nothing searchable is left.
    """
    terms = []
    for match in _TOKEN.finditer(text or ""):
        quoted, word = match.groups()
        if quoted is not None:
            if re.search(r"[^\W_]", quoted):
                terms.append(_phrase(quoted))
            continue
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if re.search(r"[^\W_]", word):
            terms.append(_phrase(word) + ("*" if prefix else ""))
    return " ".join(terms) or None
