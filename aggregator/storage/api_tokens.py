"""Partners' API tokens: issue (shown once), find by the token a request carries, revoke.

Only the SHA-256 of a token is stored. A token is `sw_` followed by 32 random bytes in
URL-safe base64: the prefix lets a secret scanner (or a partner reading a config file)
recognise it, and the randomness makes a salted or stretched hash unnecessary. Each
registration has at most one live token: issuing a new one revokes the others. A token
may change sources only once verified (tied to the contact address; see m015_api_tokens).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlite_utils

from aggregator.db import iso, writing

PREFIX = "sw_"


def token_hash(token: str) -> str:
    """What is stored for `token` (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(db: sqlite_utils.Database, registration_id: int, now: datetime, verified: bool = False) -> str:
    """Revoke the registration's tokens and return a new one (the only time anyone sees it).

    `verified`: the token is tied to the contact address (an editor issues it, or it replaces
    a verified one); the token a registration answers is not, until `verify_token`.
    """
    token = PREFIX + secrets.token_urlsafe(32)
    with writing(db):
        db.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE registration_id = ? AND revoked_at IS NULL",
            [iso(now), registration_id],
        )
        db.table("api_tokens").insert(
            {
                "registration_id": registration_id,
                "token_hash": token_hash(token),
                "created_at": iso(now),
                "verified_at": iso(now) if verified else None,
            }
        )
    return token


def verify_token(db: sqlite_utils.Database, token_id: int, now: datetime) -> None:
    """Tie a token to the contact address: its holder showed the code we e-mailed there."""
    with writing(db):
        db.execute("UPDATE api_tokens SET verified_at = coalesce(verified_at, ?) WHERE id = ?", [iso(now), token_id])


def find_token(db: sqlite_utils.Database, token: str) -> dict | None:
    """The live token row (with its registration id) for the token a request carries, or None."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    return next(
        db.query(
            "SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
            [token_hash(token)],
        ),
        None,
    )


def touch_token(db: sqlite_utils.Database, token_id: int, now: datetime) -> None:
    """Note the token's last use (shown to editors; never the token itself)."""
    with writing(db):
        db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [iso(now), token_id])


def revoke_tokens(db: sqlite_utils.Database, registration_id: int, now: datetime) -> int:
    """Revoke every live token of a registration; return how many there were."""
    with writing(db):
        cursor = db.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE registration_id = ? AND revoked_at IS NULL",
            [iso(now), registration_id],
        )
    return cursor.rowcount


def registration_of_contact(db: sqlite_utils.Database, email: str) -> dict | None:
    """The registration whose token a contact address may replace: its newest approved one, else its newest.

    Addresses are compared without case (email-validator keeps the case the partner typed).
    """
    return next(
        db.query(
            "SELECT id, status, organisation, contact_email FROM partner_registrations "
            "WHERE lower(contact_email) = lower(?) ORDER BY status = 'approved' DESC, id DESC LIMIT 1",
            [email.strip()],
        ),
        None,
    )


def registration_of_partner(db: sqlite_utils.Database, partner_id: int) -> dict | None:
    """The partner's newest approved registration: the one whose token the partner page replaces."""
    return next(
        db.query(
            "SELECT id, status, organisation, contact_email FROM partner_registrations "
            "WHERE partner_id = ? AND status = 'approved' ORDER BY id DESC LIMIT 1",
            [partner_id],
        ),
        None,
    )


__all__ = [
    "PREFIX",
    "find_token",
    "issue_token",
    "registration_of_contact",
    "registration_of_partner",
    "revoke_tokens",
    "token_hash",
    "touch_token",
    "verify_token",
]
