"""/login and /logout for editors (blueprint `editors`, outside /desk/ so that it is open to all).

A refused login answers with one message and status, whatever the reason (unknown address,
wrong password, account waiting after failures), after the work of one password check
(`aggregator.accounts.authenticate`), so the form tells nobody who has an account. POST
/login is also limited per client by the app's Flask-Limiter (set up in `init_desk`).
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, redirect, render_template, request, session
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from aggregator.accounts import authenticate, close_session, open_session
from wire.web import get_db
from wire.web.desk import home_url, local_desk_path
from wire.web.desk.auth import DeskUser

logger = logging.getLogger(__name__)

blueprint = Blueprint("editors", __name__)


def _now():
    return current_app.config["WIRE_CLOCK"]()


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """GET: the form. POST: check the address and password, open a session, go to the desk (or `next`)."""
    target = request.values.get("next", "")
    target = target if local_desk_path(target) else home_url()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(target, code=303)
        return render_template("desk/login.html", email="", next=target, error=None)
    email = request.form.get("email", "")
    editor = authenticate(get_db(), email, request.form.get("password", ""), _now())
    if editor is None:
        error = gettext("Wrong address or password, or too many tries: wait a few minutes and try again.")
        return render_template("desk/login.html", email=email, next=target, error=error), 401
    token = open_session(get_db(), editor, _now())
    session.clear()  # nothing from before the login (a CSRF token included) carries over into the session
    login_user(DeskUser(editor, token), remember=False)
    logger.info("editor %s logged in", editor.id)
    return redirect(target, code=303)


@blueprint.route("/logout", methods=["POST"])
def logout():
    """Revoke the session on the server, then forget the cookie's contents."""
    if current_user.is_authenticated:
        close_session(get_db(), current_user.token, _now())
        logout_user()
    session.clear()
    return redirect(request.script_root + "/login", code=303)
