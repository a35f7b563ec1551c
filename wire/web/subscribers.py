"""Pages for subscribers: unsubscribe (one click from the mail client, a confirm button in the browser)
and language preferences. Only the secret token in the link identifies the reader."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template, request

from aggregator.storage.audit import record_action
from aggregator.storage.subscribers import find_subscriber, set_subscriber_language, unsubscribe
from newsletter.i18n import language_name

blueprint = Blueprint("subscribers", __name__, template_folder="templates")


@blueprint.route("/unsubscribe/", methods=["GET"])
@blueprint.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe_page(token=None):
    """GET shows a button (link scanners must not unsubscribe anyone); POST, also RFC 8058's, does it."""
    if token is None:
        return render_template("subscribers/unsubscribe.html", state="no-token")
    subscriber = find_subscriber(g.db, token) if len(token) >= 16 else None
    if subscriber is None or subscriber["token"] != token:
        return render_template("subscribers/unsubscribe.html", state="unknown"), 404
    if request.method == "POST":
        unsubscribe(g.db, token)
        record_action(g.db, "subscriber", "unsubscribed", "subscriber", subscriber["id"])
        return render_template("subscribers/unsubscribe.html", state="done")
    return render_template("subscribers/unsubscribe.html", state="confirm", token=token)


@blueprint.route("/subscription/<token>", methods=["GET", "POST"])
def preferences(token):
    config = current_app.config["WIRE"]
    subscriber = find_subscriber(g.db, token) if len(token) >= 16 else None
    if subscriber is None or subscriber["token"] != token:
        abort(404)
    error = saved = None
    if request.method == "POST":
        language = request.form.get("language", "")
        if language not in config.languages:
            error = f"Unknown language {language!r}: choose one of the list."
        else:
            set_subscriber_language(g.db, subscriber["id"], language)
            subscriber["language"], saved = language, True
    return render_template("subscribers/preferences.html", subscriber=subscriber, languages=config.languages,
                           error=error, saved=saved, language_name=language_name)
