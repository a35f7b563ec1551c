"""The editors' desk under /desk/: one blueprint, one view module per page family.

    auth.py         who is logged in: login_required, admin_required, current_editor(), actor()
    accounts.py     /login and /logout (blueprint `editors`: outside /desk/, open to everyone)
    sources.py      /desk/sources: health, pause and resume, feed URL, site recipes with "try it"
    subscribers.py  /desk/subscribers: counts, search by address, CSV export (admins)
    editors.py      /desk/editors: accounts (admins)

Every view of the `desk` blueprint needs a logged-in editor (a test walks the URL map to
check it). Pages speak the editor's chosen language, right to left for fa and ar; desk
responses are never cached (`no-store`). Forms carry Flask-WTF's CSRF token (the app's
CSRFProtect covers every POST); scripts send it as the `X-CSRFToken` header, read from the
`csrf-token` meta tag of desk/base.html.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, render_template, request
from flask_login import current_user
from werkzeug.exceptions import NotFound as NoRule

from aggregator.exceptions import ConflictError, NotFound, WireError
from wire.web.desk.auth import login_manager, login_required

blueprint = Blueprint("desk", __name__, url_prefix="/desk")

#: Per-client limit on POST /login (Flask-Limiter syntax); each account also locks itself (aggregator.lockout).
LOGIN_LIMIT = "20 per hour"
#: CSRF tokens last an editing evening, not Flask-WTF's default hour (the token is tied to the session).
CSRF_TIME_LIMIT = 12 * 3600

DESK_BLUEPRINTS = ("desk", "editors")


def init_desk(app: Flask, config) -> None:
    """Register the desk and its login pages on the app, with Flask-Login and a login rate limit.

    Call after `init_subscriber_forms`: the login limit uses the app's one Limiter.
    """
    from wire.web.desk.accounts import blueprint as login_pages

    secure = config.base_url.startswith("https:")
    app.config.update(
        REMEMBER_COOKIE_HTTPONLY=True,  # never set (no remember-me), but flagged like the session if it were
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
    )
    app.config.setdefault("DESK_LOGIN_LIMIT", LOGIN_LIMIT)
    app.config["WTF_CSRF_TIME_LIMIT"] = CSRF_TIME_LIMIT
    login_manager.init_app(app)
    app.register_blueprint(blueprint)
    app.register_blueprint(login_pages)
    if not any(rule.rule == "/desk/" for rule in app.url_map.iter_rules()):
        # the inbox owns /desk/; until it is there, a plain start page keeps the desk reachable
        app.add_url_rule("/desk/", endpoint="desk.home", view_func=login_required(_home))
    limiter = app.extensions["wire_limiter"]
    app.view_functions["editors.login"] = limiter.limit(lambda: app.config["DESK_LOGIN_LIMIT"], methods=["POST"])(
        app.view_functions["editors.login"]
    )

    @app.before_request
    def _editor_language():
        # the desk speaks the editor's language (page_language reads g.reader_language after ?lang=)
        if request.blueprint in DESK_BLUEPRINTS and current_user.is_authenticated:
            g.reader_language = current_user.editor.language

    @app.after_request
    def _never_store(response):
        if request.blueprint in DESK_BLUEPRINTS:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def _desk():
        if request.blueprint not in DESK_BLUEPRINTS:
            return {}
        return {"desk_editor": current_user.editor if current_user.is_authenticated else None, "desk_url": desk_url}


def desk_url(path: str) -> str | None:
    """The URL of a desk page given by path ('/desk/edition'), or None while no page answers there.

    The nav names pages by path, not endpoint, so the desk's parts can land in any order.
    """
    from flask import current_app

    adapter = current_app.url_map.bind("")
    try:
        adapter.match(path, method="GET")
    except NoRule:
        return None
    except Exception:  # noqa: BLE001 - a redirect (missing slash) or a method mismatch: the page is there
        return request.script_root + path
    return request.script_root + path


@blueprint.errorhandler(403)
def _forbidden(_error):
    from flask_babel import gettext

    return render_template("desk/base_problem.html", problem=gettext("This page is for admins.")), 403


@blueprint.errorhandler(WireError)
def _wire_error(error: WireError):
    """A library error on a desk page: its one-line message, with 404, 409 or 400."""
    status = 404 if isinstance(error, NotFound) else 409 if isinstance(error, ConflictError) else 400
    return render_template("desk/base_problem.html", problem=str(error)), status


def _home():
    return render_template("desk/base_home.html")


@blueprint.route("/language", methods=["POST"])
@login_required
def language():
    """The editor's page language, kept with their account; back to the page they were on."""
    from flask import current_app, redirect

    from aggregator.accounts import set_language
    from aggregator.exceptions import InvalidInput
    from wire.web import get_db

    try:
        set_language(
            get_db(), current_user.editor, request.form.get("language", ""), current_app.config["WIRE"].languages
        )
    except InvalidInput:
        pass  # not one of the list: the page stays in the language it was in
    back = request.form.get("next", "")
    return redirect(back if local_desk_path(back) else home_url(), code=303)


def home_url() -> str:
    """Where the desk starts: /desk/ (the inbox, or the start page until the inbox is there)."""
    return request.script_root + "/desk/"


def local_desk_path(path: str) -> bool:
    """A path on this site inside the desk (a safe place to send the editor back to)."""
    return path.startswith("/desk/") and not path.startswith("//") and "\\" not in path and "\n" not in path


# view modules register their routes on `blueprint`: one import line each, appended below
from wire.web.desk import (  # noqa: E402
    audit,  # noqa: F401
    composer,  # noqa: F401
    editors,  # noqa: F401
    inbox,  # noqa: F401
    partners,  # noqa: F401
    sources,  # noqa: F401
    stories,  # noqa: F401
    subscribers,  # noqa: F401
)
