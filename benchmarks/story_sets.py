"""Labelled sets for story folding, and their measure through the production path.

Two sets, each a list of `Labelled` items with a `group` (the truth: same group, same story):

- `real_article_set`: real news bodies from ../shared/corpus (goose3 pages extracted with
  trafilatura, newspaper4k's txt bodies, readability's expected.html), nobody's text on
  this project. Some become stories reposted by other partners (exactly, with the
  partner's boilerplate, shortened to their first part, edited with sentences changed),
  all the rest stay unrelated; look-alikes are unrelated articles that each quote the same
  famous people with the same number; translations are the short hand translations in
  tests/data/stories/corpus_translations.jsonl (our own words) of a few of those articles.
  Everything is generated here, deterministically, at run time: no corpus text is stored.
- `labelled_set`: the stories written for the project (tests/data/stories/*.jsonl).

`fold` stores the items with `aggregator.storage.items.save_item` in a real SQLite
database and places them with `aggregator.clustering.cluster_new_items`, one batch per
day in publication order, as crawls deliver them. `score` counts pairwise decisions.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
STORIES = ROOT / "tests" / "data" / "stories"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SPREAD_DAYS = 7  # the unrelated articles are published over one week, so that all meet in the window
STORY_COUNT = 60
MIN_WORDS = 120  # bodies shorter than this are not used as reposted stories


@dataclass
class Labelled:
    id: str
    group: str  # the truth: items of one group are one story
    kind: str  # original, unrelated, exact, boilerplate, shortened, edited, lookalike, translation
    language: str | None
    title: str
    text: str
    published: datetime
    source: str


# --- real bodies ------------------------------------------------------------------------------


def _html_text(markup: str) -> str:
    import lxml.html

    root = lxml.html.fromstring(markup)
    for element in root.iter("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "blockquote", "pre"):
        element.tail = "\n" + (element.tail or "")
    return root.text_content()


def _paragraphs(text: str) -> str:
    return "\n\n".join(line.strip() for line in re.split(r"\n\s*\n|\n", text) if line.strip())


def corpus_bodies(corpus: Path = CORPUS) -> list[tuple[str, str, str, str | None]]:
    """[(name, title, body, language)] of the real articles; [] when the corpus is absent."""
    import trafilatura

    from aggregator.language import detect_language, normalise_code

    found = []
    for expected in sorted((corpus / "goose3/tests/data").glob("*/test_*.json")):
        page = expected.with_suffix(".html")
        if not page.exists():
            continue
        meta = json.loads(expected.read_text(encoding="utf-8")).get("expected") or {}
        body = trafilatura.extract(page.read_bytes().decode("utf-8", "replace"), favor_precision=True) or ""
        found.append(
            (f"goose3/{expected.parent.name}/{page.stem}", meta.get("title") or "", body, meta.get("meta_lang"))
        )
    folder = corpus / "newspaper4k/tests/data"
    for txt in sorted((folder / "txt").glob("*.txt")):
        meta_file = folder / "metadata" / f"{txt.stem}.json"
        meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
        found.append(
            (f"newspaper4k/{txt.stem}", meta.get("title") or "", txt.read_text(encoding="utf-8"), meta.get("language"))
        )
    for case in sorted((corpus / "mozilla-readability/test/test-pages").glob("*/expected.html")):
        if case.parent.name.startswith("rtl-"):
            continue  # synthetic right-to-left lorem ipsum
        meta_file = case.parent / "expected-metadata.json"
        meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
        found.append(
            (
                f"readability/{case.parent.name}",
                meta.get("title") or "",
                _html_text(case.read_text(encoding="utf-8")),
                meta.get("lang"),
            )
        )
    bodies = []
    for name, title, body, language in found:
        body = _paragraphs(body)
        if len(body.split()) < 40 or "lorem ipsum" in body.casefold():
            continue
        language = normalise_code(language) if language else None
        bodies.append(
            (name, " ".join(title.split()) or body.split("\n")[0][:80], body, language or detect_language(body))
        )
    return _distinct(bodies)


def _distinct(bodies):
    """Drop bodies that repeat an earlier one (readability and goose3 test the same page twice)."""
    from aggregator.dedupe import shingles

    kept, sets = [], []
    for body in bodies:
        mine = shingles(body[2])
        if any(len(mine & other) >= 0.3 * min(len(mine), len(other)) for other in sets):
            continue
        kept.append(body)
        sets.append(mine)
    return kept


# --- reposts, look-alikes, translations ---------------------------------------------------------

BOILERPLATE = [
    (
        "Republished with permission from our partners.",
        "Support independent journalism: subscribe to our weekly newsletter and follow us on social media. "
        "All our articles may be republished under a Creative Commons licence.",
    ),
    (
        "This article first appeared elsewhere and is shared here in solidarity.",
        "Read more news like this every week. Donations keep this site free of advertising.",
    ),
]
FAMOUS = [
    ("Barack Obama", "Angela Merkel"),
    ("Vladimir Putin", "Emmanuel Macron"),
    ("Lionel Messi", "Cristiano Ronaldo"),
]
LOOKALIKE_SENTENCE = {
    "en": "{a} and {b} were mentioned again on {n} occasions this week.",
    "es": "{a} y {b} fueron mencionados de nuevo en {n} ocasiones esta semana.",
    "fr": "{a} et {b} ont encore été cités à {n} reprises cette semaine.",
    "de": "{a} und {b} wurden diese Woche {n} Mal erwähnt.",
    "pt": "{a} e {b} foram citados de novo em {n} ocasiões nesta semana.",
}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?。])\s+", text) if s.strip()]


def _shortened(text: str) -> str:
    """The first paragraphs, about 60 % of the words: a partner that kept the start."""
    paragraphs, kept, words = text.split("\n\n"), [], len(text.split())
    for paragraph in paragraphs:
        kept.append(paragraph)
        if len(" ".join(kept).split()) >= 0.6 * words:
            break
    short = "\n\n".join(kept)
    if len(short.split()) > 0.8 * words:  # one long paragraph: cut by sentences instead
        sentences = _sentences(text)
        short = " ".join(sentences[: max(1, int(len(sentences) * 0.6))])
    return short


def _edited(text: str, rng: random.Random) -> str:
    """Every fifth sentence dropped, one in seven reworded (words swapped), a correction added."""
    out = []
    for number, sentence in enumerate(_sentences(text)):
        if number % 5 == 4:
            continue
        words = sentence.split()
        if number % 7 == 3 and len(words) > 6:
            i = rng.randrange(1, len(words) - 2)
            words[i], words[i + 1] = words[i + 1], words[i]
            words.insert(rng.randrange(1, len(words)), "reportedly")
        out.append(" ".join(words))
    return " ".join(out) + "\n\nCorrection: an earlier version of this article misstated a detail."


def real_article_set(
    corpus: Path = CORPUS, translations: Path = STORIES / "corpus_translations.jsonl", seed: int = 9
) -> list[Labelled]:
    """The real-article set (see the module docstring); [] when the corpus is absent."""
    if not corpus.is_dir():
        return []
    rng = random.Random(seed)
    bodies = corpus_bodies(corpus)
    hand = [json.loads(line) for line in translations.read_text(encoding="utf-8").splitlines() if line.strip()]
    translated = {row["article"] for row in hand}
    candidates = [
        b for b in bodies if len(b[2].split()) >= MIN_WORDS and b[0] not in translated and len(_sentences(b[2])) >= 6
    ]
    stories = set(name for name, *_ in rng.sample(candidates, min(STORY_COUNT, len(candidates)))) | translated
    items: list[Labelled] = []
    lookalike_slots = {lang: 0 for lang in LOOKALIKE_SENTENCE}
    for number, (name, title, body, language) in enumerate(bodies):
        when = START + timedelta(hours=rng.randrange(SPREAD_DAYS * 24))
        if name not in stories:
            kind, famous = "unrelated", None
            if language in LOOKALIKE_SENTENCE and lookalike_slots[language] < 2 * len(FAMOUS):
                famous = FAMOUS[lookalike_slots[language] % len(FAMOUS)]
                lookalike_slots[language] += 1
                kind = "lookalike"
                sentence = LOOKALIKE_SENTENCE[language].format(a=famous[0], b=famous[1], n=17)
                paragraphs = body.split("\n\n")
                body = "\n\n".join(paragraphs[:1] + [sentence] + paragraphs[1:])
            items.append(Labelled(name, name, kind, language, title, body, when, f"site-{number % 12}"))
            continue
        items.append(Labelled(name, name, "original", language, title, body, when, f"site-{number % 12}"))
        head, tail = BOILERPLATE[number % len(BOILERPLATE)]
        variants = [
            ("exact", title, body),
            ("boilerplate", title, f"{head}\n\n{body}\n\n{tail}"),
            ("shortened", title, _shortened(body)),
            ("edited", f"{title} (updated)", _edited(body, rng)),
        ]
        for step, (kind, v_title, v_text) in enumerate(variants):
            later = when + timedelta(hours=rng.randrange(1, 60))
            items.append(
                Labelled(
                    f"{name}#{kind}", name, kind, language, v_title, v_text, later, f"partner-{(number + step) % 7}"
                )
            )
        for row in hand:
            if row["article"] == name:
                items.append(
                    Labelled(
                        f"{name}#{row['language']}",
                        name,
                        "translation",
                        row["language"],
                        row["title"],
                        row["text"],
                        when + timedelta(hours=row.get("hours_later", 20)),
                        f"translator-{row['language']}",
                    )
                )
    return items


def labelled_set(names=("reposts.jsonl", "lookalikes.jsonl", "crosslang.jsonl")) -> list[Labelled]:
    """The stories written for the project, as `Labelled` items."""
    items = []
    for name in names:
        for line in (STORIES / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                items.append(
                    Labelled(
                        row["id"],
                        row["group"],
                        row.get("edit") or row["kind"],
                        row["language"],
                        row["title"],
                        row["text"],
                        datetime.fromisoformat(row["published"].replace("Z", "+00:00")),
                        row["source"],
                    )
                )
    return items


# --- the production path ------------------------------------------------------------------------


def fold(items: list[Labelled], folder: Path | None = None, sign_first: bool = False) -> dict[str, int]:
    """Store `items` in a new SQLite database and cluster them, one crawl per day; item id -> story id.

    `sign_first`: each day's items are signed ahead (`SigningAhead`, as a crawl's tagging child
    does) before they are placed."""
    from aggregator.clustering import SigningAhead, cluster_new_items
    from aggregator.db import iso, open_db
    from aggregator.storage.items import save_item
    from aggregator.storage.sources import add_source
    from aggregator.text import content_hash

    with tempfile.TemporaryDirectory(dir=folder) as work:
        db = open_db(Path(work) / "stories.db")
        sources, ids = {}, {}
        by_day: dict = {}
        for item in sorted(items, key=lambda i: (i.published, i.id)):
            by_day.setdefault(item.published.date(), []).append(item)
        for day in sorted(by_day):
            for item in by_day[day]:
                if item.source not in sources:
                    sources[item.source] = add_source(db, f"http://127.0.0.1/{len(sources)}/feed", item.source, "feed")
                url = f"http://127.0.0.1/{sources[item.source]}/{len(ids)}"
                _, ids[item.id] = save_item(
                    db,
                    {
                        "source_id": sources[item.source],
                        "url": url,
                        "canonical_url": url,
                        "title": item.title,
                        "text": item.text,
                        "summary": item.text[:200],
                        "language": item.language,
                        "published_at": iso(item.published),
                        "content_hash": content_hash(item.title, item.text),
                    },
                )
            if sign_first:  # a page at a time, as the tagging child signs
                signer = SigningAhead(db)
                signed = signer.page(7)
                while signed:
                    signed = signer.page(7)
            cluster_new_items(db)
        story = dict(db.execute("SELECT id, story_id FROM items").fetchall())
        db.conn.close()
    return {key: story[value] for key, value in ids.items()}


@dataclass
class Score:
    precision: float
    recall: float
    tp: int
    fp: int
    fn: int

    def __str__(self) -> str:
        return f"precision {self.precision:.3f}, recall {self.recall:.3f} (tp {self.tp}, fp {self.fp}, fn {self.fn})"


def score(items: list[Labelled], story: dict[str, int], pairs=lambda a, b: True) -> Score:
    """Pairwise decisions over the pairs `pairs` keeps: same group is the truth, same story the prediction."""
    tp = fp = fn = 0
    for a, b in itertools.combinations(items, 2):
        if not pairs(a, b):
            continue
        truth, predicted = a.group == b.group, story[a.id] == story[b.id]
        tp += truth and predicted
        fp += predicted and not truth
        fn += truth and not predicted
    return Score(tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0, tp, fp, fn)


def same_language(a: Labelled, b: Labelled) -> bool:
    return a.language == b.language


def across_languages(a: Labelled, b: Labelled) -> bool:
    return a.language != b.language


def widest_story(items: list[Labelled], story: dict[str, int]) -> tuple[int, int]:
    """(items, distinct groups) of the story that mixes the most groups: a chain shows here."""
    groups: dict[int, set] = {}
    sizes = Counter(story[i.id] for i in items)
    for item in items:
        groups.setdefault(story[item.id], set()).add(item.group)
    worst = max(groups, key=lambda s: (len(groups[s]), sizes[s]))
    return sizes[worst], len(groups[worst])


def alone(items: list[Labelled], story: dict[str, int], kinds=("unrelated", "lookalike")) -> tuple[int, int]:
    """(unrelated articles left in a story of their own, unrelated articles)."""
    sizes = Counter(story.values())
    chosen = [i for i in items if i.kind in kinds]
    return sum(sizes[story[i.id]] == 1 for i in chosen), len(chosen)
