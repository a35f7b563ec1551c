"""The public archive: every sent edition as a page per language, an index, and Atom feeds.

Archive pages carry no subscriber data: the links that would hold a reader's token lead
to the general pages instead.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, g, render_template

from aggregator.storage.editions import find_edition, list_editions
from newsletter.atom import editions_feed
from newsletter.editions import load_edition
from newsletter.i18n import direction, language_name, translations
from newsletter.render import personalise, render_edition

blueprint = Blueprint("archive", __name__, template_folder="templates")

#: The MJML output styles itself inline; it runs no script.
ARCHIVE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'"


def _sent(db) -> list[dict]:
    return [row for row in list_editions(db) if row["status"] == "sent"]


@blueprint.get("/editions/")
def index():
    config = current_app.config["WIRE"]
    return render_template("archive/index.html", editions=_sent(g.db), languages=config.languages,
                           language_name=lambda code: language_name(code, code), direction=direction)


@blueprint.get("/editions/<week>/<language>")
def edition_page(week, language):
    config = current_app.config["WIRE"]
    row = find_edition(g.db, week)
    if row is None or row["status"] != "sent" or language not in config.languages:
        abort(404)
    rendered = render_edition(load_edition(g.db, row["id"]), language, config.site_name, config.base_url, config.zone)
    response = Response(personalise(rendered.html, ""), mimetype="text/html")
    response.headers["Content-Security-Policy"] = ARCHIVE_CSP
    return response


@blueprint.get("/editions/<language>.atom")
def atom(language):
    config = current_app.config["WIRE"]
    if language not in config.languages:
        abort(404)
    entries = []
    for row in _sent(g.db):
        rendered = render_edition(load_edition(g.db, row["id"]), language, config.site_name, config.base_url, config.zone)
        entries.append({"week": row["week"], "sent_at": row["sent_at"] or row["updated_at"],
                        "subject": rendered.subject, "summary": rendered.preheader})
    title = translations(language).gettext("%(site)s: %(week)s") % {"site": config.site_name, "week": ""}
    body = editions_feed(entries, language, config.base_url, config.site_name, title.rstrip(": ").strip())
    return Response(body, mimetype="application/atom+xml")
