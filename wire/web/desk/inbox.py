"""/desk/: the inbox. This week's stories with their reports, filters as GET parameters, triage.

Filters are GET parameters (`?language=tr&theme=hunger-strike&status=new&q=...`), so a filtered
view is a link an editor can send to another. Triage (select, reject, pin, unpin) is one form
around the list: a button per story, and checkboxes with buttons for the checked ones (bulk),
all without JavaScript; `static/desk-inbox.js` adds the keyboard (j/k move, s select, x reject)
and sends the same form by fetch. The library does the work: `aggregator.inbox.load_inbox`
reads, `newsletter.triage.triage_stories` decides, each change audited with its undo.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from aggregator.exceptions import ConflictError, InvalidInput, WireError
from aggregator.inbox import InboxFilters, InboxStory, load_inbox
from aggregator.storage.desk import STATUSES, list_partners
from aggregator.storage.editions import find_edition
from aggregator.tagging import default_taxonomy
from newsletter.triage import ACTIONS, triage_stories
from newsletter.weeks import week_bounds, week_of
from wire.web import get_db
from wire.web.desk import blueprint, local_desk_path
from wire.web.desk.auth import actor, login_required

#: The GET parameters of a filtered view, in the order links write them.
FILTERS = ("week", "language", "partner", "country", "theme", "status", "q")

#: Reports shown per story in the inbox; the others are counted, with a link to the story page.
REPORTS_SHOWN = 3

#: Stories a page: with 100,000 items stored a page of 50 cost the server 36 ms of CPU, one of 25
#: costs 20-23 ms (benchmarks/desk_pages.py); editors walk the list with j/k, the next page a link away.
STORIES_PER_PAGE = 25


def this_week() -> str:
    return week_of(current_app.config["WIRE_CLOCK"](), current_app.config["WIRE"].zone)


def chosen_week(value: str | None) -> str:
    """The week asked for (checked), else this week."""
    if value:
        week_bounds(value, current_app.config["WIRE"].zone)  # InvalidInput names a bad one
        return value
    return this_week()


def tag_choices(kind: str, language: str) -> list[tuple[str, str]]:
    """(tag id, label in `language`) of the taxonomy's tags of one kind, by label."""
    return sorted(
        (
            (tag.id, tag.labels.get(language) or tag.labels.get("en") or tag.id)
            for tag in default_taxonomy()
            if tag.kind == kind
        ),
        key=lambda pair: pair[1].casefold(),
    )


class TagLabels(dict):
    """Tag id -> its label; a tag the taxonomy no longer has shows as its id (`labels[tag]` in templates)."""

    def __missing__(self, tag: str) -> str:
        return tag

    def join(self, tags: list[str]) -> str:
        """The tags' labels, comma-separated (plain text: the template escapes it)."""
        return ", ".join([self[tag] for tag in tags])


def tag_labels(language: str) -> TagLabels:
    return TagLabels((tag.id, tag.labels.get(language) or tag.labels.get("en") or tag.id) for tag in default_taxonomy())


def more_reports(stories: list[InboxStory]) -> dict[int, str]:
    """'and N more reports' for each N the page needs: translated once per number, not once per story."""
    hidden = {len(story.items) - REPORTS_SHOWN for story in stories if len(story.items) > REPORTS_SHOWN}
    return {n: ngettext("and %(num)d more report", "and %(num)d more reports", n) for n in sorted(hidden)}


def _filters(args) -> InboxFilters:
    partner = args.get("partner", "")
    page = args.get("page", "1")
    if partner and not partner.isdigit():
        raise InvalidInput(f"partner: expected a partner's number, got {partner!r}")
    if not page.isdigit():
        raise InvalidInput(f"page: expected a page number, got {page!r}")
    return InboxFilters(
        language=args.get("language") or None,
        partner_id=int(partner) if partner else None,
        country=args.get("country") or None,
        theme=args.get("theme") or None,
        status=args.get("status") or None,
        search=args.get("q") or None,
        page=int(page),
    ).check()


@blueprint.get("/")
@login_required
def inbox():
    """The week's stories (or a search across all weeks), filtered, a page at a time."""
    from flask_babel import get_locale

    db = get_db()
    language = str(get_locale())
    values = {key: request.args.get(key, "") for key in FILTERS}
    error = None
    try:
        week = chosen_week(values["week"] or None)
        filters = _filters(request.args)
    except InvalidInput as problem:
        error, week, filters = str(problem), this_week(), InboxFilters()
    start, end = week_bounds(week, current_app.config["WIRE"].zone)
    edition = find_edition(db, week)
    page = load_inbox(db, filters, start, end, edition["id"] if edition else None, per_page=STORIES_PER_PAGE)
    here = {key: value for key, value in values.items() if value}

    def page_url(number: int) -> str:
        return url_for("desk.inbox") + "?" + urlencode({**here, "page": number})

    def week_url(other: str) -> str:
        """The same filters in another week (its first page)."""
        return url_for("desk.inbox") + "?" + urlencode({**here, "week": other})

    zone = current_app.config["WIRE"].zone
    weeks = {"previous": week_of(start - timedelta(hours=1), zone), "next": week_of(end + timedelta(hours=1), zone)}

    return (
        render_template(
            "desk/inbox.html",
            page=page,
            week=week,
            this_week=this_week(),
            edition=edition,
            values=values,
            error=error,
            statuses=STATUSES,
            partners=list_partners(db),
            countries=tag_choices("country", language),
            themes=tag_choices("theme", language),
            labels=tag_labels(language),
            # translated once and formatted per story, rather than a catalog lookup per story
            check_label=_("Check story %(number)d"),
            reports_shown=REPORTS_SHOWN,
            more_reports=more_reports(page.stories),
            page_url=page_url,
            week_url=week_url,
            weeks=weeks,
            back=request.full_path if request.query_string else request.path,
        ),
        400 if error else 200,
    )


@blueprint.post("/triage")
@login_required
def triage():
    """Select, reject, pin or unpin one story (its own button) or every checked one (bulk); back to the view.

    A script asking for JSON (the keyboard) gets the stories' new status instead of a redirect.
    """
    form = request.form
    wants_json = request.accept_mimetypes.best == "application/json"
    one = form.get("one", "")
    if one:
        story, _sep, action = one.partition(":")
        ids = [story]
    else:
        action, ids = form.get("action", ""), form.getlist("story")
    back = form.get("next", "")
    back = back if local_desk_path(back) else url_for("desk.inbox")
    try:
        if action not in ACTIONS:
            raise InvalidInput(f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
        if not ids:
            raise InvalidInput(_("Check at least one story first."))
        if not all(value.isdigit() for value in ids):
            raise InvalidInput(f"story: expected story numbers, got {', '.join(ids)!r}")
        week = chosen_week(form.get("week") or None)
        changed = triage_stories(get_db(), [int(value) for value in ids], action, week, actor())
    except WireError as error:
        if wants_json:
            return jsonify(error=str(error)), 409 if isinstance(error, ConflictError) else 400
        flash(str(error), "error")
        return redirect(back, code=303)
    if wants_json:
        status = {"select": "selected", "reject": "rejected", "pin": "pinned", "unpin": "selected"}[action]
        return jsonify(stories=[int(value) for value in ids], status=status, changed=changed)
    words = {
        "select": ngettext("%(num)d story selected.", "%(num)d stories selected.", changed),
        "reject": ngettext("%(num)d story rejected.", "%(num)d stories rejected.", changed),
        "pin": ngettext("%(num)d story pinned.", "%(num)d stories pinned.", changed),
        "unpin": ngettext("%(num)d story unpinned.", "%(num)d stories unpinned.", changed),
    }
    flash(words[action], "ok")
    anchor = f"#story-{ids[0]}" if one else ""
    return redirect(back + anchor, code=303)
