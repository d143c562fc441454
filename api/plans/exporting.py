"""A plan written out for desktop GIS and spreadsheets: GeoPackage, GeoJSON, Shapefile, CSV.

The zipped Shapefile is encoded GBK with a ``.cpg`` saying so, which Chinese desktop GIS
reads; the CSV of building → grid assignments is UTF-8 with a byte-order mark, so that
Excel shows its Chinese.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api import models as m
from api.plans.checks import plan_row
from api.plans.layers import as_wkb, read_frame

FORMATS = ("gpkg", "geojson", "shp", "csv")
#: Shapefile field names are at most 10 bytes: ASCII names, Chinese values.
_COLUMNS = {
    "code": "code", "community_code": "comm_code", "community_name": "comm_name",
    "seq": "seq", "kind": "kind", "households": "households", "buildings": "buildings",
    "area_m2": "area_m2", "flags": "flags", "exception_reason": "reason",
}  # fmt: skip


@dataclass(frozen=True)
class Export:
    """A file to send: its bytes, media type and name."""

    content: bytes
    media_type: str
    filename: str


def export_plan(engine: Engine, plan_id: int, fmt: str) -> Export:
    """Write a plan's grids (or its assignments, for ``csv``) in format ``fmt``.

    Parameters
    ----------
    engine : Engine
        The database.
    plan_id : int
        The plan.
    fmt : {"gpkg", "geojson", "shp", "csv"}
        GeoPackage, GeoJSON or zipped Shapefile of the grids (EPSG:4326); or a CSV of
        building → grid.

    Returns
    -------
    Export

    Raises
    ------
    NotFoundError
        No such plan.
    """
    name = f"plan_{plan_id}"
    with engine.connect() as conn:
        plan_row(conn, plan_id)
        if fmt == "csv":
            return Export(_csv(conn, plan_id), "text/csv; charset=utf-8", f"{name}.csv")
        grids = _grids(conn, plan_id)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if fmt == "shp":
            return Export(_shapefile(grids, folder, name), "application/zip", f"{name}.zip")
        if fmt == "gpkg":
            path = folder / f"{name}.gpkg"
            grids.to_file(path, driver="GPKG", layer="grids", engine="pyogrio")
            return Export(path.read_bytes(), "application/geopackage+sqlite3", path.name)
        path = folder / f"{name}.geojson"
        grids.to_file(path, driver="GeoJSON", engine="pyogrio")
        return Export(path.read_bytes(), "application/geo+json", path.name)


def _grids(conn: sa.Connection, plan_id: int) -> gpd.GeoDataFrame:
    g, k = m.grid, m.community
    return read_frame(
        conn,
        sa.select(
            *(g.c[c] for c in _COLUMNS if c != "community_name"),
            k.c.name.label("community_name"), as_wkb(g.c.geometry),
        )
        .select_from(g.outerjoin(k, k.c.code == g.c.community_code))
        .where(g.c.plan_id == plan_id)
        .order_by(g.c.code),
    )[[*_COLUMNS, "geometry"]]  # fmt: skip


def _shapefile(grids: gpd.GeoDataFrame, folder: Path, name: str) -> bytes:
    path = folder / f"{name}.shp"
    grids.rename(columns=_COLUMNS).to_file(
        path, driver="ESRI Shapefile", encoding="GBK", engine="pyogrio"
    )
    (folder / f"{name}.cpg").write_text("GBK", encoding="ascii")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(folder.glob(f"{name}.*")):
            archive.write(part, part.name)
    return buffer.getvalue()


def _csv(conn: sa.Connection, plan_id: int) -> bytes:
    a, g, b = m.grid_assignment, m.grid, m.building
    rows = conn.execute(
        sa.select(
            a.c.building_id, b.c.name.label("building_name"), b.c.address, b.c.households,
            g.c.code.label("grid_code"), g.c.community_code,
        )
        .join(g, g.c.id == a.c.grid_id)
        .join(b, b.c.id == a.c.building_id)
        .where(a.c.plan_id == plan_id)
        .order_by(a.c.building_id)
    )  # fmt: skip
    frame = pd.DataFrame(rows.all(), columns=list(rows.keys()))
    return frame.to_csv(index=False).encode("utf-8-sig")
