"""What the CLI commands share: the console, error display, settings and engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.engine import Engine

from api.auth import actor
from api.database import connect
from api.settings import Settings
from gis.errors import WanggeError

console = Console()
err_console = Console(stderr=True)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Print a domain error as one clear message and exit with status 2."""
    try:
        yield
    except WanggeError as exc:
        err_console.print(f"[bold red]error:[/] {exc.problem}", highlight=False)
        if exc.feature is not None:
            err_console.print(f"  in feature {exc.feature}", highlight=False)
        if exc.fix:
            err_console.print(f"  [bold]fix:[/] {exc.fix}", highlight=False)
        raise typer.Exit(2) from None


def open_engine(settings: Settings) -> Engine:
    """Connect (starting the embedded database if needed) and migrate, with a spinner.

    Changes made through the engine are written to the audit log as ``cli:<os user>``.
    """
    where = "embedded database" if settings.db.embedded else "database"
    with console.status(f"starting {where} and migrating…"):
        engine = connect(settings.db)
    actor.install(engine)
    actor.set_actor(actor.cli_actor())
    return engine
