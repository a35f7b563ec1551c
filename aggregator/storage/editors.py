"""Editors' accounts and their server-side sessions: the only SQL for either.

Only hashes are stored: argon2 for passwords, SHA-256 for session ids (the id itself is in
the editor's signed cookie). Removing an editor disables the row instead of deleting it, so
that translations and editions that name them keep their author; the address can be added
again later.
"""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from aggregator.db import iso, row_id, writing
from aggregator.exceptions import ConflictError, NotFound

#: What the desk and the CLI may read about an editor (never the password hash).
PUBLIC_COLUMNS = "id, email, name, role, language, failed_logins, locked_until, last_login_at, created_at"


def add_editor(
    db: sqlite_utils.Database, email: str, password_hash: str, role: str, language: str, now: datetime
) -> int:
    """Store a new editor (or bring back a removed one at that address); ConflictError if it is in use."""
    existing = next(db.query("SELECT id, disabled FROM editors WHERE email = ?", [email]), None)
    if existing and not existing["disabled"]:
        raise ConflictError(f"{email} is already an editor (`wire editors reset {email}` sets a new password)")
    values = {
        "email": email,
        "name": email.split("@")[0],
        "password_hash": password_hash,
        "role": role,
        "language": language,
        "failed_logins": 0,
        "locked_until": None,
        "disabled": 0,
    }
    with writing(db):
        if existing:
            db.table("editors").update(existing["id"], values)
            return int(existing["id"])
        return row_id(db.table("editors").insert({**values, "created_at": iso(now)}).last_pk)


def get_editor(db: sqlite_utils.Database, email: str) -> dict:
    """The active editor at this address (without the password hash); NotFound otherwise."""
    row = next(
        db.query(f"SELECT {PUBLIC_COLUMNS} FROM editors WHERE email = ? AND disabled = 0", [email]),
        None,
    )
    if row is None:
        raise NotFound(f"no editor with the address {email} (`wire editors list` shows them)")
    return row


def find_editor_for_login(db: sqlite_utils.Database, email: str) -> dict | None:
    """The active editor at this address with the password hash and lock state, or None."""
    return next(
        db.query(
            "SELECT id, email, password_hash, failed_logins, locked_until FROM editors "
            "WHERE email = ? AND disabled = 0",
            [email],
        ),
        None,
    )


def list_editors(db: sqlite_utils.Database, seen_since: datetime, created_since: datetime) -> list[dict]:
    """Active editors, admins first, each with the number of sessions open (seen and made since these times)."""
    return list(
        db.query(
            f"""SELECT {", ".join("e." + c for c in PUBLIC_COLUMNS.split(", "))},
                   (SELECT count(*) FROM editor_sessions s
                     WHERE s.editor_id = e.id AND s.revoked_at IS NULL
                       AND s.last_seen_at >= ? AND s.created_at >= ?) AS sessions
              FROM editors e WHERE e.disabled = 0 ORDER BY e.role = 'admin' DESC, e.email""",
            [iso(seen_since), iso(created_since)],
        )
    )


def count_admins(db: sqlite_utils.Database) -> int:
    return int(next(db.query("SELECT count(*) AS n FROM editors WHERE role = 'admin' AND disabled = 0"))["n"])


def disable_editor(db: sqlite_utils.Database, editor_id: int, now: datetime) -> int:
    """Disable the account, forget its password and revoke its sessions; return the sessions revoked."""
    with writing(db):
        db.execute(
            "UPDATE editors SET disabled = 1, password_hash = NULL, failed_logins = 0, locked_until = NULL "
            "WHERE id = ?",
            [editor_id],
        )
        return revoke_editor_sessions(db, editor_id, now)


def set_password_hash(db: sqlite_utils.Database, editor_id: int, password_hash: str, now: datetime) -> int:
    """Store a new password, unlock the account and revoke its sessions; return the sessions revoked."""
    with writing(db):
        db.execute(
            "UPDATE editors SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
            [password_hash, editor_id],
        )
        return revoke_editor_sessions(db, editor_id, now)


def set_editor_language(db: sqlite_utils.Database, editor_id: int, language: str) -> None:
    with writing(db):
        db.execute("UPDATE editors SET language = ? WHERE id = ?", [language, editor_id])


def record_failed_login(db: sqlite_utils.Database, editor_id: int, locked_until: datetime | None) -> int:
    """Count one more failure in a row and store the wait that follows it; return the new count."""
    with writing(db):
        db.execute(
            "UPDATE editors SET failed_logins = failed_logins + 1, locked_until = ? WHERE id = ?",
            [iso(locked_until), editor_id],
        )
        return int(next(db.query("SELECT failed_logins FROM editors WHERE id = ?", [editor_id]))["failed_logins"])


def count_failed_logins(db: sqlite_utils.Database, editor_id: int) -> int:
    return int(next(db.query("SELECT failed_logins FROM editors WHERE id = ?", [editor_id]))["failed_logins"])


def record_login(db: sqlite_utils.Database, editor_id: int, now: datetime, new_hash: str | None = None) -> None:
    """A successful login: failures back to zero, and the re-hashed password when parameters changed."""
    with writing(db):
        db.execute(
            "UPDATE editors SET failed_logins = 0, locked_until = NULL, last_login_at = ?, "
            "password_hash = coalesce(?, password_hash) WHERE id = ?",
            [iso(now), new_hash, editor_id],
        )


def create_session(db: sqlite_utils.Database, editor_id: int, token_hash: str, now: datetime) -> int:
    with writing(db):
        return row_id(
            db.table("editor_sessions")
            .insert(
                {"token_hash": token_hash, "editor_id": editor_id, "created_at": iso(now), "last_seen_at": iso(now)}
            )
            .last_pk
        )


def delete_dead_sessions(db: sqlite_utils.Database, editor_id: int, created_before: datetime) -> int:
    """Forget an editor's revoked sessions and those too old to be used; return how many went."""
    with writing(db):
        return db.execute(
            "DELETE FROM editor_sessions WHERE editor_id = ? AND (revoked_at IS NOT NULL OR created_at < ?)",
            [editor_id, iso(created_before)],
        ).rowcount


def find_session(db: sqlite_utils.Database, token_hash: str) -> dict | None:
    """The open session with this hash and its active editor, or None (revoked, unknown, editor removed)."""
    return next(
        db.query(
            """SELECT s.id AS session_id, s.created_at AS session_created_at, s.last_seen_at,
                      e.id, e.email, e.role, e.language
                 FROM editor_sessions s JOIN editors e ON e.id = s.editor_id
                WHERE s.token_hash = ? AND s.revoked_at IS NULL AND e.disabled = 0""",
            [token_hash],
        ),
        None,
    )


def touch_session(db: sqlite_utils.Database, session_id: int, now: datetime) -> None:
    with writing(db):
        db.execute("UPDATE editor_sessions SET last_seen_at = ? WHERE id = ?", [iso(now), session_id])


def revoke_session(db: sqlite_utils.Database, token_hash: str, now: datetime) -> None:
    with writing(db):
        db.execute(
            "UPDATE editor_sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            [iso(now), token_hash],
        )


def revoke_editor_sessions(db: sqlite_utils.Database, editor_id: int, now: datetime) -> int:
    """Revoke every open session of an editor; return how many."""
    with writing(db):
        cursor = db.execute(
            "UPDATE editor_sessions SET revoked_at = ? WHERE editor_id = ? AND revoked_at IS NULL",
            [iso(now), editor_id],
        )
        return cursor.rowcount
