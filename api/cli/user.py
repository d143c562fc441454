"""``wangge user add|list|passwd|set``: accounts (the first admin too)."""

from __future__ import annotations

import os

import typer
from rich.table import Table

from api.auth import store
from api.cli.common import console, friendly_errors, open_engine
from api.settings import Settings

app = typer.Typer(help="Accounts: add (the first admin too), list, set a password, change.")

_PASSWORD_ENV = "WANGGE_NEW_PASSWORD"


def _new_password() -> str:
    """The new password: from WANGGE_NEW_PASSWORD (scripts), else asked twice."""
    given = os.environ.get(_PASSWORD_ENV)
    if given:
        return given
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


@app.command("add")
def add_command(
    name: str = typer.Argument(..., help="Login name, e.g. 李明 or liming."),
    role: str = typer.Option(
        ..., "--role", help="grid_worker, community_staff, street_office or admin."
    ),
    scope: str = typer.Option(
        None, "--scope", help="Street (9 digits), community (12) or grid (15) code; not for admin."
    ),
) -> None:
    """Create an account. The password is asked for (or read from WANGGE_NEW_PASSWORD)."""
    with friendly_errors():
        engine = open_engine(Settings())
        user = store.add_user(engine, name, _new_password(), role, scope)
        engine.dispose()
    where = f" for {user['scope_code']}" if user["scope_code"] else ""
    console.print(f"added {user['name']} ({user['role']}{where})")


@app.command("list")
def list_command() -> None:
    """List the accounts."""
    with friendly_errors():
        engine = open_engine(Settings())
        users = store.list_users(engine)
        engine.dispose()
    table = Table(title="用户 accounts")
    for column in ("name", "role", "scope", "active", "created"):
        table.add_column(column)
    for u in users:
        table.add_row(
            u["name"], u["role"], u["scope_code"] or "", "yes" if u["active"] else "no",
            f"{u['created_at']:%Y-%m-%d}",
        )  # fmt: skip
    console.print(table)


@app.command("passwd")
def passwd_command(name: str = typer.Argument(..., help="The account.")) -> None:
    """Set an account's password; its sessions end."""
    with friendly_errors():
        engine = open_engine(Settings())
        store.set_password(engine, name, _new_password())
        engine.dispose()
    console.print(f"password of {name} changed")


@app.command("set")
def set_command(
    name: str = typer.Argument(..., help="The account."),
    role: str = typer.Option(None, "--role", help="A new role."),
    scope: str = typer.Option(None, "--scope", help="A new scope code."),
    active: bool = typer.Option(None, "--active/--disabled", help="Enable or disable."),
) -> None:
    """Change an account's role, scope or whether it may log in."""
    with friendly_errors():
        engine = open_engine(Settings())
        user = store.update_user(engine, name, role=role, scope=scope, active=active)
        engine.dispose()
    state = "active" if user["active"] else "disabled"
    console.print(f"{user['name']}: {user['role']} {user['scope_code'] or ''} ({state})")
