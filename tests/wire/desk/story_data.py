"""This week's reports for the inbox and story-page tests, stored through the library as a crawl
stores them (items, stories, tag evidence). Invented organisations and people (../shared/DOMAIN.md).

    seed_inbox(db, config) -> {"strike", "trial", "vigil", "persian", "old", "strike_tr", "strike_de"}

"strike" is told by two partners (Turkish and German), "old" is a week older (found by search only).
"""

from __future__ import annotations

from datetime import timedelta

from aggregator.db import utcnow
from aggregator.storage.items import get_item, save_item
from aggregator.storage.partners import ensure_partner
from aggregator.storage.sources import add_source
from aggregator.storage.stories import attach_item, create_story
from aggregator.storage.tags import replace_tag_evidence
from aggregator.text import content_hash
from newsletter.weeks import week_bounds, week_of


def this_week_start(config):
    return week_bounds(week_of(utcnow(), config.zone), config.zone)[0]


def seed_inbox(db, config) -> dict[str, int]:
    start = this_week_start(config)
    sources: dict[str, int] = {}
    count = [0]

    def store(partner, language, title, text, when, tags, story=None):
        if partner not in sources:
            sources[partner] = add_source(
                db, f"http://127.0.0.1:9/{len(sources)}/feed/", partner, "feed", ensure_partner(db, partner), language
            )
        count[0] += 1
        url = f"http://127.0.0.1:9/news/{count[0]}"
        _, item_id = save_item(
            db,
            {
                "source_id": sources[partner],
                "guid": url,
                "url": url,
                "canonical_url": url,
                "title": title,
                "text": text,
                "summary": text[:90],
                "language": language,
                "published_at": when.isoformat(),
                "content_hash": content_hash(title, text),
            },
        )
        replace_tag_evidence(db, [(item_id, tags)])
        if story is None:
            return create_story(db, get_item(db, item_id)), item_id
        attach_item(db, item_id, story)
        return story, item_id

    day = start + timedelta(hours=10)
    strike, strike_tr = store(
        "Dayanışma Ağı Kuzeykent",
        "tr",
        "Kuzeykent'te açlık grevi 87. gününde",
        "Kuzeykent Cezaevi'nde Mahir Ekinci'nin açlık grevi 87. gününe girdi.",
        day,
        {"hunger-strike": ["açlık grevi"], "country-tr": ["Kuzeykent Cezaevi"]},
    )
    _, strike_de = store(
        "Rote Hilfe Altwerder",
        "de",
        "Hungerstreik in Kuzeykent: Tag 87",
        "Der Hungerstreik von Mahir Ekinci in Kuzeykent dauert seit 87 Tagen an.",
        day + timedelta(hours=2),
        {"hunger-strike": ["Hungerstreik"], "country-tr": ["Türkei"]},
        story=strike,
    )
    trial, _ = store(
        "Hukuk Gözlem Ağı",
        "tr",
        "Gazeteciler davası ertelendi",
        "Kuzeykent'teki gazeteciler davasının duruşması Ocak ayına ertelendi.",
        day + timedelta(hours=5),
        {"trial-sentence": ["duruşması"], "country-tr": ["Kuzeykent"]},
    )
    vigil, _ = store(
        "Rote Hilfe Altwerder",
        "de",
        "Mahnwache vor dem Konsulat <script>alert(1)</script>",
        "Am Samstag fand eine Mahnwache vor dem Konsulat statt.",
        day + timedelta(hours=8),
        {"solidarity-action": ["Mahnwache"]},
    )
    persian, _ = store(
        "Kanoon-e Hambastegi",
        "fa",
        "اعتصاب غذا در زندان قزل‌حصار",
        "زندانیان سیاسی در زندان قزل‌حصار اعتصاب غذا کرده‌اند.",
        day + timedelta(hours=9),
        {"hunger-strike": ["اعتصاب غذا"], "country-ir": ["قزل‌حصار"]},
    )
    old, _ = store(
        "Dayanışma Ağı Kuzeykent",
        "tr",
        "Hunger-strike announced in Kuzeykent",
        "Prisoners announced a hunger-strike in Kuzeykent.",
        start - timedelta(days=3),
        {"hunger-strike": ["hunger-strike"]},
    )
    return {
        "strike": strike,
        "trial": trial,
        "vigil": vigil,
        "persian": persian,
        "old": old,
        "strike_tr": strike_tr,
        "strike_de": strike_de,
    }
