"""Geometry clean-up for imports: repair, keep the expected kind, dissolve split features.

Every change is reported; nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from gis.errors import GeometryError, SchemaError
from gis.layers import GeometryKind

_MAX_LISTED = 10


@dataclass
class GeometryReport:
    """What :func:`clean_geometries` changed, as lines for the import report."""

    repaired: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    dissolved: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """All lines, repairs first."""
        return self.repaired + self.converted + self.dissolved + self.dropped


def _listed(rows: list) -> str:
    shown = ", ".join(str(r) for r in rows[:_MAX_LISTED])
    more = len(rows) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _polygonal(geom: BaseGeometry) -> MultiPolygon | None:
    """The polygon parts of ``geom`` as one MultiPolygon, or None if it has none."""
    if geom is None or geom.is_empty:
        return None
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon | MultiPolygon)]
    polys = [p for g in parts for p in shapely.get_parts(g) if not p.is_empty]
    return MultiPolygon(polys) if polys else None


def _clean_polygons(frame: gpd.GeoDataFrame, report: GeometryReport) -> gpd.GeoDataFrame:
    geoms = frame.geometry.array
    invalid = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        fixed = shapely.make_valid(geoms[invalid])
        geoms = geoms.copy()
        geoms[invalid] = fixed
        rows = [f"{r} ({why})" for r, why in zip(frame.index[invalid], reasons, strict=True)]
        report.repaired.append(f"repaired {invalid.sum()} invalid geometries: {_listed(rows)}")
    geoms = _drop_repeated_points(geoms, frame.index, report)
    out = np.array([_polygonal(g) for g in geoms], dtype=object)
    changed_kind = [
        i
        for i, (g, o) in enumerate(zip(geoms, out, strict=True))
        if o is not None and g is not None and g.geom_type not in ("Polygon", "MultiPolygon")
    ]
    if changed_kind:
        rows = list(frame.index[changed_kind])
        report.converted.append(f"kept only the polygon parts of {len(rows)}: {_listed(rows)}")
    frame = frame.set_geometry(gpd.GeoSeries(out, index=frame.index, crs=frame.crs))
    return frame


def _drop_repeated_points(geoms: np.ndarray, index: pd.Index, report: GeometryReport) -> np.ndarray:
    """Remove consecutive repeated vertices (valid for GEOS, but noise in a footprint)."""
    cleaned = shapely.remove_repeated_points(geoms)
    changed = shapely.get_num_coordinates(cleaned) < shapely.get_num_coordinates(geoms)
    if changed.any():
        rows = list(index[changed])
        report.repaired.append(
            f"removed repeated vertices from {len(rows)} geometries: {_listed(rows)}"
        )
    return np.where(changed, cleaned, geoms)


def _clean_points(frame: gpd.GeoDataFrame, report: GeometryReport) -> gpd.GeoDataFrame:
    geoms = frame.geometry
    kinds = geoms.geom_type
    not_point = kinds.notna() & (kinds != "Point") & ~geoms.is_empty
    if not_point.any():
        rows = list(frame.index[not_point])
        report.converted.append(
            f"{len(rows)} features are not points ({', '.join(sorted(set(kinds[not_point])))}); "
            f"used a point on each: {_listed(rows)}"
        )
        geoms = geoms.copy()
        geoms[not_point] = shapely.point_on_surface(shapely.make_valid(geoms[not_point].array))
    return frame.set_geometry(geoms)


def clean_geometries(
    frame: gpd.GeoDataFrame, kind: GeometryKind
) -> tuple[gpd.GeoDataFrame, GeometryReport]:
    """Repair geometries and keep the kind the layer expects.

    Polygon layers come out as MultiPolygons (invalid ones repaired with ``make_valid``,
    lines and points left over from a repair removed); point layers as Points. Features
    whose geometry is missing, empty, or has nothing of the expected kind are dropped and
    listed in the report.

    Parameters
    ----------
    frame : GeoDataFrame
        Features in any CRS (no measuring is done).
    kind : {"polygon", "point"}
        What the layer holds.

    Returns
    -------
    GeoDataFrame, GeometryReport
        The cleaned features (index kept, so report rows match the file) and the report.

    Raises
    ------
    GeometryError
        If no feature has a usable geometry.
    """
    report = GeometryReport()
    if kind == "polygon":
        frame = _clean_polygons(frame, report)
    else:
        frame = _clean_points(frame, report)
    unusable = frame.geometry.isna() | frame.geometry.is_empty
    if kind == "polygon":
        # a degenerate polygon has zero area in any CRS, so degrees do for this test
        unusable |= shapely.area(frame.geometry.array) <= 0
    if unusable.any():
        rows = list(frame.index[unusable])
        report.dropped.append(
            f"dropped {len(rows)} features with an empty or zero-area geometry: {_listed(rows)}"
        )
        frame = frame[~unusable]
    if frame.empty:
        raise GeometryError(
            f"no feature has a usable {kind} geometry",
            fix=f"check that the file holds {kind}s for this layer",
        )
    return frame, report


def dissolve_by_id(
    frame: gpd.GeoDataFrame, id_column: str, report: GeometryReport
) -> gpd.GeoDataFrame:
    """Merge features that share an id into one (a building split into several pieces).

    Attributes of the first piece are kept; polygon pieces are unioned. Pieces of one
    feature carry one name: features sharing an id under different names are two features
    with a duplicate id, and are refused.

    Raises
    ------
    SchemaError
        If features sharing an id have different names.
    """
    ids = frame[id_column]
    dup = ids.notna() & ids.duplicated(keep=False)
    if not dup.any():
        return frame
    groups = frame[dup].groupby(id_column, sort=False)
    if "name" in frame.columns:
        _refuse_conflicting_names(frame[dup], id_column)
    merged_geoms = groups.geometry.agg(lambda s: _polygonal(shapely.union_all(s.array)))
    first = groups.head(1).set_index(id_column, drop=False)
    first = first.set_geometry(
        gpd.GeoSeries(
            merged_geoms.reindex(first.index).to_numpy(), crs=frame.crs, index=first.index
        )
    )
    first.index = frame[dup].groupby(id_column, sort=False).head(1).index
    report.dissolved.append(
        f"merged {int(dup.sum())} pieces into {len(first)} features sharing an id: "
        f"{_listed(list(first[id_column]))}"
    )
    return pd.concat([frame[~dup], first]).sort_index()


def _refuse_conflicting_names(pieces: gpd.GeoDataFrame, id_column: str) -> None:
    names = pieces.dropna(subset=["name"]).groupby(id_column, sort=False)["name"].unique()
    conflicts = names[names.map(len) > 1]
    if len(conflicts):
        key, values = conflicts.index[0], conflicts.iloc[0]
        rows = list(pieces.index[pieces[id_column] == key])
        raise SchemaError(
            f"{len(conflicts)} ids are used by features with different names: id {key!r} by "
            f"{', '.join(map(repr, values[:5]))} (features {_listed(rows)})",
            fix="give each feature its own id; only the pieces of one feature share an id",
        )
