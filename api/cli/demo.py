"""``wangge demo``: load the Nanjing sample, partition and publish its grids, serve it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import typer

from api import plans
from api.auth import store
from api.cli.common import console, friendly_errors, open_engine
from api.cli.importing import import_file
from api.cli.partition import progress_bar
from api.cli.serve import run
from api.settings import ServerSettings, Settings
from gis.errors import InputError
from gis.roads import read_roads

#: Credit the sample's licence (ODbL) asks for on maps that show it.
SAMPLE_ATTRIBUTION = "数据 © OpenStreetMap contributors (ODbL)"

#: Sample layers in load order (communities before what they contain).
SAMPLE_LAYERS = ("streets", "communities", "compounds", "buildings", "facilities")
#: Why the demo accepts its grids outside the household band (a real office says why).
DEMO_EXCEPTION = "示例数据：按自动划分结果接受 (sample data, accepted as drawn)"


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


def publish_sample_grids(settings: Settings, folder: Path) -> dict:
    """Partition every stored community (along the sample's roads) and publish the grids.

    Grids outside the household band are accepted with :data:`DEMO_EXCEPTION`.
    """
    roads_file = folder / "roads.gpkg"
    roads = read_roads(roads_file)[0] if roads_file.exists() else None
    engine = open_engine(settings)
    try:
        with progress_bar() as progress:
            draft = plans.create_draft(
                engine, roads=roads, roads_source=roads_file.name if roads is not None else None,
                name="示例网格划分 (demo)", jobs=0, progress=progress,
            )  # fmt: skip
        excused = dict.fromkeys(plans.band_exceptions(engine, draft["id"]), DEMO_EXCEPTION)
        plan = plans.publish(engine, draft["id"], exceptions=excused)
    finally:
        engine.dispose()
    console.print(
        f"published plan {plan['id']}: {plan['grids']} grids in "
        f"{len(plan['community_codes'])} communities"
        + (f" ({len(excused)} outside the band, accepted for the demo)" if excused else ""),
        highlight=False,
    )
    return plan


def ensure_demo_admin(settings: Settings) -> str | None:
    """Create an ``admin`` account with a random password when there is no account at all.

    The password is written to ``<data_dir>/demo-admin.txt`` (readable by its owner only)
    and returned, so the demo can be logged into; ``None`` when accounts exist already.
    """
    engine = open_engine(settings)
    try:
        if store.list_users(engine):
            return None
        password = secrets.token_urlsafe(9)
        store.add_user(engine, "admin", password, "admin")
    finally:
        engine.dispose()
    note = settings.db.data_dir / "demo-admin.txt"
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(f"admin\n{password}\n", encoding="utf-8")
    note.chmod(0o600)
    return password


def demo(
    data: Path = typer.Option(None, help="Sample folder (default: data/nanjing)."),
    partition: bool = typer.Option(True, help="Partition the sample and publish its grids."),
    serve: bool = typer.Option(True, help="Serve the app after loading."),
    host: str = typer.Option(None, help="Address to listen on."),
    port: int = typer.Option(None, help="Port to listen on."),
) -> None:
    """Start the database, import the sample, publish its grids, and serve the app."""
    settings = Settings()
    folder = data or sample_dir()
    with friendly_errors():
        load_sample(settings, folder)
        if partition:
            publish_sample_grids(settings, folder)
        password = ensure_demo_admin(settings)
    if password:
        console.print(
            f"created the account [bold]admin[/] with password [bold]{password}[/] "
            f"(kept in {settings.db.data_dir / 'demo-admin.txt'}); log in at /login",
            highlight=False,
        )
    if serve:
        # the sample is OpenStreetMap data: its licence asks for the credit on the map
        os.environ.setdefault("WANGGE_MAP_ATTRIBUTION", SAMPLE_ATTRIBUTION)
        # the database keeps no roads: printed sheets draw the sample's from its file
        if (folder / "roads.gpkg").exists():
            os.environ.setdefault("WANGGE_PRINT_ROADS", str((folder / "roads.gpkg").resolve()))
        server = ServerSettings()
        console.print("[bold green]sample loaded[/]")
        run(host or server.host, port or server.port, server.workers)
