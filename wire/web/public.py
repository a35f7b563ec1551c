"""Pages anyone may see: health, this week's stories, and who we are (the crawler's contact page)."""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_date
from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import get_locale

from aggregator.db import utcnow
from aggregator.migrations import schema_version
from aggregator.storage.items import count_items
from aggregator.storage.stories import get_story, list_stories
from newsletter import i18n
from newsletter.weeks import week_bounds, week_of
from wire.web import get_db

blueprint = Blueprint("public", __name__, template_folder="templates")


@blueprint.get("/health")
def health():
    """For monitors: the database answers and is migrated."""
    db = get_db()
    return jsonify(status="ok", schema_version=schema_version(db), items=count_items(db))


def _partner(item: dict) -> str:
    return item.get("partner_name") or item.get("source_name") or ""


def story_view(story: dict, language: str, zone) -> dict:
    """One story as the home page shows it: its face, in the reader's language when an editor translated it,
    and every other partner that reported it once."""
    items = story["items"]
    face = next((i for i in items if i["id"] == story["representative_item_id"]), items[0])
    translation = story["translations"].get(language)
    headline, headline_lang = face["title"], face.get("language")
    summary, summary_lang = face.get("summary") or "", face.get("language")
    if translation and translation.get("headline"):
        headline, headline_lang = translation["headline"], language
        if translation.get("summary"):
            summary, summary_lang = translation["summary"], language
    moment = face.get("published_at") or face["fetched_at"]
    others, seen = [], {_partner(face)}
    for item in items:
        if item["id"] != face["id"] and _partner(item) not in seen:
            seen.add(_partner(item))
            others.append({"name": _partner(item), "url": item["url"], "language": item.get("language")})
    return {
        "headline": headline,
        "headline_lang": headline_lang,
        "summary": summary,
        "summary_lang": summary_lang,
        "url": face["url"],
        "partner": _partner(face),
        "language": face.get("language"),
        "day": format_date(
            datetime.fromisoformat(moment).astimezone(zone).date(), "d MMM", locale=i18n.locale(language)
        ),
        "others": others,
        "languages": {i.get("language") for i in items} | set(story["translations"]),
    }


@blueprint.get("/")
def this_week():
    """This week's stories, one entry per story with "also reported by".

    `?only=fa` keeps stories readable in Persian.
    """
    config = current_app.config["WIRE"]
    db = get_db()
    language = str(get_locale())
    now = utcnow()
    week = week_of(now, config.zone)
    start, end = week_bounds(week, config.zone)
    rows = list_stories(db, since=start, until=end)
    if not rows:  # a quiet week: show the last seven days rather than nothing
        rows = list_stories(db, since=now - timedelta(days=7))
    stories = [
        story_view(story, language, config.zone)
        for story in (get_story(db, row["id"]) for row in rows)
        if story["items"]
    ]
    only = request.args.get("only", "")
    if only in config.languages:
        stories = [story for story in stories if only in story["languages"]]
    else:
        only = ""
    return render_template("public/this_week.html", stories=stories, week=week, only=only)


@blueprint.get("/about")
def about():
    """Who we are, what the crawler fetches and how a site opts out: the page its User-Agent names."""
    config = current_app.config["WIRE"]
    return render_template("public/about.html", user_agent=f"SolidarityWire/0.1 (+{config.contact_url})")
