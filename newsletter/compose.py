"""Stories of a week -> a ranked, sectioned edition; an edition -> what a reader sees. Pure.

Ranking follows what editors of this field weigh: how many partners reported a story,
urgency (a hunger strike's day count, a health appeal, a trial this week), recency,
and their own pins, which always come first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from aggregator.urls import is_tracking_param

#: Theme sections in the order they appear; a story goes to the first whose tag it carries.
THEME_SECTIONS = (
    "hunger-strike",
    "health",
    "trial-sentence",
    "release",
    "isolation",
    "arrest",
    "administrative-detention",
    "solidarity-action",
    "event-call",
    "statement",
)
OTHER = "other"
#: Themes of the taxonomy with no section of their own go to the nearest one.
THEME_TO_SECTION = {
    "prisoner-conditions": "isolation",
    "death-penalty": "trial-sentence",
    "expulsion-refugees": "arrest",
    "tribunals": "event-call",
}
_URGENT = re.compile(
    r"(hunger strike|death fast|açlık grevi|ölüm orucu|hungerstreik|grève de la faim|huelga de hambre|"
    r"sciopero della fame|اعتصاب غذا|إضراب عن الطعام|urgent|dringend|acil|فوری)",
    re.IGNORECASE,
)
_HEARING = re.compile(
    r"(trial|hearing|verdict|Prozess|Verhandlung|Urteil|procès|audience|juicio|vista oral|processo|udienza|"
    r"duruşma|dava|karar|دادگاه|محاکمه|محكمة|جلسة)",
    re.IGNORECASE,
)
_DAY_COUNT = re.compile(
    r"(?:day|tag|jour|día|giorno|gün|روز|يوم)\s*(\d{1,3})|(\d{1,3})\.?\s*(?:day|tag|jour|día|gün|gününde)",
    re.IGNORECASE,
)


@dataclass
class Report:
    """One partner's report of a story."""

    item_id: int
    source: str
    language: str | None
    url: str
    title: str


@dataclass
class Entry:
    """A story as an edition shows it."""

    story_id: int
    section: str
    position: int
    headline: str  # the representative item's title, in its language
    summary: str
    language: str | None
    url: str
    source: str
    published: str | None
    reports: list[Report] = field(default_factory=list)  # the other reports ("also reported by")
    translations: dict[str, dict] = field(default_factory=dict)  # language -> {headline, summary}
    tags: list[str] = field(default_factory=list)
    pinned: bool = False

    def headline_in(self, language: str) -> tuple[str, str | None]:
        """(headline, its language): the editor's translation when there is one, else the original."""
        if language in self.translations and self.translations[language].get("headline"):
            return self.translations[language]["headline"], language
        return self.headline, self.language

    def summary_in(self, language: str) -> tuple[str, str | None]:
        if language in self.translations and self.translations[language].get("summary"):
            return self.translations[language]["summary"], language
        return self.summary, self.language


@dataclass
class Edition:
    id: int | None
    week: str
    sections_by: str
    entries: list[Entry]
    intros: dict[str, str] = field(default_factory=dict)
    status: str = "draft"

    def sections(self, language: str) -> list[tuple[str, list[Entry]]]:
        """Sections in order; within each, items readable in `language` first, then by position."""
        order: list[str] = []
        grouped: dict[str, list[Entry]] = {}
        for entry in sorted(self.entries, key=lambda e: e.position):
            if entry.section not in grouped:
                order.append(entry.section)
                grouped[entry.section] = []
            grouped[entry.section].append(entry)
        return [
            (key, sorted(grouped[key], key=lambda e: (e.headline_in(language)[1] != language, e.position)))
            for key in order
        ]


def urgency(text: str) -> float:
    """0..2.5: an ongoing hunger strike or an urgent appeal (long strikes weigh more), a hearing or verdict."""
    score = 1.0 if _URGENT.search(text or "") else 0.0
    days = [int(a or b) for a, b in _DAY_COUNT.findall(text or "") if (a or b)]
    if score and days:
        score += min(1.0, max(days) / 100)
    if _HEARING.search(text or ""):
        score += 0.5  # a trial this week: readers may still attend or observe it
    return score


def story_score(story: dict, now: datetime) -> float:
    """Partners reporting it count most; then urgency; then freshness (within the week)."""
    partners = len({item["source_id"] for item in story["items"]})
    face = next((i for i in story["items"] if i["id"] == story["representative_item_id"]), story["items"][0])
    last = story.get("last_published_at")
    age_days = (now - datetime.fromisoformat(last)).total_seconds() / 86400 if last else 7
    return partners * 2.0 + urgency(f"{face['title']} {face.get('text') or ''}") + max(0.0, 7 - age_days) / 7


def section_of(tags: list[str], sections_by: str) -> str:
    if sections_by == "region":
        country = next((tag for tag in tags if tag.startswith("country-")), None)
        return country or OTHER
    sections = {THEME_TO_SECTION.get(tag, tag) for tag in tags}
    return next((theme for theme in THEME_SECTIONS if theme in sections), OTHER)


def plan_edition(
    stories: list[dict], now: datetime, sections_by: str = "theme", cap: int = 8, pinned: set[int] | None = None
) -> list[dict]:
    """Choose and order the week's stories: [{story_id, section, position, pinned}], at most `cap` per section."""
    pinned = pinned or set()
    ranked = sorted(stories, key=lambda s: (s["id"] not in pinned, -story_score(s, now), s["id"]))
    per_section: dict[str, int] = {}
    plan = []
    for story in ranked:
        tags = sorted({tag for item in story["items"] for tag in json.loads(item.get("tags") or "[]")})
        section = section_of(tags, sections_by)
        if per_section.get(section, 0) >= cap and story["id"] not in pinned:
            continue
        per_section[section] = per_section.get(section, 0) + 1
        plan.append({"story_id": story["id"], "section": section, "pinned": int(story["id"] in pinned)})
    order = {key: index for index, key in enumerate([*THEME_SECTIONS, OTHER])}
    plan.sort(key=lambda e: order.get(e["section"], len(order)) if sections_by == "theme" else 0)
    for position, entry in enumerate(plan, start=1):
        entry["position"] = position
    return plan


@lru_cache(maxsize=4096)
def clean_link(url: str) -> str:
    """The partner's link without tracking parameters (`utm_*`, `fbclid`, ... as `aggregator.urls` lists them).

    Only those are dropped: the rest stays as the partner spelled it. `canonical_url`'s other
    rules (trailing slash dropped, query sorted, host folded) make a key for recognising an
    article, not an address every partner's server answers without a redirect.
    """
    parts = urlsplit(url)
    query = _without_tracking(parts.query)
    fragment = _without_tracking(parts.fragment) if "=" in parts.fragment else parts.fragment
    if query == parts.query and fragment == parts.fragment:
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, fragment))


def _without_tracking(query: str) -> str:
    return "&".join(
        pair for pair in query.split("&") if pair and not is_tracking_param(unquote_plus(pair.split("=", 1)[0]))
    )


def build_edition(edition: dict, stories: dict[int, dict]) -> Edition:
    """Turn stored rows (edition with entries; stories with items and translations) into an Edition."""
    entries = []
    for row in edition["entries"]:
        story = stories[row["story_id"]]
        items = story["items"]
        face = next((i for i in items if i["id"] == story["representative_item_id"]), items[0])
        entries.append(
            Entry(
                story_id=story["id"],
                section=row["section"],
                position=row["position"],
                pinned=bool(row["pinned"]),
                headline=story.get("headline") or face["title"],  # the editor's headline, else the face's title
                summary=story.get("summary") or face.get("summary") or "",
                language=face.get("language"),
                url=clean_link(face["url"]),
                source=face.get("partner_name") or face.get("source_name") or "",
                published=face.get("published_at"),
                reports=[
                    Report(
                        i["id"],
                        i.get("partner_name") or i.get("source_name") or "",
                        i.get("language"),
                        clean_link(i["url"]),
                        i["title"],
                    )
                    for i in items
                    if i["id"] != face["id"]
                ],
                translations={
                    lang: {"headline": t["headline"], "summary": t.get("summary")}
                    for lang, t in story.get("translations", {}).items()
                },
                tags=sorted({tag for item in items for tag in json.loads(item.get("tags") or "[]")}),
            )
        )
    return Edition(
        id=edition.get("id"),
        week=edition["week"],
        sections_by=edition.get("sections_by", "theme"),
        entries=entries,
        intros=edition.get("intros", {}),
        status=edition.get("status", "draft"),
    )
