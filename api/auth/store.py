"""Accounts and login sessions in the database.

A bearer token is 32 random bytes, URL-safe; only its SHA-256 is stored, with an expiry,
so a stolen database copy holds no usable token and logout takes effect at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api import models as m
from api.auth.passwords import check_new_password, dummy_verify, hash_password, verify_password
from api.auth.roles import Principal, Role, check_scope
from gis.errors import ConflictError, InputError, NotFoundError

_PUBLIC_COLUMNS = ("id", "name", "role", "scope_code", "active", "created_at")


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _public(row: sa.RowMapping) -> dict:
    return {k: row[k] for k in _PUBLIC_COLUMNS}


def _columns() -> list[sa.Column]:
    return [m.app_user.c[k] for k in _PUBLIC_COLUMNS]


def principal_of(user: dict) -> Principal:
    """The principal of a stored account."""
    return Principal(Role.parse(user["role"]), user["id"], user["name"], user["scope_code"])


def add_user(
    engine: Engine, name: str, password: str, role: Role | str, scope: str | None = None
) -> dict:
    """Create an account and return it (without the hash).

    Raises
    ------
    InputError
        For an empty name, a weak password or a scope that does not suit the role.
    ConflictError
        If an account of that name exists.
    """
    role = Role.parse(role) if isinstance(role, str) else role
    name = name.strip()
    if not name:
        raise InputError("the user name is empty", fix="give a name")
    scope = check_scope(role, scope)
    check_new_password(password, name=name)
    values = {
        "name": name, "password_hash": hash_password(password), "role": role.label,
        "scope_code": scope,
    }  # fmt: skip
    with engine.begin() as conn:
        taken = conn.execute(sa.select(m.app_user.c.id).where(m.app_user.c.name == name)).first()
        if taken:
            raise ConflictError(f"there is already a user {name!r}", fix="pick another name")
        row = conn.execute(m.app_user.insert().values(values).returning(*_columns())).mappings()
        return _public(row.one())


def list_users(engine: Engine) -> list[dict]:
    """Every account, by name."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*_columns()).order_by(m.app_user.c.name)).mappings()
        return [_public(r) for r in rows]


def get_user(engine: Engine, name: str) -> dict:
    """The account called ``name``.

    Raises
    ------
    NotFoundError
        If there is none.
    """
    with engine.connect() as conn:
        row = conn.execute(sa.select(*_columns()).where(m.app_user.c.name == name)).mappings()
        found = row.first()
    if found is None:
        raise NotFoundError(f"there is no user {name!r}", fix="see `wangge user list`")
    return _public(found)


def update_user(
    engine: Engine, name: str, *, role: Role | str | None = None, scope: str | None = None,
    active: bool | None = None,
) -> dict:  # fmt: skip
    """Change an account's role, scope or active flag; disabling ends its sessions.

    Raises
    ------
    NotFoundError, InputError
        For an unknown account, or a role and scope that do not suit each other.
    """
    user = get_user(engine, name)
    new_role = Role.parse(role) if isinstance(role, str) else role or Role.parse(user["role"])
    new_scope = scope if scope is not None or role is not None else user["scope_code"]
    values: dict[str, object] = {
        "role": new_role.label, "scope_code": check_scope(new_role, new_scope or None),
    }  # fmt: skip
    if active is not None:
        values["active"] = active
    with engine.begin() as conn:
        row = conn.execute(
            m.app_user.update().where(m.app_user.c.id == user["id"]).values(values)
            .returning(*_columns())
        ).mappings().one()  # fmt: skip
        if active is False:
            _revoke_all(conn, user["id"])
        return _public(row)


def set_password(engine: Engine, name: str, password: str) -> None:
    """Give account ``name`` a new password and end all its sessions."""
    user = get_user(engine, name)
    check_new_password(password, name=name)
    with engine.begin() as conn:
        conn.execute(
            m.app_user.update().where(m.app_user.c.id == user["id"])
            .values(password_hash=hash_password(password), password_changed_at=sa.func.now())
        )  # fmt: skip
        _revoke_all(conn, user["id"])


def authenticate(engine: Engine, name: str, password: str) -> dict | None:
    """The active account ``name`` if ``password`` is its password, else ``None``.

    An unknown name costs the same time as a wrong password.
    """
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(*_columns(), m.app_user.c.password_hash).where(m.app_user.c.name == name)
        ).mappings().first()  # fmt: skip
    if row is None:
        dummy_verify()
        return None
    if not verify_password(password, row["password_hash"]) or not row["active"]:
        return None
    return _public(row)


def issue_token(engine: Engine, user_id: int, ttl: timedelta) -> tuple[str, datetime]:
    """A new bearer token for ``user_id`` valid for ``ttl``; returns it and its expiry."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + ttl
    with engine.begin() as conn:
        conn.execute(
            m.auth_session.insert().values(
                token_hash=_digest(token), user_id=user_id, expires_at=expires
            )
        )
        conn.execute(  # old sessions go when they can no longer be used
            m.auth_session.delete().where(
                m.auth_session.c.user_id == user_id,
                m.auth_session.c.expires_at < sa.func.now() - sa.text("interval '1 day'"),
            )
        )
    return token, expires


def resolve_token(engine: Engine, token: str) -> Principal | None:
    """The principal of a bearer token, or ``None`` if unknown, expired, revoked or disabled."""
    s, u = m.auth_session, m.app_user
    query = (
        sa.select(u.c.id, u.c.name, u.c.role, u.c.scope_code)
        .join(s, s.c.user_id == u.c.id)
        .where(
            s.c.token_hash == _digest(token), s.c.revoked_at.is_(None),
            s.c.expires_at > sa.func.now(), u.c.active,
        )
    )  # fmt: skip
    # autocommit: one round trip, no BEGIN/ROLLBACK, on every authenticated request
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        row = conn.execute(query).mappings().first()
    return principal_of(dict(row)) if row else None


def revoke_token(engine: Engine, token: str) -> None:
    """End the session of ``token`` (logout)."""
    with engine.begin() as conn:
        conn.execute(
            m.auth_session.update()
            .where(
                m.auth_session.c.token_hash == _digest(token),
                m.auth_session.c.revoked_at.is_(None),
            )
            .values(revoked_at=sa.func.now())
        )  # fmt: skip


def _revoke_all(conn: sa.Connection, user_id: int) -> None:
    conn.execute(
        m.auth_session.update()
        .where(m.auth_session.c.user_id == user_id, m.auth_session.c.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )  # fmt: skip
