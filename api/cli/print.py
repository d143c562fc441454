"""``wangge print``: printed grid diagrams (网格示意图) from the database or from files.

``--grid CODE`` prints one grid's sheet; ``--community CODE --overview`` the community's
overview; ``--community CODE --atlas`` every grid of it in one PDF (``--zip``: one file
per grid); ``--street CODE --atlas`` every community of a street, each overview followed
by its grids' sheets. With ``--grids`` and ``--buildings`` files it prints without the
database.
The output's suffix chooses PDF or PNG.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import typer

from api import prints
from api.cli.common import console, friendly_errors, open_engine
from api.cli.demo import SAMPLE_ATTRIBUTION, sample_dir
from api.settings import Settings
from gis.errors import InputError
from map_ui.print import SheetOptions, render_grid_sheet
from map_ui.print.atlas import render_atlas, render_parts, render_zip
from map_ui.print.frames import sheet_from_frames
from map_ui.print.overview import render_overview


def _staff(values: list[str]) -> list[dict]:
    people = []
    for value in values:
        parts = value.split(":", 3)
        if len(parts) < 3:
            raise InputError(f"--staff {value!r} is not NAME:POST:PHONE[:DUTIES]",
                             fix="e.g. --staff 王芳:B:13812345678:巡查走访")  # fmt: skip
        people.append({"name": parts[0], "post": parts[1], "phone": parts[2],
                       "duties": parts[3] if len(parts) > 3 else ""})  # fmt: skip
    return people


def _read(path: Path | None) -> gpd.GeoDataFrame | None:
    if path is None:
        return None
    if not path.exists():
        raise InputError(f"file {path} not found", fix="check the path")
    return gpd.read_file(path)


def _write(out: Path, sheet, dpi: int) -> None:  # noqa: ANN001
    suffix = out.suffix.lower()
    if suffix == ".png":
        out.write_bytes(sheet.png(dpi))
    elif suffix == ".pdf":
        out.write_bytes(sheet.pdf())
    else:
        raise InputError(f"cannot write {out.name}", fix="give an --out ending in .pdf or .png")


def _attribution(settings: Settings, given: str | None, files: list[Path | None]) -> str:
    if given is not None:
        return given
    sample = sample_dir().resolve()
    if any(f is not None and sample in f.resolve().parents for f in files):
        return SAMPLE_ATTRIBUTION  # the Nanjing sample is OpenStreetMap data
    return settings.prints.print_attribution or settings.server.map_attribution


def print_sheets(
    out: Path = typer.Option(..., "--out", help="Output file: .pdf, or .png for one sheet."),
    grid: str = typer.Option(None, "--grid", help="The 15-digit code of the grid to print."),
    community: str = typer.Option(None, "--community", help="A 12-digit community code."),
    street: str = typer.Option(None, "--street", help="A 9-digit street code (with --atlas)."),
    atlas: bool = typer.Option(False, "--atlas", help="Every grid of --community in one PDF."),
    overview: bool = typer.Option(False, "--overview", help="The overview of --community."),
    as_zip: bool = typer.Option(False, "--zip", help="With --atlas: a zip of one PDF per grid."),
    paper: str = typer.Option("A4", help="A4 or A3."),
    orientation: str = typer.Option("auto", help="auto, portrait or landscape."),
    dpi: int = typer.Option(150, help="Resolution of a PNG, dots per inch."),
    workers: int = typer.Option(None, help="Processes rendering an atlas (default: settings)."),
    grids: Path = typer.Option(None, "--grids", help="Grids file (no database)."),
    buildings: Path = typer.Option(None, "--buildings", help="Buildings file (with --grids)."),
    facilities: Path = typer.Option(None, "--facilities", help="Facilities file (with --grids)."),
    compounds: Path = typer.Option(None, "--compounds", help="Compounds file (with --grids)."),
    roads: Path = typer.Option(None, "--roads", help="Roads file (name, highway)."),
    communities: Path = typer.Option(None, "--communities", help="Communities file (names)."),
    staff: list[str] = typer.Option([], "--staff", help="NAME:POST:PHONE[:DUTIES], repeatable."),
    attribution: str = typer.Option(None, help="Data credit in the footer (OSM's for OSM data)."),
) -> None:
    """Print a grid's diagram, a community's overview or its atlas (PDF or PNG)."""
    settings = Settings()
    with friendly_errors():
        options = prints.sheet_options(settings, paper, orientation)
        options.attribution = _attribution(settings, attribution, [grids, buildings, roads])
        if grids is not None:
            _from_files(out, grid, grids, buildings, facilities, compounds, roads, communities,
                        _staff(staff), options, dpi)  # fmt: skip
        elif grid:
            _grid_from_db(out, grid, settings, options, roads, dpi)
        elif street and atlas:
            _street_from_db(out, street, settings, options, workers)
        elif community and (atlas or overview):
            _community_from_db(out, community, settings, options, atlas, as_zip, workers, dpi)
        else:
            raise InputError(
                "nothing to print",
                fix="give --grid CODE, or --community CODE with --atlas or --overview, "
                "--street CODE --atlas, or --grids FILE --buildings FILE --grid CODE",
            )
    console.print(f"wrote {out}", highlight=False)


def _from_files(
    out,
    grid,
    grids,
    buildings,
    facilities,
    compounds,
    roads,
    communities,  # noqa: ANN001
    staff,
    options: SheetOptions,
    dpi: int,
) -> None:
    if not grid or buildings is None:
        raise InputError("printing from files needs --grid CODE and --buildings FILE",
                         fix="add them")  # fmt: skip
    sheet = sheet_from_frames(
        grid, _read(grids), _read(buildings), facilities=_read(facilities),
        compounds=_read(compounds), roads=_read(roads), communities=_read(communities),
        staff=staff,
    )  # fmt: skip
    _write(out, render_grid_sheet(sheet, options), dpi)


def _road_layer(settings: Settings, roads: Path | None) -> gpd.GeoDataFrame | None:
    layer = _read(roads)
    return layer.to_crs("EPSG:4326") if layer is not None else prints.roads(settings)


def _grid_from_db(
    out: Path, code: str, settings: Settings, options: SheetOptions, roads: Path | None, dpi: int
) -> None:
    engine = open_engine(settings)
    try:
        sheet = prints.grid_sheet(
            engine, code, date.today(), _road_layer(settings, roads), prints.photo_dir(settings)
        )
    finally:
        engine.dispose()
    _write(out, render_grid_sheet(sheet, options), dpi)


def _community_from_db(
    out: Path,
    code: str,
    settings: Settings,
    options: SheetOptions,
    atlas: bool,
    as_zip: bool,
    workers: int | None,
    dpi: int,
) -> None:
    engine = open_engine(settings)
    try:
        if not atlas:
            sheet = prints.community_sheet(engine, code, date.today(), prints.roads(settings))
            _write(out, render_overview(sheet, options), dpi)
            return
        cover, sheets = prints.atlas_sheets(engine, settings, code)
    finally:
        engine.dispose()
    render = render_zip if as_zip else render_atlas
    with console.status(f"rendering {len(sheets)} sheets…"):
        content = render(sheets, options, cover, workers=workers or settings.prints.print_workers)
    out.write_bytes(content)


def _street_from_db(
    out: Path, code: str, settings: Settings, options: SheetOptions, workers: int | None
) -> None:
    """Every community of the street: its overview, then its grids' sheets, in one PDF."""
    engine = open_engine(settings)
    try:
        parts = prints.street_atlas(engine, settings, code)
    finally:
        engine.dispose()
    count = sum(len(sheets) for _, sheets in parts)
    with console.status(f"rendering {count} sheets of {len(parts)} communities…"):
        content = render_parts(parts, options, workers=workers or settings.prints.print_workers)
    out.write_bytes(content)
