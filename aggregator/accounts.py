"""Editors' accounts: add, remove, reset, log in, and the sessions behind the desk's cookie.

The one implementation the CLI (`wire editors`) and the desk's pages both call. A login
checks the lockout first (`aggregator.lockout`), then the argon2 hash; every refusal looks
the same and takes the time of one hash check, so the login form tells nobody whether an
address has an account or is locked. A session is a random id: the cookie holds it (signed
by Flask), the database its SHA-256, so logging out, removing an editor or resetting a
password revokes it on the server, whatever copy of the cookie is still around.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils
from email_validator import EmailNotValidError, validate_email

from aggregator import lockout
from aggregator.db import parse_iso
from aggregator.exceptions import ConflictError, InvalidInput
from aggregator.passwords import hash_password, verify_password, waste_time
from aggregator.storage import editors as store
from aggregator.storage.audit import record_action

logger = logging.getLogger(__name__)

ROLES = ("editor", "admin")
SESSION_IDLE = timedelta(hours=12)  # an evening's work, with a break, without logging in again
SESSION_MAX = timedelta(days=7)  # then log in again, whatever
TOUCH_EVERY = timedelta(minutes=5)  # write last_seen_at at most this often: a page view is a read


@dataclass(frozen=True)
class Editor:
    """The logged-in editor as pages see them (never the password hash)."""

    id: int
    email: str
    role: str
    language: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def editor_email(text: str) -> str:
    """The address in the form it is stored and looked up: validated (syntax only) and lower-cased."""
    try:
        return validate_email((text or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput(f"not an e-mail address: {text!r}") from None


def add_account(
    db: sqlite_utils.Database,
    email: str,
    password: str,
    *,
    admin: bool = False,
    language: str = "en",
    actor: str,
    now: datetime,
) -> int:
    """Create an editor (an admin with `admin`); InvalidInput for a bad address or password."""
    email = editor_email(email)
    role = "admin" if admin else "editor"
    editor_id = store.add_editor(db, email, hash_password(password), role, language, now)
    record_action(db, actor, "editor added", "editor", editor_id, email=email, role=role)
    return editor_id


def remove_account(db: sqlite_utils.Database, email: str, *, actor: str, now: datetime) -> int:
    """Disable an editor and revoke their sessions; return how many were open. The last admin stays."""
    editor = store.get_editor(db, editor_email(email))
    if editor["role"] == "admin" and store.count_admins(db) <= 1:
        raise ConflictError(f"{editor['email']} is the last admin; add another admin first")
    revoked = store.disable_editor(db, editor["id"], now)
    record_action(db, actor, "editor removed", "editor", editor["id"], email=editor["email"], sessions=revoked)
    return revoked


def reset_password(db: sqlite_utils.Database, email: str, password: str, *, actor: str, now: datetime) -> int:
    """Set a new password, unlock the account and revoke its sessions; return how many were open."""
    editor = store.get_editor(db, editor_email(email))
    revoked = store.set_password_hash(db, editor["id"], hash_password(password), now)
    record_action(db, actor, "editor password reset", "editor", editor["id"], email=editor["email"], sessions=revoked)
    return revoked


def new_password() -> str:
    """A one-time password for an admin to hand over: five words' worth of randomness, easy to type."""
    return "-".join(secrets.token_urlsafe(5) for _ in range(4))


def authenticate(db: sqlite_utils.Database, email: str, password: str, now: datetime) -> Editor | None:
    """The editor if the password is right and the account is not waiting; None for every other case alike."""
    try:
        address = editor_email(email)
    except InvalidInput:
        waste_time(password)
        return None
    row = store.find_editor_for_login(db, address)
    if row is None:
        waste_time(password)
        return None
    locked_until = parse_iso(row["locked_until"])
    if locked_until is not None and locked_until > now:
        waste_time(password)  # not checked, not counted: see aggregator.lockout
        return None
    right, new_hash = verify_password(row["password_hash"], password)
    if not right:
        failures = store.count_failed_logins(db, row["id"]) + 1
        wait = lockout.wait_after(failures)
        store.record_failed_login(db, row["id"], now + wait if wait else None)
        if failures == lockout.LOCK_AFTER:
            logger.warning("editor %s locked for %s after %s failed logins", row["id"], wait, failures)
            record_action(db, "login", "editor locked", "editor", row["id"], failures=failures)
        return None
    store.record_login(db, row["id"], now, new_hash)
    editor = store.get_editor(db, address)
    return Editor(editor["id"], editor["email"], editor["role"], editor["language"])


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db: sqlite_utils.Database, editor: Editor, now: datetime) -> str:
    """A new session for the editor; the returned random id goes into the cookie and nowhere else."""
    token = secrets.token_urlsafe(32)
    store.delete_dead_sessions(db, editor.id, now - SESSION_MAX)  # the table keeps only what may still be used
    store.create_session(db, editor.id, token_digest(token), now)
    return token


def session_editor(db: sqlite_utils.Database, token: str, now: datetime) -> Editor | None:
    """The editor of an open session, or None when it is unknown, revoked, idle too long or too old."""
    row = store.find_session(db, token_digest(token))
    if row is None:
        return None
    created, seen = parse_iso(row["session_created_at"]), parse_iso(row["last_seen_at"])
    if created is None or seen is None or now - seen > SESSION_IDLE or now - created > SESSION_MAX:
        store.revoke_session(db, token_digest(token), now)
        return None
    if now - seen > TOUCH_EVERY:
        store.touch_session(db, row["session_id"], now)
    return Editor(row["id"], row["email"], row["role"], row["language"])


def list_accounts(db: sqlite_utils.Database, now: datetime) -> list[dict]:
    """Active editors (no password hashes), admins first, with how many of their sessions can still be used."""
    return store.list_editors(db, seen_since=now - SESSION_IDLE, created_since=now - SESSION_MAX)


def close_session(db: sqlite_utils.Database, token: str, now: datetime) -> None:
    store.revoke_session(db, token_digest(token), now)


def set_language(db: sqlite_utils.Database, editor: Editor, language: str, languages: tuple[str, ...]) -> None:
    """The editor's page language, one of the configured edition languages (recorded as their own change)."""
    if language not in languages:
        raise InvalidInput(f"language {language!r} is not one of {', '.join(languages)}")
    store.set_editor_language(db, editor.id, language)
    record_action(db, editor.email, "editor language", "editor", editor.id, language=language)
