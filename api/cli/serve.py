"""``wangge serve``: the app through uvicorn's factory."""

from __future__ import annotations

import typer
import uvicorn

from api.settings import ServerSettings


def serve(
    host: str = typer.Option(None, help="Address to listen on (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to listen on (default 8000)."),
) -> None:
    """Serve the web app and API."""
    server = ServerSettings()
    run(host or server.host, port or server.port)


def run(host: str, port: int) -> None:
    """Run uvicorn on ``api.app:create_app`` (settings read from the environment)."""
    print(f"wangge serving at http://{host}:{port}/  (API docs at /docs)", flush=True)
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info")
