"""Pages for subscribers: unsubscribe (one click from the mail client, a confirm button in the browser)
and language preferences. Only the secret token in the link identifies the reader, so pages that
carry one are never stored by a browser or a proxy (`Cache-Control: no-store`)."""

from __future__ import annotations

from flask import Blueprint, abort, after_this_request, current_app, render_template, request
from flask_babel import gettext

from aggregator.storage.audit import record_action
from aggregator.storage.subscribers import find_subscriber, set_subscriber_language, unsubscribe
from wire.web import get_db

blueprint = Blueprint("subscribers", __name__, template_folder="templates")


def _no_store() -> None:
    @after_this_request
    def _header(response):
        response.headers["Cache-Control"] = "no-store"
        return response


def _subscriber(token: str) -> dict | None:
    subscriber = find_subscriber(get_db(), token) if len(token) >= 16 else None
    return subscriber if subscriber is not None and subscriber["token"] == token else None


@blueprint.route("/unsubscribe/", methods=["GET"])
@blueprint.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe_page(token=None):
    """GET shows a button (link scanners must not unsubscribe anyone); POST, also RFC 8058's, does it."""
    if token is None:
        return render_template("subscribers/unsubscribe.html", state="no-token")
    _no_store()
    subscriber = _subscriber(token)
    if subscriber is None:
        return render_template("subscribers/unsubscribe.html", state="unknown"), 404
    if request.method == "POST":
        unsubscribe(get_db(), token)
        record_action(get_db(), "subscriber", "unsubscribed", "subscriber", subscriber["id"])
        return render_template("subscribers/unsubscribe.html", state="done")
    return render_template("subscribers/unsubscribe.html", state="confirm", token=token)


@blueprint.get("/subscription/")
def preferences_help():
    """Where "Change language" leads from a public copy of an edition: how to reach one's own page."""
    return render_template("subscribers/preferences_help.html")


@blueprint.route("/subscription/<token>", methods=["GET", "POST"])
def preferences(token):
    config = current_app.config["WIRE"]
    _no_store()
    subscriber = _subscriber(token)
    if subscriber is None:
        abort(404)
    error = saved = None
    if request.method == "POST":
        language = request.form.get("language", "")
        if language not in config.languages:
            error = gettext("Unknown language %(code)s: choose one of the list.", code=repr(language))
        else:
            set_subscriber_language(get_db(), subscriber["id"], language)
            subscriber["language"], saved = language, True
    return render_template("subscribers/preferences.html", subscriber=subscriber, error=error, saved=saved)
