"""``wangge demo``: load the Nanjing sample into the database and serve it."""

from __future__ import annotations

from pathlib import Path

import typer

from api.cli.common import console, friendly_errors
from api.cli.importing import import_file
from api.cli.serve import run
from api.settings import ServerSettings, Settings
from gis.errors import InputError

#: Sample layers in load order (communities before what they contain).
SAMPLE_LAYERS = ("streets", "communities", "compounds", "buildings", "facilities")


def sample_dir() -> Path:
    """The sample folder of a source checkout (``data/nanjing``)."""
    return Path(__file__).resolve().parents[2] / "data" / "nanjing"


def load_sample(settings: Settings, folder: Path) -> None:
    """Import every sample layer found in ``folder``."""
    if not folder.is_dir():
        raise InputError(
            f"sample folder {folder} not found", fix="run from a wangge checkout or pass --data"
        )
    for layer in SAMPLE_LAYERS:
        file = folder / f"{layer}.gpkg"
        if file.exists():
            import_file(settings, layer, file)


def demo(
    data: Path = typer.Option(None, help="Sample folder (default: data/nanjing)."),
    serve: bool = typer.Option(True, help="Serve the app after loading."),
    host: str = typer.Option(None, help="Address to listen on."),
    port: int = typer.Option(None, help="Port to listen on."),
) -> None:
    """Start the database, import the sample, and serve the app."""
    settings = Settings()
    with friendly_errors():
        load_sample(settings, data or sample_dir())
    if serve:
        server = ServerSettings()
        console.print("[bold green]sample loaded[/]")
        run(host or server.host, port or server.port)
