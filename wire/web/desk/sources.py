"""/desk/sources: every source with its health; pause, resume, a feed's URL, a site's recipe and "try it".

The same library calls as `wire sources`: `set_source_status` for pause and resume, the
URL check of `wire sources add`, `crawlers.recipes.parse_recipe` for recipes. "Try it"
fetches through the crawler's network guard with a deadline (`crawlers.site_check`), so the
desk cannot be used to reach the server's own network.
"""

from __future__ import annotations

from flask import current_app, render_template

from aggregator.polling import health
from aggregator.storage.sources import list_sources
from wire.web import get_db
from wire.web.desk import blueprint
from wire.web.desk.auth import login_required


def _config():
    return current_app.config["WIRE"]


def _now():
    return current_app.config["WIRE_CLOCK"]()


@blueprint.route("/sources")
@login_required
def sources():
    """All sources, failing ones first, with what went wrong in words."""
    now = _now()
    rows = list_sources(get_db())
    for row in rows:
        row["health"] = health(row, now, _config().failing_after)
    order = {"failing": 0, "erroring": 1, "gone": 2, "new": 3, "ok": 4, "paused": 5}
    rows.sort(key=lambda row: (order.get(row["health"], 9), row["name"].lower()))
    return render_template("desk/sources.html", sources=rows)


@blueprint.route("/sources/<int:source_id>")
@login_required
def source(source_id: int):
    """One source: its facts, its health, and the forms that change it."""
    from aggregator.storage.sources import get_source

    row = get_source(get_db(), source_id)
    row["health"] = health(row, _now(), _config().failing_after)
    return render_template("desk/source.html", source=row, recipe_text=None, tried=None, error=None)
