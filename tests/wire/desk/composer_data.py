"""A week of partners' reports for the composer's tests: stories in four languages and three sections,
stored through the library as the crawler stores them, and the week's edition drafted by the same
code as `wire edition draft`. Invented organisations and people (see ../shared/DOMAIN.md)."""

from __future__ import annotations

from datetime import timedelta

from aggregator.db import iso, utcnow
from aggregator.storage.items import get_item, save_item
from aggregator.storage.sources import add_source
from aggregator.storage.stories import create_story
from aggregator.text import content_hash
from newsletter.editions import draft_edition
from newsletter.weeks import week_bounds, week_of

#: (partner, language, title, text, tags)
REPORTS = [
    (
        "Dayanışma Ağı Kuzeykent",
        "tr",
        "Kuzeykent Cezaevi'nde açlık grevi 87. gününde",
        "Kuzeykent Yüksek Güvenlikli Cezaevi'nde tutulan Mahir Ekinci'nin süresiz açlık grevi 87. gününe girdi.",
        ["hunger-strike", "country-tr"],
    ),
    (
        "Open Cell",
        "en",
        "Aldbridge hunger strikers reach day 60",
        "Prisoners in Aldbridge high-security prison entered the sixtieth day of their hunger strike.",
        ["hunger-strike"],
    ),
    (
        "Gefangeneninfo Altwerder",
        "de",
        "Prozessbeobachtung in Altwerder: Urteil vertagt",
        "Das Gericht in Altwerder hat das Urteil gegen die drei Angeklagten auf Dezember vertagt.",
        ["trial-sentence"],
    ),
    (
        "Hambastegi",
        "fa",
        "تجمع در برابر کنسولگری برای زندانیان سیاسی",
        "روز شنبه خانواده‌ها و دوستان زندانیان سیاسی در برابر کنسولگری گرد آمدند و آزادی آنان را خواستند.",
        ["solidarity-action"],
    ),
    (
        "Comité Libertad Sur",
        "es",
        "Vigilia frente al consulado por los presos en huelga",
        "Decenas de personas se reunieron el sábado frente al consulado en apoyo a los presos en huelga de hambre.",
        ["solidarity-action"],
    ),
]


def seed_week(db, config, site: str = "http://partners.invalid") -> tuple[int, dict[str, int]]:
    """Store the reports of this week, one story each; draft the edition. Return (edition id, title -> story id)."""
    now = utcnow()
    start, _ = week_bounds(week_of(now, config.zone), config.zone)
    # within this week even just after Monday 00:00, when "half an hour ago" was last week
    moment = max(now - timedelta(minutes=30), start + (now - start) / 2)
    stories = {}
    for n, (partner, language, title, text, tags) in enumerate(REPORTS):
        source = add_source(db, f"{site}/{n}/feed/", partner, "feed", language=language)
        url = f"{site}/{n}/article.html"
        _, item_id = save_item(
            db,
            {
                "source_id": source,
                "url": url,
                "canonical_url": url,
                "title": title,
                "text": text,
                "summary": text,
                "language": language,
                "published_at": iso(moment - (moment - start) * n / 10),
                "content_hash": content_hash(title, text),
                "tags": tags,
            },
        )
        stories[title] = create_story(db, get_item(db, item_id))
    return draft_edition(db, config), stories
