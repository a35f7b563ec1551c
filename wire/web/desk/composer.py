"""The composer: order the edition, write its intro per language, look at it as each reader will, test, approve, send.

Thin views over the library that `wire edition` uses: `newsletter.ordering` and
`aggregator.storage.editions` for order and sections, `newsletter.approval` for approving,
`newsletter.preview` for the e-mail as rendered (in the language of `?preview=`; `?lang=` stays the
page's language, as everywhere), `newsletter.sending.send_test` for a test to the
editor's own address, and `newsletter.progress` to start a send in the background and read its
progress from the delivery log. Every form works without JavaScript (up and down buttons, a page
that refreshes itself while sending); `static/desk-composer.js` adds drag and drop and live
progress. An edition that is being sent or was sent is read-only: every POST to it is refused
with the reason (409).

The preview is the one response of the app that may be shown in a frame: the composer shows the
e-mail's HTML in an `<iframe sandbox>` of the same origin. Its own policy allows only that
(`frame-ancestors 'self'`), no script at all, and the inline styles every e-mail carries (the
app's policy forbids them elsewhere); the sandbox gives the frame a unique origin besides, so
even a partner's text that got through escaping could reach neither the desk's cookies nor its
pages.
"""

from __future__ import annotations

import logging

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from aggregator.accounts import Editor
from aggregator.exceptions import ConflictError, InvalidInput, NotFound, WireError
from aggregator.storage.audit import record_action
from aggregator.storage.deliveries import count_audience
from aggregator.storage.editions import (
    FROZEN_STATES,
    check_editable,
    find_edition,
    get_edition,
    has_copies,
    list_editions,
    move_entry,
    reorder_entries,
    save_intro,
)
from newsletter import i18n, progress
from newsletter.approval import approve_edition, send_time, withdraw_approval
from newsletter.compose import OTHER, THEME_SECTIONS
from newsletter.editions import NothingToDraft, draft_edition, load_edition
from newsletter.exceptions import SmtpUnavailable
from newsletter.ordering import blocks, checked_order, move_section, move_story
from newsletter.preview import preview_html
from newsletter.render import section_title
from newsletter.weeks import week_of
from wire.web import get_db
from wire.web.desk import blueprint
from wire.web.desk.auth import actor, current_editor, login_required

logger = logging.getLogger(__name__)

#: The preview's own policy: framed by the desk only, no script, the e-mail's inline styles, images only inline.
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'none'"
)
STATUS_CODES = {ConflictError: 409, InvalidInput: 400, NotFound: 404, SmtpUnavailable: 503}


def _config():
    return current_app.config["WIRE"]


def _language(value: str | None = None) -> str:
    """The language shown in the preview and the intro: asked for, else the editor's, else the first configured."""
    languages = _config().languages
    for candidate in (value, request.args.get("preview"), _editor().language):
        if candidate and candidate in languages:
            return candidate
    return languages[0]


def _editor() -> Editor:
    editor = current_editor()
    if editor is None:  # login_required ran first: never here
        abort(401)
    return editor


def _this_week() -> str:
    return week_of(current_app.config["WIRE_CLOCK"](), _config().zone)


@blueprint.get("/edition")
@login_required
def edition():
    """This week's edition, or a button to draft it."""
    found = find_edition(get_db(), _this_week())
    if found is not None:
        preview = request.args.get("preview")
        return redirect(url_for("desk.composer", edition_id=found["id"], **({"preview": preview} if preview else {})))
    return render_template("desk/edition_none.html", week=_this_week(), editions=list_editions(get_db())[:12])


@blueprint.post("/edition")
@login_required
def draft():
    """Draft this week's edition, as `wire edition draft` does; an edition that exists is shown, never redrafted."""
    db = get_db()
    existing = find_edition(db, _this_week())
    if existing is not None:  # a second click, or another editor was quicker: never redraft over the selection
        return redirect(url_for("desk.composer", edition_id=existing["id"]), code=303)
    try:
        edition_id = draft_edition(db, _config(), week=_this_week(), now=current_app.config["WIRE_CLOCK"]())
    except NothingToDraft:
        flash(_("Nothing was published this week yet: there is no edition to draft."), "error")
        return redirect(url_for("desk.edition"), code=303)
    except WireError as error:
        return _refused(error, None)
    record_action(db, actor(), "edition drafted", "edition", edition_id)
    return redirect(url_for("desk.composer", edition_id=edition_id), code=303)


@blueprint.get("/editions/<int:edition_id>")
@login_required
def composer(edition_id: int):
    return _page(edition_id)


def _page(edition_id: int, status: int = 200, error: str | None = None, intro_text: str | None = None):
    db = get_db()
    try:
        row = get_edition(db, edition_id)
    except NotFound:
        abort(404)
    language = _language(request.form.get("language") if request.method == "POST" else None)
    frozen = row["status"] in FROZEN_STATES or has_copies(db, edition_id)
    entries = {entry.story_id: entry for entry in load_edition(db, edition_id).entries}
    page_language = str(get_locale() or _editor().language)
    sections = [
        (key, section_title(key, page_language), [entries[story] for story in stories if story in entries])
        for key, stories in blocks(row["entries"])
    ]
    choices = [*THEME_SECTIONS, OTHER] if row["sections_by"] == "theme" else sorted({key for key, _, _ in sections})
    counts = progress.read_progress(db, _config(), edition_id)
    audience = count_audience(db)
    return (
        render_template(
            "desk/composer.html",
            edition=row,
            sections=sections,
            section_choices=[(key, section_title(key, page_language)) for key in choices],
            language=language,
            intro=row["intros"].get(language, "") if intro_text is None else intro_text,
            frozen=frozen,
            error=error,
            progress=counts,
            audience=audience,
            editor_email=_editor().email,
            zone=_config().timezone,
        ),
        status,
    )


def _refused(error: WireError, edition_id: int | None, **keep):
    """The composer again with the reason, the status that fits, and what the editor typed kept."""
    status = next((code for kind, code in STATUS_CODES.items() if isinstance(error, kind)), 400)
    if edition_id is None:
        abort(status, str(error))
    return _page(edition_id, status=status, error=str(error), **keep)


def _back(edition_id: int, anchor: str = ""):
    return redirect(
        url_for("desk.composer", edition_id=edition_id, preview=_language(request.form.get("language"))) + anchor,
        code=303,
    )


@blueprint.post("/editions/<int:edition_id>/order")
@login_required
def order(edition_id: int):
    """Move a story or a whole section up or down, or take a complete order (drag and drop)."""
    db = get_db()
    form = request.form
    try:
        entries = check_editable(db, edition_id)["entries"]
        step = {"up": -1, "down": 1}.get(form.get("move", ""), 0)
        if form.get("order"):
            try:
                wanted = [int(part) for part in form["order"].split(",") if part.strip()]
            except ValueError:
                raise InvalidInput("the new order is not a list of story numbers (reload the page)") from None
            new = checked_order(entries, wanted)
            anchor = ""
        elif form.get("story") and step:
            story = _int(form["story"])
            new = move_story(entries, story, step)
            anchor = f"#story-{story}"
        elif form.get("section") and step:
            new = move_section(entries, form["section"], step)
            anchor = f"#section-{form['section']}"
        else:
            raise InvalidInput("say which story or section to move, and up or down")
        reorder_entries(db, edition_id, new)
    except WireError as error:
        return _refused(error, edition_id)
    record_action(db, actor(), "edition order changed", "edition", edition_id, order=new)
    return _back(edition_id, anchor)


@blueprint.post("/editions/<int:edition_id>/section")
@login_required
def move_to_section(edition_id: int):
    """Put a story in another section, as `wire edition edit --section` does."""
    db = get_db()
    story, section = 0, request.form.get("section", "").strip()
    try:
        story = _int(request.form.get("story", ""))
        if not section:
            raise InvalidInput("choose a section")
        move_entry(db, edition_id, story, section=section)
        # the section's block must stay whole: the story joins the end of its new section
        entries = get_edition(db, edition_id)["entries"]
        reorder_entries(db, edition_id, checked_order(entries, [e["story_id"] for e in entries]))
    except WireError as error:
        return _refused(error, edition_id)
    record_action(db, actor(), "edition entry changed", "edition", edition_id, story=story, section=section)
    return _back(edition_id, f"#story-{story}")


@blueprint.post("/editions/<int:edition_id>/intro")
@login_required
def intro(edition_id: int):
    """The intro in one language, as `wire edition intro` saves it (blank lines separate paragraphs)."""
    language = request.form.get("language", "")
    text = request.form.get("intro", "").replace("\r\n", "\n").strip()
    try:
        if language not in _config().languages:
            raise InvalidInput(f"the edition is not rendered in {language!r}")
        save_intro(get_db(), edition_id, language, text)
    except WireError as error:
        return _refused(error, edition_id, intro_text=text)
    record_action(get_db(), actor(), "edition intro saved", "edition", edition_id, language=language)
    flash(_("Intro saved."), "done")
    return _back(edition_id, "#preview")


@blueprint.post("/editions/<int:edition_id>/test")
@login_required
def send_test_to_me(edition_id: int):
    """Send the edition as it stands, in the chosen language, to the editor's own address: `wire edition send --test`.

    The message goes through the sending code of the real send (same message builder, SMTP
    client, DKIM), its subject marked "[test]", and no delivery is recorded.
    """
    from newsletter.sending import send_test

    db = get_db()
    language = _language(request.form.get("language"))
    try:
        check_editable(db, edition_id)
        send_test(db, _config(), edition_id, _editor().email, language)
    except WireError as error:
        return _refused(error, edition_id)
    record_action(db, actor(), "edition test sent", "edition", edition_id, language=language)
    name = i18n.language_name(language, str(get_locale()))
    flash(_("A test in %(language)s was sent to %(email)s.", language=name, email=_editor().email), "done")
    return _back(edition_id, "#send")


@blueprint.post("/editions/<int:edition_id>/approve")
@login_required
def approve(edition_id: int):
    """Approve for a time (the schedule of `wire serve` or `wire run-once` sends it then), or withdraw."""
    db = get_db()
    try:
        check_editable(db, edition_id)
        if request.form.get("withdraw"):
            withdraw_approval(db, edition_id)
            record_action(db, actor(), "edition approval withdrawn", "edition", edition_id)
            flash(_("Approval withdrawn: the edition is a draft again."), "done")
            return _back(edition_id, "#send")
        if not request.form.get("at", "").strip():
            raise InvalidInput("give the time to send at, or use “Send now”")
        at = approve_edition(db, edition_id, send_time(request.form["at"], _config().zone))
    except WireError as error:
        return _refused(error, edition_id)
    record_action(db, actor(), "edition approved", "edition", edition_id, scheduled_at=at)
    flash(_("Approved: it will be sent at the chosen time."), "done")
    return _back(edition_id, "#send")


@blueprint.post("/editions/<int:edition_id>/send")
@login_required
def send_now(edition_id: int):
    """Approve for now and start the send in the background; the progress page follows it."""
    db = get_db()
    try:
        check_editable(db, edition_id)
        if not request.form.get("confirm"):
            raise InvalidInput("tick the box to confirm that the edition goes to every subscriber now")
        at = approve_edition(db, edition_id, current_app.config["WIRE_CLOCK"]())
    except WireError as error:
        return _refused(error, edition_id)
    record_action(db, actor(), "edition approved", "edition", edition_id, scheduled_at=at, now=True)
    progress.start_send(_config(), edition_id, actor())
    return redirect(url_for("desk.send_progress", edition_id=edition_id), code=303)


@blueprint.get("/editions/<int:edition_id>/progress")
@login_required
def send_progress(edition_id: int, status: int = 200, error: str | None = None):
    """Where the send stands; refreshes itself without JavaScript, updated live by `desk-composer.js`."""
    try:
        row = get_edition(get_db(), edition_id)
    except NotFound:
        abort(404)
    counts = progress.read_progress(get_db(), _config(), edition_id)
    return render_template("desk/edition_progress.html", edition=row, progress=counts, error=error), status


@blueprint.post("/editions/<int:edition_id>/resume")
@login_required
def resume_send(edition_id: int):
    """Send again what a stopped send left waiting (the server was down): the same `send_edition`, which resumes.

    Nothing is sent twice: delivered rows stay delivered, rows left in flight wait for an operator.
    """
    db = get_db()
    try:
        row = get_edition(db, edition_id)
        if row["status"] == "sent":
            raise ConflictError(f"edition {edition_id} ({row['week']}) was already sent to everyone")
        if row["status"] not in ("approved", "sending"):
            raise ConflictError(f"edition {edition_id} is not approved: approve it or send it from the composer")
    except NotFound:
        abort(404)
    except WireError as error:
        return send_progress(edition_id, status=409, error=str(error))
    record_action(db, actor(), "edition send resumed", "edition", edition_id)
    progress.start_send(_config(), edition_id, actor())
    return redirect(url_for("desk.send_progress", edition_id=edition_id), code=303)


@blueprint.get("/editions/<int:edition_id>/status.json")
@login_required
def send_status(edition_id: int):
    try:
        counts = progress.read_progress(get_db(), _config(), edition_id)
    except NotFound:
        abort(404)
    response = jsonify(counts.as_dict())
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/editions/<int:edition_id>/preview/<language>")
@login_required
def preview_frame(edition_id: int, language: str):
    """The e-mail's HTML in `language`, exactly as sent, for the composer's sandboxed frame."""
    try:
        html = preview_html(get_db(), _config(), edition_id, language)
    except NotFound:
        abort(404)
    except InvalidInput as error:
        abort(404, str(error))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"not a story number: {value!r}") from None
