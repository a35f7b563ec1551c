"""/desk/audit (admins): who changed which story, when, and the undo of the last change to a story.

Reads the audit log (`aggregator.storage.desk.list_audit`), filtered by story and by editor as
GET parameters; undoing calls `aggregator.curation.undo_last_change`, which records the undo
itself. Only the latest change to a story that was not undone can be undone, and an undo is
not undone: undoing again goes one change further back.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from aggregator.curation import undo_last_change
from aggregator.exceptions import InvalidInput, WireError
from aggregator.storage.desk import list_actors, list_audit, list_last_undoable
from wire.web import get_db
from wire.web.desk import blueprint, local_desk_path
from wire.web.desk.auth import actor, admin_required

PER_PAGE = 100


def action_label(action: str) -> str:
    """An audit entry's action in the editor's language (actions are stored in English, as the CLI writes them)."""
    if action.startswith("undo: "):
        return _("Undo: %(change)s", change=action_label(action[6:]))
    words = {
        "headline edited": _("headline edited"),
        "headline translated": _("headline translated"),
        "translation removed": _("translation removed"),
        "tags fixed": _("tags fixed"),
        "story split": _("story split"),
        "stories merged": _("stories merged"),
        "item moved": _("item moved"),
        "story selected": _("story selected"),
        "story rejected": _("story rejected"),
        "story pinned": _("story pinned"),
        "story unpinned": _("story unpinned"),
    }
    return words.get(action, action)


def _whole(name: str) -> int | None:
    value = request.args.get(name, "").strip().lstrip("#")
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput(_("%(field)s: expected a number, got “%(value)s”", field=name, value=value[:40]))
    return int(value)


@blueprint.get("/audit")
@admin_required
def audit():
    db = get_db()
    error = None
    try:
        story_id, page = _whole("story"), _whole("page") or 1
    except InvalidInput as problem:
        error, story_id, page = str(problem), None, 1
    editor = request.args.get("editor", "").strip() or None
    rows = list_audit(db, story_id=story_id, actor=editor, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    has_next, rows = len(rows) > PER_PAGE, rows[:PER_PAGE]
    latest = list_last_undoable(db, sorted({row["story_id"] for row in rows if row["story_id"]}))
    here = {key: value for key, value in (("story", story_id), ("editor", editor)) if value}
    return (
        render_template(
            "desk/audit.html",
            rows=rows,
            latest=latest,
            actors=list_actors(db),
            story_id=story_id,
            editor=editor,
            error=error,
            page=page,
            has_next=has_next,
            page_url=lambda number: url_for("desk.audit") + "?" + urlencode({**here, "page": number}),
            back=request.full_path if request.query_string else request.path,
            action_label=action_label,
        ),
        400 if error else 200,
    )


@blueprint.post("/audit/undo")
@admin_required
def audit_undo():
    back = request.form.get("next", "")
    back = back if local_desk_path(back) else url_for("desk.audit")
    value = request.form.get("story", "")
    try:
        if not value.isdigit():
            raise InvalidInput(_("%(field)s: expected a number, got “%(value)s”", field="story", value=value[:40]))
        undone = undo_last_change(get_db(), int(value), actor())
    except WireError as error:
        flash(str(error), "error")
    else:
        flash(_("Undone: %(change)s.", change=action_label(undone["action"])), "ok")
    return redirect(back, code=303)
