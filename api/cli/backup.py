"""``wangge backup FILE`` and ``wangge restore FILE``: the database to a file and back."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import typer
from sqlalchemy.engine import Engine

from api import backup as backups
from api.cli.common import console, friendly_errors
from api.database import make_engine, resolve_url
from api.settings import Settings
from gis.errors import DatabaseUnavailable


def _open(settings: Settings) -> Engine:
    """An engine on the configured database, which may be empty (no PostGIS, no schema)."""
    engine = make_engine(resolve_url(settings.db), pool_size=1)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise DatabaseUnavailable(
            f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{str(exc.orig).strip().splitlines()[0]}",
            fix="check WANGGE_DATABASE_URL, or unset it to use the embedded database",
        ) from exc
    return engine


def backup(
    file: Path = typer.Argument(..., help="The backup file to write (pg_dump custom format)."),
) -> None:
    """Back up the database (every wangge table, not the extensions) to FILE."""
    settings = Settings()
    with friendly_errors():
        engine = _open(settings)
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
        engine = _open(settings)
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
