"""Measure titles, bodies, dates and languages on real pages, ours against trafilatura alone in one run.

Pages come from three public projects' test data in ../shared/corpus (goose3, newspaper4k,
mozilla-readability), each with expected values nobody here wrote. Each page is handled as a
partner's excerpt-only feed item is handled in production: a feed item with a link and a
cut-off excerpt and nothing else goes through the spider's `parse_article` and then
`normalise_item`, so title, text, date and language all come from the page. The peer is
trafilatura alone on the same page (`bare_extraction` with metadata), with lingua over all
its languages on trafilatura's title and text for the language, since trafilatura has none.

Metrics: title exact after Unicode (NFKC) and whitespace normalisation only; body token F1
against the expected body (goose3's `cleaned_text` is a prefix of the body, so there the
extracted text is cut to as many tokens as the prefix has before counting); date equal to the
day; language equal as ISO 639-1. A field is scored only on pages that give an expected value.

A second measurement serves single sentences as feed items with no declared language, in the
13 partner languages lingua knows (Kurmanji apart: lingua has no model for it), and compares
the stored language with lingua alone (all 75 languages, high-accuracy mode, its top answer).
Sentences come from the corpus bodies where the corpus has the language, then from the
system's gettext catalogues (/usr/share/locale), then from the project's own labelled stories
(tests/data/stories/); the per-language line says how many from each. The time is
`resolve_language` alone on the text `normalise_item` gives it (the entry is titled with the
start of its own text), CPU microseconds per sentence.

Run: `.venv/bin/python -m benchmarks.extraction_quality` (appends to benchmarks/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
STORIES = Path(__file__).resolve().parent.parent / "tests" / "data" / "stories"
SYSTEM_CATALOGS = Path("/usr/share/locale")

#: The partner languages lingua has a model for (DOMAIN.md; Kurmanji has none).
SENTENCE_LANGUAGES = ("en", "de", "fr", "es", "it", "tr", "fa", "ar", "eu", "pt", "ru", "da", "tl")
SENTENCES_PER_LANGUAGE = 200


@dataclass
class Case:
    """One real page with what its project expects from it; None where the project gives nothing."""

    name: str
    url: str
    html: str
    title: str | None = None
    body: str | None = None
    body_is_prefix: bool = False
    date: str | None = None  # YYYY-MM-DD
    language: str | None = None  # ISO 639-1


@dataclass
class Reading:
    """What one extractor made of a page."""

    title: str | None
    text: str
    date: str | None
    language: str | None


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace")


def _day(value) -> str | None:
    match = re.match(r"\d{4}-\d{2}-\d{2}", str(value or ""))
    return match.group(0) if match else None


def _code(value) -> str | None:
    from aggregator.language import normalise_code

    return normalise_code(value) if value else None


def _html_text(markup: str) -> str:
    import lxml.html

    root = lxml.html.fromstring(markup)
    for element in root.iter("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "blockquote", "pre"):
        element.tail = "\n" + (element.tail or "")
    return root.text_content()


def goose3_cases(corpus: Path = CORPUS) -> list[Case]:
    cases = []
    for expected_file in sorted((corpus / "goose3/tests/data").glob("*/test_*.json")):
        page = expected_file.with_suffix(".html")
        data = json.loads(expected_file.read_text(encoding="utf-8"))
        expected = data.get("expected") or {}
        if not page.exists() or not expected:
            continue
        cases.append(
            Case(
                name=f"goose3/{expected_file.parent.name}/{page.stem}",
                url=data.get("url") or f"http://example.com/{page.name}",
                html=_read(page),
                title=expected.get("title") or None,
                body=expected.get("cleaned_text") or None,
                body_is_prefix=True,
                date=_day(expected.get("publish_date")),
                language=_code(expected.get("meta_lang")),
            )
        )
    return cases


def newspaper4k_cases(corpus: Path = CORPUS) -> list[Case]:
    folder = corpus / "newspaper4k/tests/data"
    cases = []
    for page in sorted((folder / "html").glob("*.html")):
        meta_file, txt_file = folder / "metadata" / f"{page.stem}.json", folder / "txt" / f"{page.stem}.txt"
        meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
        body = txt_file.read_text(encoding="utf-8") if txt_file.exists() else None
        if not meta and not body:
            continue
        cases.append(
            Case(
                name=f"newspaper4k/{page.stem}",
                url=meta.get("url") or f"http://example.com/{page.name}",
                html=_read(page),
                title=meta.get("title") or None,
                body=body or None,
                date=_day(meta.get("publish_date")),
                language=_code(meta.get("language")),
            )
        )
    return cases


def readability_cases(corpus: Path = CORPUS) -> list[Case]:
    cases = []
    for folder in sorted((corpus / "mozilla-readability/test/test-pages").iterdir()):
        source, meta_file, body_file = (
            folder / "source.html",
            folder / "expected-metadata.json",
            folder / "expected.html",
        )
        if not source.exists() or not meta_file.exists():
            continue
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        body = _html_text(_read(body_file)) if body_file.exists() else None
        cases.append(
            Case(
                name=f"readability/{folder.name}",
                url=f"http://fakehost/test/{folder.name}/",
                html=_read(source),
                title=meta.get("title") or None,
                body=body or None,
                date=_day(meta.get("publishedTime")),
                language=_code(meta.get("lang")),
            )
        )
    return cases


def load_cases(corpus: Path = CORPUS) -> list[Case]:
    """Every page of the three projects that carries at least one expected value."""
    return goose3_cases(corpus) + newspaper4k_cases(corpus) + readability_cases(corpus)


# --- the two extractors -------------------------------------------------------------------------


async def last_yielded(items):
    """The last thing an asynchronous generator (an async spider callback) yields."""
    yielded = [thing async for thing in items]
    return yielded[-1] if yielded else None


def ours(case: Case) -> Reading:
    """The production path: an excerpt-only feed item completed by the spider, then normalised."""
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from crawlers.items import FeedItem
    from crawlers.normalise import normalise_item
    from crawlers.spiders.feeds import FeedsSpider

    item = FeedItem(source_id=1, url=case.url, summary="Read the article […]")
    request = Request(case.url, meta={"feed_item": item, "source_id": 1})
    response = HtmlResponse(case.url, body=case.html.encode("utf-8"), encoding="utf-8", request=request)
    spider = object.__new__(FeedsSpider)  # parse_article reads only the response
    completed = asyncio.run(last_yielded(spider.parse_article(response)))  # no pool here: read in this process
    record = normalise_item(completed, now=datetime.now(UTC))
    return Reading(
        title=record["title"],
        text=record["text"],
        date=_day(record["published_at"]) if completed.published else None,
        language=record["language"],
    )


@lru_cache(maxsize=1)
def _lingua_all():
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_all_languages().build()


def lingua_alone(text: str) -> str | None:
    """lingua's top answer over all its languages, with no threshold."""
    language = _lingua_all().detect_language_of(text or "")
    return language.iso_code_639_1.name.lower() if language else None


def trafilatura_alone(case: Case) -> Reading:
    import trafilatura

    document = trafilatura.bare_extraction(
        case.html, url=case.url, with_metadata=True, include_comments=False, include_tables=True, favor_precision=True
    )
    if document is None:
        return Reading(title=None, text="", date=None, language=None)
    text = document.text or ""
    return Reading(
        title=document.title,
        text=text,
        date=_day(document.date),
        language=lingua_alone(f"{document.title or ''}\n{text}"),
    )


# --- scoring -------------------------------------------------------------------------------------


def same_title(expected: str, got: str | None) -> bool:
    """Equal after Unicode (NFKC) and whitespace normalisation only."""

    def norm(value: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", value or "").split())

    return norm(expected) == norm(got or "")


def differs_by_site_name(expected: str, got: str | None) -> bool:
    """True when `expected` is `got` plus a site name or section kept on one end ("… | eHow", "Mozilla - Wikipedia").

    The references keep the site's name where their library kept it (readability takes
    og:title as it is); we drop it on purpose. Counted apart, never as a match.
    """
    from crawlers.titles import _BRACKETED_SUFFIX, _SEPARATOR

    want, have = (" ".join(unicodedata.normalize("NFKC", value or "").split()) for value in (expected, got))
    if not have or want == have:
        return False
    if want.startswith(have):
        rest = want[len(have) :]
    elif want.endswith(have):
        rest = want[: len(want) - len(have)]
    else:
        return False
    return bool(_SEPARATOR.search(rest) or _BRACKETED_SUFFIX.fullmatch(rest)) and len(rest.split()) <= 8


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text or "").casefold())


def body_f1(expected: str, got: str, prefix: bool = False) -> float:
    want, have = _tokens(expected), _tokens(got)
    if prefix:
        have = have[: len(want)]
    if not want or not have:
        return float(want == have)
    common = sum((Counter(want) & Counter(have)).values())
    if not common:
        return 0.0
    precision, recall = common / len(have), common / len(want)
    return 2 * precision * recall / (precision + recall)


@dataclass
class Score:
    title: list[bool]
    title_site: list[bool]  # missed only because the reference keeps the site's name
    body: list[float]
    date: list[bool]
    language: list[bool]
    misses: dict[str, list[str]]

    @staticmethod
    def rate(values) -> float:
        return sum(values) / len(values) if values else float("nan")


def score(cases: list[Case], extractor) -> tuple[Score, float]:
    """Score `extractor` on every case; also the seconds it took."""
    result = Score([], [], [], [], [], defaultdict(list))
    started = time.perf_counter()
    readings = [extractor(case) for case in cases]
    elapsed = time.perf_counter() - started
    for case, got in zip(cases, readings, strict=True):
        if case.title:
            ok = same_title(case.title, got.title)
            result.title.append(ok)
            result.title_site.append(not ok and differs_by_site_name(case.title, got.title))
            if not ok:
                result.misses["title"].append(f"{case.name}: want {case.title!r}, got {got.title!r}")
        if case.body:
            result.body.append(body_f1(case.body, got.text, case.body_is_prefix))
        if case.date:
            ok = case.date == got.date
            result.date.append(ok)
            if not ok:
                result.misses["date"].append(f"{case.name}: want {case.date}, got {got.date}")
        if case.language:
            ok = case.language == got.language
            result.language.append(ok)
            if not ok:
                result.misses["language"].append(f"{case.name}: want {case.language}, got {got.language}")
    return result, elapsed


# --- sentences with no declared language ---------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?؟。])\s+")


def _sentences(text: str) -> list[str]:
    """Whole sentences (ending in . ! ? ؟ 。) of 30 to 300 characters, no captions, links or placeholders."""
    found = []
    for paragraph in re.split(r"\n\s*\n|\n", text or ""):
        for sentence in _SENTENCE_END.split(paragraph.strip()):
            sentence = " ".join(sentence.split())
            if (
                30 <= len(sentence) <= 300
                and re.search(r"[.!?؟。]$", sentence)
                and not re.search(r"https?://|@|[{}%<>_]|\$\w", sentence)
            ):
                found.append(sentence)
    return found


def catalog_sentences(language: str, root: Path = SYSTEM_CATALOGS) -> list[str]:
    """Sentences from the system's gettext catalogs in `language`: real translators' text, not ours."""
    import gettext

    sentences: list[str] = []
    for folder in (root / language / "LC_MESSAGES", root / ("fil" if language == "tl" else language) / "LC_MESSAGES"):
        for catalog in sorted(folder.glob("*.mo")) if folder.is_dir() else []:
            try:
                with catalog.open("rb") as handle:
                    messages = gettext.GNUTranslations(handle)._catalog.values()  # noqa: SLF001 - the stdlib's reader
            except (OSError, ValueError, UnicodeDecodeError):
                continue
            for message in messages:
                if isinstance(message, str) and not message.startswith("Content-Type") and "\n" not in message.strip():
                    sentences.extend(s for s in _sentences(message) if s not in sentences)
    return sentences


def sentence_cases(cases: list[Case], per_language: int = SENTENCES_PER_LANGUAGE) -> tuple[list[tuple[str, str]], dict]:
    """(language, sentence) pairs, and per language how many came from (corpus, catalogs, stories).

    Sentences are taken first from corpus bodies of pages whose project gives the language
    (never by our own detection), then from the system's gettext catalogs (translators' text),
    and only then from the project's own labelled stories.
    """
    pools: dict[str, dict[str, list[str]]] = {
        language: {"corpus": [], "catalogs": [], "stories": []} for language in SENTENCE_LANGUAGES
    }
    for case in cases:
        if case.language in pools and case.body and not case.name.startswith("readability/rtl-"):
            pools[case.language]["corpus"].extend(_sentences(case.body))
    stories = [
        json.loads(line)
        for name in ("crosslang.jsonl", "lookalikes.jsonl", "reposts.jsonl")
        for line in (STORIES / name).read_text(encoding="utf-8").splitlines()
    ]
    chosen, sources = [], {}
    for language, pool in pools.items():
        if len(pool["corpus"]) < per_language:
            pool["catalogs"] = catalog_sentences(language)
        if len(pool["corpus"]) + len(pool["catalogs"]) < per_language:
            pool["stories"] = [
                sentence
                for story in stories
                if story.get("language") == language
                for sentence in _sentences(story.get("text", ""))
            ]
        picked: list[str] = []
        counts = []
        for origin in ("corpus", "catalogs", "stories"):
            before = len(picked)
            for sentence in pool[origin]:
                if len(picked) < per_language and sentence not in picked:
                    picked.append(sentence)
            counts.append(len(picked) - before)
        sources[language] = tuple(counts)
        chosen.extend((language, sentence) for sentence in picked)
    return chosen, sources


def ours_sentence(sentence: str) -> str | None:
    """A feed item whose whole content is the sentence, no title, no declared language, normalised."""
    from crawlers.items import FeedItem
    from crawlers.normalise import normalise_item

    record = normalise_item(
        FeedItem(source_id=1, url="https://partner.example/a", summary=sentence), now=datetime.now(UTC)
    )
    return record["language"]


def measure_sentences(pairs: list[tuple[str, str]]) -> dict[str, tuple[float, float, int, int]]:
    """Per language: (ours right, lingua right, ours left without a language, count)."""
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for language, sentence in pairs:
        got = ours_sentence(sentence)
        row = rows[language]
        row[0] += got == language
        row[1] += lingua_alone(sentence) == language
        row[2] += got is None
        row[3] += 1
    return {language: tuple(row) for language, row in rows.items()}


def _resolve_us(pairs: list[tuple[str, str]]) -> float:
    """CPU microseconds `resolve_language` takes per sentence, on the text normalise_item gives it."""
    from aggregator.language import resolve_language
    from aggregator.text import summarise

    texts = [f"{summarise(sentence, 90)}\n{sentence}" for _, sentence in pairs]
    started = time.process_time()
    for text in texts:
        resolve_language(None, text)
    return 1e6 * (time.process_time() - started) / max(len(texts), 1)


# --- the report ----------------------------------------------------------------------------------


def _line(label: str, our: Score, peer: Score, field: str, fmt: str = ".3f") -> str:
    a, b = getattr(our, field), getattr(peer, field)
    return f"- {label}: ours {Score.rate(a):{fmt}}, trafilatura alone {Score.rate(b):{fmt}} (n = {len(a)})"


def main(show_misses: bool = "-v" in sys.argv) -> None:
    from benchmarks.record import record

    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent (a user's clone)")
        return
    cases = load_cases()
    our, our_time = score(cases, ours)
    peer, peer_time = score(cases, trafilatura_alone)
    by_project = Counter(case.name.split("/")[0] for case in cases)
    lines = [
        f"Pages: {len(cases)} ({', '.join(f'{name} {count}' for name, count in sorted(by_project.items()))}), "
        "each behind an excerpt-only feed item through `parse_article` and `normalise_item`; "
        "peer: trafilatura 2 `bare_extraction` alone, lingua (all languages) for its language.",
        _line("title exact", our, peer, "title"),
        f"  - of the misses, the reference keeps a site name or section that the title dropped: ours "
        f"{sum(our.title_site)}, trafilatura alone {sum(peer.title_site)}; exact or only that: ours "
        f"{(sum(our.title) + sum(our.title_site)) / len(our.title):.3f}, trafilatura alone "
        f"{(sum(peer.title) + sum(peer.title_site)) / len(peer.title):.3f}",
        _line("body token F1", our, peer, "body"),
        _line("date (day)", our, peer, "date"),
        _line("language", our, peer, "language"),
        f"- time: ours {1000 * our_time / len(cases):.0f} ms per page (extraction, language, normalisation), "
        f"trafilatura alone {1000 * peer_time / len(cases):.0f} ms",
    ]
    pairs, sources = sentence_cases(cases)
    rows = measure_sentences(pairs)
    total = sum(row[3] for row in rows.values())
    ours_right = sum(row[0] for row in rows.values())
    lingua_right = sum(row[1] for row in rows.values())
    unknown = sum(row[2] for row in rows.values())
    sentence_us = _resolve_us(pairs)
    lines.append(
        f"- sentences with no declared language, {total} in {len(rows)} languages: ours {ours_right / total:.3f}, "
        f"lingua alone {lingua_right / total:.3f}; left without a language by ours: {unknown}; "
        f"`resolve_language` {sentence_us:.0f} µs per sentence (CPU)"
    )
    lines.append(
        "  - per language, ours / lingua alone (sentences from corpus + system gettext catalogs + our stories): "
        + "; ".join(
            f"{language} {row[0] / row[3]:.3f} / {row[1] / row[3]:.3f} ({'+'.join(map(str, sources[language]))})"
            for language, row in rows.items()
        )
    )
    if show_misses:
        for field in ("title", "date", "language"):
            print(f"\n### our {field} misses")
            print("\n".join(our.misses[field]))
    record("Titles, bodies, dates and languages on real pages (benchmarks/extraction_quality.py)", lines)


if __name__ == "__main__":
    main()
