"""/desk/editors (admins): the accounts, with what `wire editors add|remove|reset` do.

A new account or a reset gets a one-time password made here (`aggregator.accounts.new_password`),
shown once on the answer page and never stored in a cookie or a flash message (Flask's
session cookie is signed, not encrypted); the admin hands it over and the editor keeps it
or asks for another reset. Removing or resetting revokes the editor's sessions at once.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from aggregator.accounts import add_account, list_accounts, new_password, remove_account, reset_password
from aggregator.exceptions import ConflictError, InvalidInput, NotFound
from wire.web import get_db
from wire.web.desk import blueprint
from wire.web.desk.auth import actor, admin_required


def _now():
    return current_app.config["WIRE_CLOCK"]()


def _page(status: int = 200, **context):
    context.setdefault("error", None)
    context.setdefault("handed_over", None)
    context.setdefault("form", {"email": "", "role": "editor", "language": "en"})
    return render_template("desk/editors.html", editors=list_accounts(get_db(), _now()), **context), status


@blueprint.route("/editors")
@admin_required
def editors():
    return _page()


@blueprint.route("/editors", methods=["POST"])
@admin_required
def add_editor():
    """A new account with a one-time password shown once."""
    form = {
        "email": request.form.get("email", "").strip(),
        "role": request.form.get("role", "editor"),
        "language": request.form.get("language", "en"),
    }
    password = new_password()
    try:
        if form["language"] not in current_app.config["WIRE"].languages:
            raise InvalidInput(f"language {form['language']!r} is not one of the edition languages")
        add_account(
            get_db(),
            form["email"],
            password,
            admin=form["role"] == "admin",
            language=form["language"],
            actor=actor(),
            now=_now(),
        )
    except (InvalidInput, ConflictError) as error:
        return _page(400, error=str(error), form=form)
    return _page(handed_over={"email": form["email"].lower(), "password": password})


@blueprint.route("/editors/reset", methods=["POST"])
@admin_required
def reset_editor():
    """A new one-time password; the editor's sessions end."""
    email = request.form.get("email", "")
    password = new_password()
    try:
        reset_password(get_db(), email, password, actor=actor(), now=_now())
    except (InvalidInput, NotFound) as error:
        return _page(400, error=str(error))
    return _page(handed_over={"email": email, "password": password})


@blueprint.route("/editors/remove", methods=["POST"])
@admin_required
def remove_editor():
    """Remove an account (the last admin stays); the editor's sessions end."""
    try:
        remove_account(get_db(), request.form.get("email", ""), actor=actor(), now=_now())
    except (InvalidInput, NotFound, ConflictError) as error:
        return _page(400, error=str(error))
    flash(gettext("Removed; their sessions have ended."), "ok")
    return redirect(url_for("desk.editors"), code=303)
