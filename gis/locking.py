"""Re-partitioning a community around its locked grids.

A planner locks the grids that are right and re-runs the partition for the rest. The
locked grids keep their polygon and buildings; the partitioner is given the *free land*
(the community without the locked grids) as if it were the community, and the buildings
not in a locked grid. Its grids tile the free land, so together with the locked grids they
tile the community.

Pure functions on GeoSeries; the caller (:mod:`api.plans.rerun`) reads and stores plans.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gis.crs import metric_crs

#: Pieces of free land smaller than this (m²) are float noise along a locked grid's edge.
SLIVER_M2 = 0.5


def free_land(community: gpd.GeoSeries, locked: gpd.GeoSeries) -> gpd.GeoSeries:
    """The community without its locked grids: the land a re-run partitions again.

    The difference is taken in the input's CRS (so the free land's edges are the locked
    grids' own vertices) and pieces under :data:`SLIVER_M2` are dropped, measured in the
    data's metric CRS (metres).

    Parameters
    ----------
    community : GeoSeries
        One polygon, the community boundary; it must have a CRS.
    locked : GeoSeries
        The locked grids' polygons, same CRS (may be empty).

    Returns
    -------
    GeoSeries
        One (Multi)Polygon, empty when the locked grids cover the whole community.

    Raises
    ------
    ValueError
        If ``community`` has no CRS or not exactly one geometry.

    Examples
    --------
    >>> from shapely import box
    >>> land = free_land(gpd.GeoSeries([box(0, 0, 200, 100)], crs=32650),
    ...                  gpd.GeoSeries([box(0, 0, 100, 100)], crs=32650))
    >>> float(land.area.iloc[0])
    10000.0
    """
    if community.crs is None:
        raise ValueError("free_land needs data with a CRS")
    if len(community) != 1:
        raise ValueError("free_land takes one community at a time")
    shape = shapely.make_valid(community.iloc[0])
    if len(locked):
        shape = shapely.difference(shape, shapely.union_all(shapely.make_valid(locked.values)))
    parts = [p for p in shapely.get_parts(shape) if p.geom_type == "Polygon" and not p.is_empty]
    if parts:
        areas = gpd.GeoSeries(parts, crs=community.crs).to_crs(metric_crs(community)).area
        parts = [p for p, a in zip(parts, areas, strict=True) if a >= SLIVER_M2]
    land = shapely.MultiPolygon(parts) if len(parts) > 1 else (parts[0] if parts else None)
    return gpd.GeoSeries([land if land is not None else shapely.Polygon()], crs=community.crs)


def place_leftovers(
    footprints: gpd.GeoSeries, placed: pd.Series, grids: Mapping[str, BaseGeometry]
) -> pd.Series:
    """Give buildings the partitioner left in no grid to the grid that holds most of them.

    A building whose point on surface falls on a locked grid's land (a footprint across
    the lock line) is outside the free land, so the partitioner places it nowhere; it
    goes to the free grid its footprint overlaps most, else the nearest one.

    Parameters
    ----------
    footprints : GeoSeries
        Footprints of the buildings, metric CRS (metres), indexed like ``placed``.
    placed : Series
        Grid code of each building, None/NaN where it has none.
    grids : mapping
        ``{grid code: polygon}`` of the new grids, same CRS.

    Returns
    -------
    Series
        ``placed`` with every building given a grid (unchanged when there are no grids).
    """
    out = placed.copy()
    missing = out.index[out.isna()]
    if len(missing) == 0 or not grids:
        return out
    codes = list(grids)
    shapes = shapely.make_valid(list(grids.values()))
    for key in missing:
        shape = footprints.loc[key]
        overlap = shapely.area(shapely.intersection(shapes, shape))
        nearest = overlap if overlap.max() > 0 else -shapely.distance(shapes, shape)
        best = int(nearest.argmax())
        out.loc[key] = codes[best]
    return out
