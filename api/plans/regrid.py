"""Handing a moved building's land from one grid to another, without touching other grids.

Cells are not stored with a plan, so the land that goes with a building is found again:
the grid the building leaves is tessellated with its own buildings (the same
:func:`gis.tessellation.tessellate` the partitioner uses, without roads), and the moved
building's cell, clipped to that grid, changes hands. Only the grids that lose or gain a
building change; their outer edges are the stored ones, so they still tile with their
neighbours.

This is pure geometry with no database access; it belongs in :mod:`gis` and is kept here
only while the partition package is being reworked by its owner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from gis.crs import metric_crs
from gis.tessellation import tessellate


def building_cells(grid: BaseGeometry, footprints: gpd.GeoSeries, moved: list[int]) -> dict:
    """The land of each moved building inside its grid.

    Parameters
    ----------
    grid : Polygon or MultiPolygon
        The grid the buildings leave, in EPSG:4326.
    footprints : GeoSeries
        Footprints of every building of that grid (EPSG:4326), indexed by building id.
    moved : list of int
        Ids of the buildings that leave it.

    Returns
    -------
    dict
        ``{building id: polygon}`` in EPSG:4326, each inside ``grid``; tessellated in the
        grid's UTM zone (metres). A building that got no cell of its own (a sliver) is
        left out: its land stays.
    """
    frame = gpd.GeoDataFrame(geometry=[grid], crs=footprints.crs)
    crs = metric_crs(frame)
    area = frame.to_crs(crs).geometry.iloc[0]
    ids = list(footprints.index)
    seeds = footprints.to_crs(crs).reset_index(drop=True)
    cells = tessellate(area, seeds).cells
    wanted = [ids.index(b) for b in moved]
    own = cells[cells.index.isin(wanted)]
    if own.empty:
        return {}
    back = gpd.GeoSeries(own.values, index=own.index, crs=crs).to_crs(footprints.crs)
    clipped = shapely.intersection(back.values, grid)
    return {ids[pos]: geom for pos, geom in zip(own.index, clipped, strict=True)}


def reassign_land(
    grids: Mapping[int, BaseGeometry], pieces: list[tuple[int, int, BaseGeometry]]
) -> dict[int, BaseGeometry]:
    """New polygons of the grids that lose or gain land.

    Parameters
    ----------
    grids : mapping
        ``{grid id: polygon}`` of the affected grids, EPSG:4326.
    pieces : list of (from grid, to grid, polygon)
        Land changing hands, each piece inside its ``from`` grid.

    Returns
    -------
    dict
        ``{grid id: polygon or None}``: the grid minus the land it gives plus the land it
        gets; None when nothing is left of it.
    """
    losing, gaining = defaultdict(list), defaultdict(list)
    for source, target, piece in pieces:
        if piece is None or piece.is_empty:
            continue
        losing[source].append(piece)
        gaining[target].append(piece)
    out = {}
    for gid, geom in grids.items():
        kept = geom
        if losing[gid]:
            kept = shapely.difference(geom, shapely.union_all(losing[gid]))
        new = shapely.union_all([kept, *gaining[gid]]) if gaining[gid] else kept
        out[gid] = _polygonal(shapely.make_valid(new))
    return out


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygons of ``geom`` (overlays can leave stray lines and points), or None."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    parts = [q for p in parts for q in shapely.get_parts(p) if not q.is_empty]
    if not parts:
        return None
    return shapely.MultiPolygon(parts)
