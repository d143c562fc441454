"""Quality measures of a grid partition, overall and per community.

Every measure is computed in a metric CRS (the UTM zone of the data, or one given), so
areas are m² and lengths metres. Grids flagged as forced (an oversized building, a
community or part smaller than the band, land without households, units proven to keep the
grid out of band: see :mod:`gis.partition.forced`) are counted apart from the regular grids
in the band shares.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gis.crs import metric_crs

_ROAD_INSET_M = 3.0  # a main road within this of a grid's edge runs along it, not through
_ROAD_THROUGH_M = 20.0  # main road inside a grid beyond this length crosses it


@dataclass(frozen=True)
class Band:
    """Target and tolerance the shares are measured against."""

    target: float = 300
    tolerance: float = 0.15


def polsby_popper(geoms: gpd.GeoSeries) -> np.ndarray:
    """4πA/P² of each polygon (1 for a circle), in the CRS given (use a metric one)."""
    area = geoms.area.to_numpy()
    perimeter = geoms.length.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(perimeter > 0, 4 * np.pi * area / perimeter**2, 0.0)


def _shares(grids: pd.DataFrame, band: Band) -> dict:
    forced = grids["flag"].fillna("").astype(str) != ""
    regular = grids[~forced]
    dev = (regular["households"] - band.target).abs() / band.target
    out: dict[str, float] = {"grids": int(len(grids)), "forced_grids": int(forced.sum())}
    for pct in (10, 15, 25):
        out[f"within_{pct}"] = float((dev <= pct / 100 + 1e-9).mean()) if len(dev) else 1.0
    out["max_deviation"] = float(dev.max()) if len(dev) else 0.0
    return out


def coverage(grids: gpd.GeoSeries, community) -> dict:  # noqa: ANN001
    """Gaps and overlaps of a community's grids, m² (metric CRS in, metric out).

    Gaps: community area no grid covers. Overlaps: area covered twice or more. Outside:
    grid area outside the community.
    """
    union = shapely.union_all(shapely.make_valid(grids.values))
    return {
        "gap_m2": float(shapely.difference(community, union).area),
        "overlap_m2": float(max(0.0, grids.area.sum() - union.area)),
        "outside_m2": float(shapely.difference(union, community).area),
    }


def split_compounds(buildings: pd.DataFrame, upper: float) -> int:
    """Compounds whose households fit the band but whose buildings lie in several grids."""
    inside = buildings[buildings["compound"].notna() & buildings["grid_code"].notna()]
    if inside.empty:
        return 0
    per = inside.groupby("compound").agg(
        households=("households", "sum"), grids=("grid_code", "nunique")
    )
    return int(((per["households"] <= upper) & (per["grids"] > 1)).sum())


def fitting_compounds(buildings: pd.DataFrame, upper: float) -> int:
    """Compounds whose households fit in the band's upper bound."""
    inside = buildings[buildings["compound"].notna()]
    return int((inside.groupby("compound")["households"].sum() <= upper).sum())


def grids_crossing_main_roads(grids: gpd.GeoSeries, main_roads: gpd.GeoSeries | None) -> int:
    """Grids that a main road runs through (not merely along their edge)."""
    if main_roads is None or main_roads.empty:
        return 0
    roads = shapely.union_all(main_roads.values)
    inner = shapely.buffer(grids.values, -_ROAD_INSET_M)
    inside = shapely.length(shapely.intersection(inner, roads))
    return int((inside > _ROAD_THROUGH_M).sum())


def partition_metrics(
    grids: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    band: Band | None = None,
    roads: gpd.GeoDataFrame | None = None,
    crs: pyproj.CRS | None = None,
    seconds: float | None = None,
    only: Collection[str] | None = None,
    previous: Mapping[str, dict] | None = None,
) -> dict:
    """Measure a partition, overall and per community.

    Parameters
    ----------
    grids : GeoDataFrame
        ``grid_code``, ``community_code``, ``households``, ``flag`` and polygons.
    communities : GeoDataFrame
        ``code`` and boundaries.
    buildings : GeoDataFrame
        ``households``, ``grid_code`` and optional ``compound``.
    band : Band, optional
        Target and tolerance (default 300 ± 15%).
    roads : GeoDataFrame, optional
        Road lines with a boolean ``main`` column.
    crs : pyproj.CRS, optional
        Metric CRS to measure in; the data's UTM zone by default.
    seconds : float, optional
        Run time to report.
    only, previous : optional
        After an edit: measure only the communities in ``only`` again and take the others'
        measures from ``previous`` (``{code: measures}``, as this function returned them);
        a community in neither is measured. ``communities`` need only hold those measured.
        The overall measures always cover every grid.

    Returns
    -------
    dict
        ``overall`` and ``communities`` (by code) with: grids, forced_grids,
        within_10/15/25 (shares of regular grids), max_deviation, valid, contiguous (share of
        grids in one piece), gap_m2, overlap_m2, outside_m2, pp_mean, pp_min,
        compounds_fit, compounds_fit_split, crossing_main_roads; overall also seconds.
    """
    band = band or Band()
    crs = crs or metric_crs(communities)
    g = grids.to_crs(crs)
    comm = communities.to_crs(crs).set_index("code")
    upper = band.target * (1 + band.tolerance)
    main = None
    if roads is not None and not roads.empty and "main" in roads:
        main = roads.to_crs(crs).geometry[roads["main"].fillna(False).astype(bool).to_numpy()]
    per = {}
    for code, part in g.groupby("community_code", sort=True):
        code = str(code)
        if only is not None and code not in only and code in (previous or {}):
            per[code] = dict(previous[code])  # type: ignore[index]
            continue
        per[code] = _community_metrics(part, comm.geometry.get(code), buildings, band, upper, main)
    overall = _shares(g, band)
    overall.update(_geometry_measures(g, main))
    for key in ("gap_m2", "overlap_m2", "outside_m2"):
        overall[key] = float(sum(c[key] for c in per.values()))
    overall["max_gap_m2_per_community"] = max((c["gap_m2"] for c in per.values()), default=0.0)
    overall["max_overlap_m2_per_community"] = max(
        (c["overlap_m2"] for c in per.values()), default=0.0
    )
    if "compound" in buildings:
        overall["compounds_fit"] = fitting_compounds(buildings, upper)
        overall["compounds_fit_split"] = split_compounds(buildings, upper)
    if seconds is not None:
        overall["seconds"] = float(seconds)
    return {"overall": overall, "communities": per}


def _geometry_measures(g: gpd.GeoDataFrame, main: gpd.GeoSeries | None) -> dict:
    pp = polsby_popper(g.geometry)
    return {
        "valid": float(g.is_valid.mean()) if len(g) else 1.0,
        "contiguous": float((shapely.get_num_geometries(g.geometry.values) == 1).mean())
        if len(g)
        else 1.0,
        "pp_mean": float(pp.mean()) if len(pp) else 0.0,
        "pp_min": float(pp.min()) if len(pp) else 0.0,
        "crossing_main_roads": grids_crossing_main_roads(g.geometry, main),
    }


def _community_metrics(part, boundary, buildings, band, upper, main) -> dict:  # noqa: ANN001
    out = _shares(part, band)
    out.update(_geometry_measures(part, main))
    out["households"] = int(part["households"].sum())
    if boundary is not None:
        out.update(coverage(part.geometry, boundary))
    if "compound" in buildings:
        mine = buildings[buildings["grid_code"].isin(set(part["grid_code"]))]
        out["compounds_fit_split"] = split_compounds(mine, upper)
    return out
