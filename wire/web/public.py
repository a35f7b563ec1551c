"""Pages anyone may see: health, this week's items, the edition archive."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, g, jsonify, render_template

from aggregator.db import utcnow
from aggregator.migrations import schema_version
from aggregator.storage.items import count_items, list_items
from newsletter.i18n import direction, language_name
from newsletter.weeks import week_bounds, week_of

blueprint = Blueprint("public", __name__, template_folder="templates")


@blueprint.get("/health")
def health():
    """For monitors: the database answers and is migrated."""
    return jsonify(status="ok", schema_version=schema_version(g.db), items=count_items(g.db))


@blueprint.get("/")
def this_week():
    config = current_app.config["WIRE"]
    now = utcnow()
    week = week_of(now, config.zone)
    start, end = week_bounds(week, config.zone)
    items = list_items(g.db, since=start, until=end)
    if not items:  # a quiet week: show the last seven days rather than nothing
        items = list_items(g.db, since=now - timedelta(days=7))
    return render_template("public/this_week.html", items=items, week=week, direction=direction,
                           language_name=lambda code: language_name(code, "en"))
