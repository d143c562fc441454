"""``wangge serve``: the app through uvicorn's factory, in one process or several."""

from __future__ import annotations

import typer

from api.cli.common import friendly_errors
from api.database import connect
from api.serving import serve_many, serve_one
from api.settings import ServerSettings, Settings


def serve(
    host: str = typer.Option(None, help="Address to listen on (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to listen on (default 8000)."),
    workers: int = typer.Option(
        None,
        min=1,
        max=64,
        help="Server processes, each on a socket of its own (default WANGGE_WORKERS or 1; "
        "one per core serves the most).",
    ),  # fmt: skip
) -> None:
    """Serve the web app and API."""
    server = ServerSettings()
    run(host or server.host, port or server.port, workers or server.workers)


def run(host: str, port: int, workers: int = 1) -> None:
    """Serve ``api.app:create_app`` (settings read from the environment) on ``host:port``."""
    server = ServerSettings()
    print(
        f"wangge serving at http://{host}:{port}/  (API docs at /docs; "
        f"{workers} worker{'s' if workers > 1 else ''})",
        flush=True,
    )
    if workers == 1:
        serve_one(host, port, server.log_level, server.access_log)
        return
    with friendly_errors():
        # start the embedded database and migrate once, before the workers race to
        connect(Settings().db).dispose()
        status = serve_many(host, port, workers, server.log_level, server.access_log)
    raise typer.Exit(status)
