"""Handing a moved building's land from one grid to another, without touching other grids.

Cells are not stored with a plan, so the land that goes with a building is found again:
the grid the building leaves is tessellated with its own buildings (the same
:func:`gis.tessellation.tessellate` the partitioner uses, without roads), and the moved
building's cell changes hands. The affected grids are then drawn again as the partitioner
draws grids, with :func:`gis.coverage.tile` (noded faces, so neighbours share edges
exactly) inside the union of their old polygons, whose outline stays; other grids do not
change.

All of it works in a metric CRS (metres), as the partitioner does; the caller
(:mod:`api.plans.editing`) reads the plan and reprojects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gis.coverage import tile
from gis.tessellation import tessellate


def building_cells(
    grid: BaseGeometry, footprints: gpd.GeoSeries, moved: list[int]
) -> dict[int, BaseGeometry]:
    """The cell of each moved building in a tessellation of its grid.

    Parameters
    ----------
    grid : Polygon or MultiPolygon
        The grid the buildings leave, in a metric CRS (metres).
    footprints : GeoSeries
        Footprints of every building of that grid, same CRS, indexed by building id.
    moved : list of int
        Ids of the buildings that leave it.

    Returns
    -------
    dict
        ``{building id: polygon}`` (metres). A building that got no cell of its own (a
        sliver) is left out: its land stays.
    """
    ids = list(footprints.index)
    cells = tessellate(grid, footprints.reset_index(drop=True)).cells
    wanted = {ids.index(b) for b in moved}
    return {ids[pos]: cell for pos, cell in cells.items() if pos in wanted}


def reassign_land(
    grids: Mapping[int, BaseGeometry], pieces: list[tuple[int, int, BaseGeometry]]
) -> dict[int, BaseGeometry | None]:
    """Polygons of the grids that lose or gain land, tiling the union of their old ones.

    Parameters
    ----------
    grids : mapping
        ``{grid id: polygon}`` of the affected grids, metric CRS (an empty polygon for a
        new grid).
    pieces : list of (from grid, to grid, polygon)
        Land changing hands, each piece inside its ``from`` grid.

    Returns
    -------
    dict
        ``{grid id: MultiPolygon or None}`` (metres): the grid without the land it gives
        and with the land it gets; None when nothing is left of it.
    """
    leaving = defaultdict(list)
    for source, _, piece in pieces:
        leaving[source].append(piece)
    regions, groups = [], []
    for gid, geom in grids.items():
        regions.append(
            shapely.difference(geom, shapely.union_all(leaving[gid])) if leaving[gid] else geom
        )
        groups.append(gid)
    for _, target, piece in pieces:
        regions.append(piece)
        groups.append(target)
    area = shapely.union_all([g for g in grids.values() if not g.is_empty])
    drawn = tile(np.array(regions, dtype=object), np.array(groups), area)
    return {gid: _polygonal(drawn.get(gid)) for gid in grids}


def _polygonal(geom: BaseGeometry | None) -> BaseGeometry | None:
    """The polygons of ``geom``, valid, as a MultiPolygon; None when there are none."""
    if geom is None or geom.is_empty:
        return None
    geom = shapely.make_valid(geom)
    parts = [
        q
        for p in shapely.get_parts(geom)
        if p.geom_type in ("Polygon", "MultiPolygon")
        for q in shapely.get_parts(p)
        if not q.is_empty
    ]
    return shapely.MultiPolygon(parts) if parts else None
