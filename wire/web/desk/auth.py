"""Who is at the desk: Flask-Login over the server-side sessions of `aggregator.accounts`.

Flask-Login keeps the session's random id in Flask's signed cookie (as its "user id");
every request looks it up, so a revoked session (logout, `wire editors remove|reset`) is
logged out at once, whatever copy of the cookie is replayed. The remember-me cookie is
never set. Other desk modules use exactly: `login_required`, `admin_required`,
`current_editor()` and `actor()`.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g
from flask_login import LoginManager, UserMixin, current_user, login_required

from aggregator.accounts import Editor, session_editor

__all__ = ["actor", "admin_required", "current_editor", "login_manager", "login_required", "DeskUser"]

login_manager = LoginManager()
login_manager.login_view = "editors.login"
login_manager.login_message = None  # the login page says enough; a flashed message would need translating twice
login_manager.session_protection = "basic"


class DeskUser(UserMixin):
    """Flask-Login's user: the editor plus the session's random id, which is what the cookie carries."""

    def __init__(self, editor: Editor, token: str):
        self.editor, self.token = editor, token

    def get_id(self) -> str:
        return self.token

    def __getattr__(self, name):  # .id, .email, .role, .language, .is_admin
        return getattr(self.editor, name)


@login_manager.user_loader
def _load(token: str) -> DeskUser | None:
    from wire.web import get_db

    editor = session_editor(get_db(), token, current_app.config["WIRE_CLOCK"]())
    if editor is None:
        return None
    g.desk_session = token
    return DeskUser(editor, token)


def current_editor() -> Editor:
    """The logged-in editor (`.id`, `.email`, `.role`, `.language`, `.is_admin`) of a `login_required` view.

    Outside a logged-in request it raises RuntimeError: a view that forgot `login_required` fails loudly.
    """
    if not current_user.is_authenticated:
        raise RuntimeError("current_editor() outside a logged-in request (is the view login_required?)")
    return current_user.editor


def actor() -> str:
    """Who to name in audit_log for a change made through the desk: the editor's address."""
    return current_editor().email


def admin_required(view):
    """Like `login_required`, and 403 for an editor who is not an admin."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.editor.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
