"""Secrets the application makes for itself, kept in the database so they survive restarts."""

from __future__ import annotations

import secrets

import sqlite_utils

from aggregator.db import writing


def get_or_create_secret(db: sqlite_utils.Database, name: str) -> str:
    """The secret called `name`, generated (and stored) on first use; every process then agrees on it."""
    with writing(db):
        row = next(db.query("SELECT value FROM app_secrets WHERE name = ?", [name]), None)
        if row is not None:
            return row["value"]
        value = secrets.token_urlsafe(32)
        db.execute("INSERT INTO app_secrets (name, value) VALUES (?, ?)", [name, value])
        return value
