"""``wangge db start|stop|status|migrate``: the embedded cluster and the schema."""

from __future__ import annotations

import typer

from api.cli.common import console, friendly_errors, open_engine
from api.database import current_revision, downgrade, ping
from api.embedded import EmbeddedCluster
from api.settings import Settings

app = typer.Typer(help="Manage the database (embedded by default).", no_args_is_help=True)


@app.command()
def start() -> None:
    """Start the embedded database (initialising it on first use) and migrate it."""
    settings = Settings()
    with friendly_errors():
        engine = open_engine(settings)
        console.print(f"database ready: {engine.url.render_as_string(hide_password=True)}")
        console.print(f"schema revision {current_revision(engine)}, PostGIS {ping(engine)}")
        engine.dispose()


@app.command()
def stop() -> None:
    """Stop the embedded database."""
    settings = Settings()
    if not settings.db.embedded:
        console.print("WANGGE_DATABASE_URL is set: that server is not wangge's to stop")
        return
    with friendly_errors():
        was_running = EmbeddedCluster(settings.db.data_dir).stop()
    console.print(
        "embedded database stopped" if was_running else "embedded database was not running"
    )


@app.command()
def status() -> None:
    """Say which database is used and whether it runs."""
    settings = Settings()
    if settings.db.embedded:
        with friendly_errors():
            console.print(EmbeddedCluster(settings.db.data_dir).status().describe())
        return
    console.print("using the server of WANGGE_DATABASE_URL")


@app.command()
def migrate(
    revision: str = typer.Argument("head", help="Target revision; 'base' empties the schema."),
) -> None:
    """Upgrade (or, with an older revision, downgrade) the schema."""
    settings = Settings()
    with friendly_errors():
        engine = open_engine(settings)
        if revision != "head":
            downgrade(engine, revision)
        console.print(f"schema revision: {current_revision(engine)}")
        engine.dispose()
