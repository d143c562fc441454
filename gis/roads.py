"""Road lines for partitioning: read, reproject, and tell main roads from the rest."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from gis.crs import to_wgs84
from gis.errors import GeometryError
from gis.fields import normalise
from gis.readers import read_vector

#: Road classes that are main roads (OSM ``highway`` values and Chinese road grades).
MAIN_CLASSES = frozenset(
    {
        "motorway", "trunk", "primary", "secondary", "tertiary",
        "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link",
        "快速路", "主干路", "主干道", "次干路", "次干道", "高速公路", "国道", "省道",
    }
)  # fmt: skip
_CLASS_COLUMNS = ("highway", "fclass", "class", "道路等级", "等级", "道路类型", "type")


def main_flag(frame: pd.DataFrame) -> pd.Series:
    """Whether each road is a main road: a ``main``/``主干`` column, else its class."""
    columns = {normalise(c): c for c in frame.columns}
    for name in ("main", "主干"):
        if name in columns:
            values = frame[columns[name]]
            return values.map(lambda v: str(v).strip().lower() in {"1", "true", "yes", "是", "t"})
    for name in _CLASS_COLUMNS:
        if normalise(name) in columns:
            return frame[columns[normalise(name)]].astype(str).str.strip().isin(MAIN_CLASSES)
    return pd.Series(False, index=frame.index)


def read_roads(path: str | Path, *, crs: str | None = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a road file into lines in EPSG:4326 with a boolean ``main`` column.

    Returns
    -------
    GeoDataFrame, list of str
        The roads and notes for the report.

    Raises
    ------
    gis.errors.InputError
        If the file cannot be read, has no usable CRS, or holds no lines.
    """
    raw = read_vector(path)
    frame, notes = to_wgs84(raw.frame, crs)
    lines = frame[frame.geom_type.isin(["LineString", "MultiLineString"])]
    if lines.empty:
        raise GeometryError(
            f"{Path(path).name} holds no road lines", fix="give a file of LineString roads"
        )
    if len(lines) < len(frame):
        notes.append(f"ignored {len(frame) - len(lines)} road features that are not lines")
    out = gpd.GeoDataFrame(
        {"main": main_flag(lines).to_numpy()}, geometry=lines.geometry.values, crs=4326
    )
    notes = raw.notes + notes + [f"{int(out['main'].sum())} of {len(out)} roads are main roads"]
    return out, notes
