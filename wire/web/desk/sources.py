"""/desk/sources: every source with its health; pause, resume, a feed's URL, a site's recipe and "try it".

The same library calls as `wire sources`: `set_source_status` for pause and resume (with the
same audit entry), a new feed URL found the way `wire sources add` finds one (discovery,
through the network guard), `crawlers.recipes.parse_recipe` for recipes. "Try it" reads the
list page and the first articles now through the guard with a deadline (`crawlers.trial`)
and stores nothing. Every change names the editor in audit_log.
"""

from __future__ import annotations

import json

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from aggregator.db import iso
from aggregator.exceptions import ConflictError, InvalidInput
from aggregator.polling import health
from aggregator.storage.audit import record_action
from aggregator.storage.sources import get_source, list_sources, set_source_status, source_id_with_url, update_source
from wire.web import get_db
from wire.web.desk import blueprint
from wire.web.desk.auth import actor, login_required

#: Recipe JSON an editor may paste: more is not a recipe.
MAX_RECIPE = 10_000


def _config():
    return current_app.config["WIRE"]


def _now():
    return current_app.config["WIRE_CLOCK"]()


def _source(source_id: int) -> dict:
    row = get_source(get_db(), source_id)
    row["health"] = health(row, _now(), _config().failing_after)
    return row


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
    row = _source(source_id)
    recipe = json.dumps(json.loads(row["recipe"]), indent=2, ensure_ascii=False) if row["recipe"] else ""
    return render_template("desk/source.html", source=row, recipe_text=recipe, trial=None, error=None)


def _set_status(source_id: int, status: str):
    """Pause or resume: what `wire sources pause|resume` does, with the editor in the audit log."""
    set_source_status(get_db(), source_id, status)
    record_action(get_db(), actor(), f"source {status}", "source", source_id)
    flash(gettext("Paused.") if status == "paused" else gettext("Fetching again from now."), "ok")
    return redirect(url_for("desk.source", source_id=source_id), code=303)


@blueprint.route("/sources/<int:source_id>/pause", methods=["POST"])
@login_required
def pause(source_id: int):
    return _set_status(source_id, "paused")


@blueprint.route("/sources/<int:source_id>/resume", methods=["POST"])
@login_required
def resume(source_id: int):
    return _set_status(source_id, "active")


@blueprint.route("/sources/<int:source_id>/url", methods=["POST"])
@login_required
def change_url(source_id: int):
    """A feed's new address, checked by fetching it through the guard; its validators start over."""
    from crawlers.trial import check_feed_url

    row = _source(source_id)
    typed = request.form.get("url", "").strip()
    try:
        if row["kind"] != "feed":
            raise InvalidInput("this source is a site: change its list pages in the recipe")
        url = check_feed_url(typed, _config())
        other = source_id_with_url(get_db(), url)
        if other is not None and other != source_id:
            raise ConflictError(f"source {other} already has the URL {url}")
    except (InvalidInput, ConflictError) as error:
        return _source_page(row, error=str(error), typed_url=typed), 400
    if url != row["url"]:
        update_source(get_db(), source_id, url=url, etag=None, last_modified=None, next_fetch_at=iso(_now()))
        record_action(get_db(), actor(), "source url changed", "source", source_id, old=row["url"], new=url)
    flash(gettext("The new address works and is saved."), "ok")
    return redirect(url_for("desk.source", source_id=source_id), code=303)


@blueprint.route("/sources/<int:source_id>/recipe", methods=["POST"])
@login_required
def recipe(source_id: int):
    """Check a recipe; "try it" shows what it finds now, "save" stores it (both refuse a broken recipe)."""
    from crawlers.recipes import parse_recipe
    from crawlers.trial import try_recipe

    row = _source(source_id)
    text = request.form.get("recipe", "")
    try:
        if len(text) > MAX_RECIPE:
            raise InvalidInput(f"the recipe is longer than {MAX_RECIPE} characters")
        parsed = parse_recipe(text)
    except InvalidInput as error:
        return _source_page(row, error=str(error).removeprefix("--recipe: "), recipe_text=text), 400
    if request.form.get("action") == "try":
        trial = try_recipe(row, parsed, _config())
        return _source_page(row, recipe_text=text, trial=trial)
    update_source(get_db(), source_id, recipe=json.dumps(parsed, ensure_ascii=False))
    record_action(get_db(), actor(), "source recipe changed", "source", source_id, recipe=parsed)
    flash(gettext("Recipe saved: the next crawl uses it."), "ok")
    return redirect(url_for("desk.source", source_id=source_id), code=303)


def _source_page(row: dict, error: str | None = None, recipe_text: str | None = None, trial=None, typed_url=None):
    if recipe_text is None:
        recipe_text = json.dumps(json.loads(row["recipe"]), indent=2, ensure_ascii=False) if row["recipe"] else ""
    return render_template(
        "desk/source.html", source=row, recipe_text=recipe_text, trial=trial, error=error, typed_url=typed_url
    )
