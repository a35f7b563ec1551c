"""The audit log: who changed what, so editors can see and undo each other's work."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from aggregator.db import iso, utcnow, writing


def record_action(
    db: sqlite_utils.Database, actor: str, action: str, entity: str, entity_id: int | None = None, **detail: Any
) -> None:
    with writing(db):
        db.table("audit_log").insert(
            {
                "at": iso(utcnow()),
                "actor": actor,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
            }
        )
