"""Tags from a taxonomy kept as a data file (aggregator/data/taxonomy.toml). Pure.

Editors change the file, not the code. A keyword matches case-insensitively as a whole
word, or as the start of a word when it ends with `*` (Turkish and German inflect).
Each tag keeps its evidence: the words that matched, so an editor sees why.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from aggregator.exceptions import ConfigError

TAXONOMY = Path(__file__).parent / "data" / "taxonomy.toml"


@dataclass
class Tag:
    id: str
    kind: str  # 'theme' or 'country'
    labels: dict[str, str]
    patterns: dict[str, re.Pattern] = field(default_factory=dict)  # language -> compiled keywords


def _pattern(keywords: list[str]) -> re.Pattern | None:
    parts = []
    for keyword in keywords:
        keyword = keyword.strip()
        if not keyword:
            continue
        prefix = keyword.endswith("*")
        words = [re.escape(word) for word in keyword.rstrip("*").split()]
        body = r"\s+".join(words)
        parts.append(rf"(?<!\w){body}\w*" if prefix else rf"(?<!\w){body}(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


class TaxonomyError(ConfigError):
    """The taxonomy file cannot be read; items stay untagged until it is fixed."""


def load_taxonomy(path: Path = TAXONOMY) -> list[Tag]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise TaxonomyError(f"taxonomy: {path} cannot be read ({error}); items are kept untagged") from None
    tags = []
    for entry in data.get("tag", []):
        tag = Tag(id=entry["id"], kind=entry["kind"], labels=dict(entry.get("label", {})))
        for language, keywords in (entry.get("keywords") or {}).items():
            pattern = _pattern(keywords)
            if pattern:
                tag.patterns[language] = pattern
        tags.append(tag)
    return tags


@lru_cache(maxsize=4)
def default_taxonomy() -> tuple[Tag, ...]:
    return tuple(load_taxonomy()) if TAXONOMY.exists() else ()


def tag_text(title: str, text: str, taxonomy=None, language: str | None = None) -> dict[str, list[str]]:
    """{tag id: matched words}.

    Country and region names are tried in every language (texts quote other languages'
    names: "Diyarbakır" in a German text). Theme keywords are tried in the item's own
    language when it is known and the taxonomy has keywords for it: a common word in one
    language is often a theme word in another (Turkish "hasta", ill; Spanish "hasta", until).
    """
    taxonomy = default_taxonomy() if taxonomy is None else taxonomy
    content = f"{title}\n{text}"
    found: dict[str, list[str]] = {}
    for tag in taxonomy:
        words: list[str] = []
        patterns = tag.patterns.values()
        if tag.kind == "theme" and language in tag.patterns:
            patterns = [tag.patterns[language]]
        for pattern in patterns:
            for match in pattern.finditer(content):
                word = match.group(0)
                if word.lower() not in (w.lower() for w in words):
                    words.append(word)
        if words:
            found[tag.id] = words[:8]
    return found
