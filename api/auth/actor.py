"""Telling the audit trigger who acts.

The ``wangge_audit`` trigger (migration 0004) reads the transaction-local setting
``wangge.actor``. The app sets the acting principal in a context variable for each request
(:func:`act_as`), the CLI sets itself once; :func:`install` makes every transaction an
engine begins carry it, so no write can forget to name its author.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api.auth.roles import Principal, Role

_current: ContextVar[Principal | None] = ContextVar("wangge_actor", default=None)


def current() -> Principal | None:
    """The principal acting in this context, if one was set."""
    return _current.get()


def set_actor(principal: Principal | None) -> None:
    """Make ``principal`` the actor of this context (a request, a CLI run)."""
    _current.set(principal)


@contextmanager
def act_as(principal: Principal) -> Iterator[None]:
    """Within the block, transactions are written by ``principal``."""
    token = _current.set(principal)
    try:
        yield
    finally:
        _current.reset(token)


def cli_actor() -> Principal:
    """The actor of a CLI command: the operating-system user, with no scope."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001  (no user name in some containers)
        user = "unknown"
    return Principal(Role.ADMIN, name=f"cli:{user}")


def _on_begin(conn: Connection) -> None:
    principal = _current.get()
    if principal is None or not principal.authenticated:
        return
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return  # each statement is its own transaction: a local setting would end at once
    conn.execute(
        sa.text("SELECT set_config('wangge.actor', :actor, true)"),
        {"actor": json.dumps(principal.actor(), ensure_ascii=False)},
    )


def install(engine: Engine) -> None:
    """Have every transaction of ``engine`` name the current actor to the audit trigger."""
    if not sa.event.contains(engine, "begin", _on_begin):
        sa.event.listen(engine, "begin", _on_begin)
