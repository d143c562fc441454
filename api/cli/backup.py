"""``wangge backup FILE`` and ``wangge restore FILE``: the database to a file and back."""

from __future__ import annotations

from pathlib import Path

import typer

from api import backup as backups
from api.cli.common import console, friendly_errors
from api.database import connect
from api.settings import Settings


def backup(
    file: Path = typer.Argument(..., help="The backup file to write (pg_dump custom format)."),
) -> None:
    """Back up the database (every wangge table, not the extensions) to FILE."""
    settings = Settings()
    with friendly_errors():
        engine = connect(settings.db, run_migrations=False)
        try:
            with console.status(f"writing {file.name}…"):
                info = backups.backup(engine, file)
        finally:
            engine.dispose()
    console.print(
        f"[bold green]backed up[/] {info.tables} tables at schema revision {info.revision} "
        f"to {file} ({file.stat().st_size / 1024:.0f} KiB)",
        highlight=False,
    )


def restore(
    file: Path = typer.Argument(..., help="A file written by 'wangge backup'."),
) -> None:
    """Replace the database's contents by a backup, all or nothing."""
    settings = Settings()
    with friendly_errors():
        engine = connect(settings.db, run_migrations=False)
        try:
            with console.status(f"restoring {file.name}…"):
                info = backups.restore(engine, file)
        finally:
            engine.dispose()
    console.print(
        f"[bold green]restored[/] {info.tables} tables from {file} "
        f"(schema revision {info.revision}, then migrated to the current one)",
        highlight=False,
    )
