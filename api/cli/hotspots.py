"""``wangge hotspots``: Getis-Ord Gi* hot and cold spots of incidents in a file, on H3 cells.

Reads incident points (CSV with longitude/latitude columns, GeoPackage, GeoJSON…), drops
exact duplicates, applies the date window and categories, counts incidents per H3 cell
and writes one row per cell of the study area (observed cells plus a ring of empty
ones, or a boundary) to a GeoPackage layer ``hotspots`` with ``h3``, ``count``,
``gi_z``, ``gi_p``, ``gi_p_fdr``, ``hotspot_class`` and the hexagon (EPSG:4326); with
``--emerging week|month`` also a layer ``emerging`` (Gi* per period and a Mann-Kendall
trend: new, intensifying, persistent, diminishing, sporadic hotspots). No database is
needed. The statistics are :mod:`gis.hotspots`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import typer
from rich.table import Table
from shapely.geometry.base import BaseGeometry

from api.cli.common import console, friendly_errors
from gis.crs import to_wgs84
from gis.errors import InputError
from gis.hotspots import (
    EMERGING_CATEGORIES,
    HOTSPOT_CLASSES,
    count_cells,
    emerging_hotspots,
    period_counts,
    prepare_incidents,
    read_incidents,
)
from gis.hotspots import hotspots as gi_hotspots
from gis.readers import read_vector

LAYER = "hotspots"
EMERGING_LAYER = "emerging"


class Period(StrEnum):
    """Length of the periods of an emerging-hotspot analysis."""

    week = "week"
    month = "month"


def hotspots(
    incidents: Path = typer.Option(
        ..., help="Incident points: CSV (lon/lat), GeoPackage, GeoJSON."
    ),
    out: Path = typer.Option(..., help="Output GeoPackage (layer hotspots, one row per H3 cell)."),
    crs: str = typer.Option(None, help="CRS of the points: 4326, 4490, gcj02, bd09, a WKT…"),
    resolution: int = typer.Option(9, help="H3 resolution (9: cells of ~0.1 km², ~200 m edges)."),
    start: str = typer.Option(None, "--from", help="First day, YYYY-MM-DD (included)."),
    end: str = typer.Option(None, "--to", help="Last day, YYYY-MM-DD (included)."),
    category: list[str] = typer.Option([], help="Keep only this category (repeatable)."),
    lon_field: str = typer.Option(None, help="CSV longitude column, when not lon/经度…"),
    lat_field: str = typer.Option(None, help="CSV latitude column, when not lat/纬度…"),
    time_field: str = typer.Option(None, help="Report-time column, or 'date,time'."),
    category_field: str = typer.Option(None, help="Category column, when not category/类别…"),
    permutations: int = typer.Option(999, help="Gi* permutations per cell."),
    seed: int = typer.Option(0, help="Random seed of the permutations."),
    ring: int = typer.Option(1, help="Empty cells added around the observed ones, in cells."),
    boundary: Path = typer.Option(None, help="Polygons of the area the data cover (optional)."),
    jobs: int = typer.Option(1, help="Worker processes for the permutations."),
    emerging: Period = typer.Option(
        None, help="Also write layer emerging: Gi* per week or month plus a trend."
    ),
) -> None:
    """Find statistically significant hot and cold spots of incidents (Gi*, FDR) on H3 cells."""
    with friendly_errors():
        window = _day(start, "--from"), _day(end, "--to")
        with console.status("reading the incidents…"):
            frame, notes = read_incidents(
                incidents, crs=crs, lon_field=lon_field, lat_field=lat_field
            )
            points, report = prepare_incidents(
                frame, time_field=time_field, category_field=category_field,
                start=window[0], end=window[1], categories=category,
            )  # fmt: skip
        for line in notes + report.lines():
            console.print(f"  {line}", highlight=False)
        area = _boundary(boundary) if boundary else None
        with console.status(f"Gi* with {permutations} permutations…"):
            cells = gi_hotspots(
                count_cells(points, resolution), rng=np.random.default_rng(seed), ring=ring,
                boundary=area, permutations=permutations, n_jobs=jobs,
            )  # fmt: skip
        out.unlink(missing_ok=True)
        cells.to_file(out, layer=LAYER, driver="GPKG")
        if emerging is not None:
            trends = _emerging(points, emerging, resolution, seed, ring, area, permutations, jobs)
            trends.to_file(out, layer=EMERGING_LAYER, driver="GPKG")
    _print_summary(cells, out)
    if emerging is not None:
        counts = trends["category"].value_counts()
        shown = ", ".join(
            f"{name} {counts[name]:,}" for name in EMERGING_CATEGORIES if name in counts
        )
        console.print(f"emerging hotspots by {emerging.value} (layer {EMERGING_LAYER}): {shown}")


def _emerging(
    points: gpd.GeoDataFrame,
    period: Period,
    resolution: int,
    seed: int,
    ring: int,
    area: BaseGeometry | None,
    permutations: int,
    jobs: int,
) -> gpd.GeoDataFrame:
    """Emerging-hotspot categories per cell (see :mod:`gis.hotspots.emerging`)."""
    freq: Literal["W", "M"] = "W" if period is Period.week else "M"
    with console.status(f"Gi* per {period.value} and Mann-Kendall trends…"):
        counts = period_counts(points, resolution, freq=freq)
        return emerging_hotspots(
            counts,
            rng=np.random.default_rng(seed),
            ring=ring,
            boundary=area,
            permutations=permutations,
            n_jobs=jobs,
        )


def _day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date", fix=f"{option} 2024-05-01") from None


def _boundary(path: Path) -> BaseGeometry:
    """The union of a polygon file's features, in EPSG:4326."""
    frame, _ = to_wgs84(read_vector(path).frame)
    polygons = frame.geometry[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise InputError(f"{path.name} holds no polygons", fix="give the communities' outlines")
    return polygons.union_all()


def _print_summary(cells: gpd.GeoDataFrame, out: Path) -> None:
    table = Table(title=f"{len(cells):,} H3 cells → {out} (layer {LAYER})")
    table.add_column("class")
    table.add_column("cells", justify="right")
    table.add_column("incidents", justify="right")
    for name in HOTSPOT_CLASSES:
        chosen = cells[cells["hotspot_class"] == name]
        if len(chosen):
            table.add_row(name, f"{len(chosen):,}", f"{int(chosen['count'].sum()):,}")
    console.print(table)
