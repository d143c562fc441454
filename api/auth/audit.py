"""Reading the audit log, and the entries the app writes itself (imports, logins)."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api import models as m
from api.auth import actor as actors


def record(
    conn: Connection, action: str, entity: str, key: str | None = None,
    before: dict | None = None, after: dict | None = None,
) -> None:  # fmt: skip
    """Write one entry in the caller's transaction, as the current actor (or the system)."""
    who = actors.current()
    values = {
        "user_id": who.user_id if who else None,
        "user_name": who.name if who else "system",
        "role": who.role.label if who else "system",
        "action": action, "entity": entity, "entity_key": key,
        "before": json.loads(json.dumps(before, default=str)) if before is not None else None,
        "after": json.loads(json.dumps(after, default=str)) if after is not None else None,
    }  # fmt: skip
    conn.execute(m.audit_log.insert().values(values))


def read(
    engine: Engine, *, entity: str | None = None, user: str | None = None,
    since: datetime | None = None, limit: int = 100, offset: int = 0,
) -> list[dict]:  # fmt: skip
    """Entries, newest first, filtered by entity (table), user name and time."""
    a = m.audit_log
    query = sa.select(a).order_by(a.c.id.desc()).limit(limit).offset(offset)
    if entity:
        query = query.where(a.c.entity == entity)
    if user:
        query = query.where(a.c.user_name == user)
    if since:
        query = query.where(a.c.at >= since)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
