"""/desk/stories/<id>: one story's work. Headline and summary, translations beside the original,
split, merge and move items, fix tags, select/reject/pin, undo the last change.

Thin views over the library that `wire stories` and `wire edition headline` use
(`aggregator.curation`, `newsletter.triage`): every change is audited with the editor and what
undoes it. Every form POSTs with its CSRF token and is answered with a redirect back (PRG); a
refused change comes back as a message on the page and changes nothing. "Suggest" asks the
configured translation service (`aggregator.translate`) and only fills the form: the editor
corrects and saves, or not; a failing service is a message beside the form, and what the
editor had typed stays in it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from aggregator.curation import (
    edit_story,
    fix_tags,
    merge_stories,
    move_item,
    split_item,
    translate_story,
    undo_last_change,
)
from aggregator.db import parse_iso
from aggregator.exceptions import InvalidInput, NotFound, WireError
from aggregator.storage.desk import get_story_fields, list_audit, list_item_tags
from aggregator.storage.editions import find_edition
from aggregator.storage.stories import get_story
from aggregator.tagging import default_taxonomy
from aggregator.translate import TranslationUnavailable, suggest_translation
from newsletter.triage import ACTIONS, triage_story
from newsletter.weeks import week_of
from wire.web import get_db
from wire.web.desk import blueprint
from wire.web.desk.audit import action_label
from wire.web.desk.auth import actor, current_editor, login_required
from wire.web.desk.inbox import tag_choices, tag_labels


def _config():
    return current_app.config["WIRE"]


def _number(name: str) -> int:
    value = request.form.get(name, "").strip().lstrip("#")
    if not value.isdigit():
        raise InvalidInput(_("%(field)s: expected a number, got “%(value)s”", field=name, value=value[:40]))
    return int(value)


def _back(story_id: int, anchor: str = ""):
    return redirect(url_for("desk.story", story_id=story_id) + anchor, code=303)


def story_week(story: dict) -> str:
    """The week whose edition the story belongs to: that of its latest report (as the inbox lists it)."""
    moment = parse_iso(story["last_published_at"] or story["created_at"])
    assert moment is not None
    return week_of(moment, _config().zone)


def _status(db, story_id: int, rejected_at: str | None, week: str) -> str:
    edition = find_edition(db, week)
    entry = next((e for e in edition["entries"] if e["story_id"] == story_id), None) if edition else None
    return "rejected" if rejected_at else "pinned" if entry and entry["pinned"] else "selected" if entry else "new"


def _page(story_id: int, drafts: dict | None = None, problems: dict | None = None, status: int = 200):
    db = get_db()
    try:
        story = get_story(db, story_id)
    except NotFound:
        abort(404)
    fields = get_story_fields(db, story_id)
    face = next((i for i in story["items"] if i["id"] == story["representative_item_id"]), None)
    if face is None and story["items"]:
        face = story["items"][0]
    tags = list_item_tags(db, story_id)
    language = str(get_locale())
    config = _config()
    return (
        render_template(
            "desk/story.html",
            story=story,
            fields=fields,
            face=face,
            original_headline=fields["headline"] or (face["title"] if face else story["title"]),
            original_summary=fields["summary"] or (face["summary"] if face else "") or "",
            tags=tags,
            story_tags=sorted({tag for value in tags.values() for tag in value["tags"]}),
            all_tags=tag_choices("theme", language) + tag_choices("country", language),
            labels=tag_labels(language),
            status=_status(db, story_id, fields["rejected_at"], story_week(story)),
            week=story_week(story),
            targets=[code for code in config.languages if code != story["language"]],
            drafts=drafts or {},
            problems=problems or {},
            can_suggest=bool(config.translate_url),
            history=list_audit(db, story_id=story_id, limit=10)[:10],
            action_label=action_label,
        ),
        status,
    )


@blueprint.get("/stories/<int:story_id>")
@login_required
def story(story_id: int):
    return _page(story_id)


def _change(story_id: int, work, done: str, anchor: str = "", target: Callable[[Any], int] | None = None):
    """Run one change; a message either way; back to the story (or to `target(result)` when it moved)."""
    try:
        result = work()
    except WireError as error:
        flash(str(error), "error")
        return _back(story_id, anchor)
    flash(done.format(result=result) if "{result}" in done else done, "ok")
    return _back(target(result) if target is not None else story_id, anchor)


@blueprint.post("/stories/<int:story_id>/headline")
@login_required
def headline(story_id: int):
    form = request.form
    return _change(
        story_id,
        lambda: edit_story(get_db(), story_id, actor(), form.get("headline"), form.get("summary")),
        _("Headline saved."),
        "#headline",
    )


@blueprint.post("/stories/<int:story_id>/translation")
@login_required
def translation(story_id: int):
    form = request.form
    language = form.get("language", "")

    def work():
        if language not in _config().languages:
            raise InvalidInput(_("language: not one of the edition's languages: “%(value)s”", value=language[:10]))
        translate_story(
            get_db(), story_id, language, form.get("headline", ""), form.get("summary"), actor(), current_editor().id
        )

    return _change(story_id, work, _("Translation saved."), f"#translation-{language}")


@blueprint.post("/stories/<int:story_id>/suggest")
@login_required
def suggest(story_id: int):
    """Fill the language's form with the service's translation of the original; nothing is saved."""
    config = _config()
    form = request.form
    language = form.get("language", "")
    if not config.translate_url or language not in config.languages:
        abort(404)
    typed = {"headline": form.get("headline", ""), "summary": form.get("summary", "")}
    db = get_db()
    try:
        story = get_story(db, story_id)
    except NotFound:
        abort(404)
    if not story["items"]:  # emptied, kept only for an edition that went out
        abort(404)
    fields = get_story_fields(db, story_id)
    face = next((i for i in story["items"] if i["id"] == story["representative_item_id"]), story["items"][0])
    original = {"headline": fields["headline"] or face["title"], "summary": fields["summary"] or face["summary"] or ""}
    draft = dict(typed)
    try:
        for key in ("headline", "summary"):
            if original[key].strip():
                draft[key] = suggest_translation(
                    original[key],
                    story["language"],
                    language,
                    config.translate_url,
                    config.translate_api_key,
                    config.translate_timeout,
                    limit=300 if key == "headline" else 500,
                )
    except TranslationUnavailable as error:
        problem = _("No suggestion: %(reason)s. Nothing was changed.", reason=str(error))
        return _page(story_id, drafts={language: typed}, problems={language: problem}, status=502)
    return _page(story_id, drafts={language: draft | {"suggested": True}})


@blueprint.post("/stories/<int:story_id>/triage")
@login_required
def story_triage(story_id: int):
    action = request.form.get("action", "")

    def work():
        if action not in ACTIONS:
            raise InvalidInput(f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
        db = get_db()
        return triage_story(db, story_id, action, story_week(get_story(db, story_id)), actor())

    words = {"select": _("Selected."), "reject": _("Rejected."), "pin": _("Pinned."), "unpin": _("Unpinned.")}
    return _change(story_id, work, words.get(action, ""))


@blueprint.post("/stories/<int:story_id>/split")
@login_required
def split(story_id: int):
    return _change(
        story_id,
        lambda: split_item(get_db(), _number("item"), actor()),
        _("The item is now a story of its own: %(story)s.", story="#{result}"),
        "#items",
    )


@blueprint.post("/stories/<int:story_id>/merge")
@login_required
def merge(story_id: int):
    return _change(
        story_id,
        lambda: merge_stories(get_db(), story_id, _number("other"), actor()),
        _("Stories merged."),
        "#items",
        target=lambda survivor: survivor,
    )


@blueprint.post("/stories/<int:story_id>/move")
@login_required
def move(story_id: int):
    return _change(
        story_id,
        lambda: move_item(get_db(), _number("item"), _number("target"), actor()),
        _("Item moved."),
        "#items",
    )


@blueprint.post("/stories/<int:story_id>/tags")
@login_required
def tags(story_id: int):
    form = request.form
    known = {tag.id for tag in default_taxonomy()}
    return _change(
        story_id,
        lambda: fix_tags(
            get_db(),
            story_id,
            actor(),
            add=[t for t in form.getlist("add") if t],
            remove=form.getlist("remove"),
            known=known,
        ),
        _("Tags saved."),
        "#tags",
    )


@blueprint.post("/stories/<int:story_id>/undo")
@login_required
def undo(story_id: int):
    return _change(
        story_id,
        lambda: action_label(undo_last_change(get_db(), story_id, actor())["action"]),
        _("Undone: %(change)s.", change="{result}"),
        "#history",
    )
