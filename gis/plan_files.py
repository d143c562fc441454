"""Reading a plan from a file: a CSV of building → grid, or a layer of grid polygons.

The CSV is what a plan's export writes (``building_id,…,grid_code``), or what a planner
keeps in a spreadsheet: UTF-8 with or without a byte-order mark, or GBK (GB18030). A grid
layer (GeoPackage, GeoJSON, zipped Shapefile) names each grid by a ``grid_code`` or
``code`` column; a building goes to the grid holding its representative point.

Pure functions; checks against the stored buildings are the caller's
(:mod:`api.plans.importing`).
"""

from __future__ import annotations

import csv
import io
import os
import re

import geopandas as gpd
import pandas as pd

from gis.crs import to_wgs84
from gis.errors import FormatError, SchemaError
from gis.readers import read_vector

GRID_CODE = re.compile(r"^[0-9]{15}$")
LISTED = 10  # items named in one failure line
_BUILDING_COLUMNS = ("building_id", "building", "楼栋编号", "建筑编号")
_GRID_COLUMNS = ("grid_code", "code", "网格编码", "网格编号")


def decode(data: bytes, label: str) -> str:
    """Text of a CSV file: UTF-8 (a byte-order mark is dropped), else GBK/GB18030.

    Raises
    ------
    FormatError
        If the bytes are neither.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"{label} is neither UTF-8 nor GBK text", fix="save the CSV as UTF-8"
        ) from exc


def read_assignments(path: str | os.PathLike, label: str | None = None) -> pd.DataFrame:
    """The ``building_id`` → ``grid_code`` pairs of a CSV file.

    Parameters
    ----------
    path : path
        The CSV: a header with ``building_id`` and ``grid_code`` (other columns ignored).
    label : str, optional
        The file's name in messages.

    Returns
    -------
    DataFrame
        ``building_id`` (int) and ``grid_code`` (str), one row per building.

    Raises
    ------
    FormatError, SchemaError
        Not CSV text, no such columns, no rows, ids that are not whole numbers, codes that
        are not 15 digits, or a building listed twice.
    """
    label = label or os.fspath(path)
    with open(path, "rb") as stream:
        text = decode(stream.read(), label)
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise FormatError(f"{label} is not a readable CSV table: {exc}", fix=_CSV_FIX) from exc
    building = _column(table.columns, _BUILDING_COLUMNS)
    grid = _column(table.columns, _GRID_COLUMNS)
    if building is None or grid is None:
        raise SchemaError(
            f"{label} has no building_id and grid_code columns (found: "
            f"{', '.join(map(str, table.columns[:LISTED]))})",
            fix=_CSV_FIX,
        )
    ids, codes = table[building].str.strip(), table[grid].str.strip()
    bad = [i + 2 for i, v in enumerate(ids) if not v.isdigit()]
    if bad:
        raise SchemaError(
            f"{label}: building_id is not a whole number on line {_listed(bad)}", fix=_CSV_FIX
        )
    out = pd.DataFrame({"building_id": ids.astype("int64"), "grid_code": codes})
    if out.empty:
        raise FormatError(f"{label} has no rows", fix=_CSV_FIX)
    check_codes(out["grid_code"], label)
    twice = out.loc[out["building_id"].duplicated(), "building_id"].unique().tolist()
    if twice:
        raise SchemaError(
            f"{label}: building {_listed(twice)} is listed more than once",
            fix="give each building one line",
        )
    return out


def read_grid_layer(path: str | os.PathLike) -> gpd.GeoDataFrame:
    """Grid polygons of a layer file, with ``grid_code``, in EPSG:4326.

    Raises
    ------
    FormatError, CRSError, SchemaError
        An unreadable file, no CRS, no ``grid_code``/``code`` column, codes that are not
        15 digits or given twice, or features that are not polygons.
    """
    raw = read_vector(path)
    label = os.path.basename(os.fspath(path))
    column = _column(raw.frame.columns, _GRID_COLUMNS)
    if column is None:
        raise SchemaError(
            f"{label} has no grid_code (or code) column (found: "
            f"{', '.join(map(str, raw.frame.columns[:LISTED]))})",
            fix="name the column of 15-digit grid codes grid_code",
        )
    frame, _ = to_wgs84(raw.frame)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    kinds = set(frame.geometry.geom_type) - {"Polygon", "MultiPolygon"}
    if frame.empty or kinds:
        raise SchemaError(
            f"{label} holds no grid polygons ({', '.join(sorted(kinds)) or 'no features'})",
            fix="export the grids as polygons",
        )
    codes = frame[column].astype(str).str.strip()
    check_codes(codes, label)
    twice = codes[codes.duplicated()].unique().tolist()
    if twice:
        raise SchemaError(
            f"{label}: grid {_listed(twice)} is given more than once",
            fix="dissolve each grid into one feature",
        )
    return gpd.GeoDataFrame({"grid_code": codes.to_numpy()}, geometry=frame.geometry.values,
                            crs=frame.crs)  # fmt: skip


def assign_by_layer(buildings: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> pd.Series:
    """The grid holding each building's representative point (NaN where none does).

    Parameters
    ----------
    buildings : GeoDataFrame
        Footprints, any CRS, indexed by building id.
    grids : GeoDataFrame
        ``grid_code`` and polygons in the same CRS.

    Returns
    -------
    Series
        Grid code by building id; the first grid listed wins where grids overlap.
    """
    points = gpd.GeoDataFrame(geometry=buildings.geometry.representative_point(),
                              crs=buildings.crs)  # fmt: skip
    hit = gpd.sjoin(points, grids[["grid_code", "geometry"]], predicate="within")
    hit = hit[~hit.index.duplicated()]
    return hit["grid_code"].reindex(buildings.index)


def check_codes(codes: pd.Series, label: str) -> None:
    """Refuse grid codes that are not 15 digits.

    Raises
    ------
    SchemaError
        Naming up to ten bad codes.
    """
    bad = sorted({c for c in codes if not GRID_CODE.match(str(c))})
    if bad:
        raise SchemaError(
            f"{label}: grid code {_listed(bad)} is not 15 digits",
            fix="give each grid its 15-digit code: the 12-digit community code and 3 digits",
        )


def community_mismatches(assignments: pd.DataFrame) -> list[str]:
    """Lines whose grid code does not start with the building's community code.

    Parameters
    ----------
    assignments : DataFrame
        ``building_id``, ``grid_code`` and ``community_code`` (the building's).
    """
    wrong = assignments[
        assignments["grid_code"].str[:12] != assignments["community_code"].astype(str)
    ]
    return [
        f"building {b} (community {c}) in grid {g}"
        for b, c, g in wrong[["building_id", "community_code", "grid_code"]].itertuples(index=False)
    ]


def _column(columns: pd.Index, names: tuple[str, ...]) -> str | None:
    lowered = {str(c).strip().lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def _listed(items: list) -> str:
    shown = ", ".join(map(str, items[:LISTED]))
    return shown + (f" and {len(items) - LISTED} more" if len(items) > LISTED else "")


_CSV_FIX = (
    "send a CSV with a header line building_id,grid_code "
    "(as GET /plans/{id}/export?format=csv writes)"
)
