"""Grid polygons drawn from a given assignment of buildings to grids.

An imported plan says which grid each building is in, not where the grid lines run (a
CSV has no geometry; a grid layer drawn elsewhere rarely tiles our community boundary).
The lines are drawn as the partitioner draws them: the community is tessellated into one
cell per building (:func:`gis.tessellation.tessellate`), each cell goes to its building's
grid, cells without a building (filler) go to a grid they touch, and the cells are joined
with :func:`gis.coverage.tile`, so the grids share edges and tile the community exactly.

Works in a metric CRS (metres), like the partitioner; the caller reprojects.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gis.coverage import tile
from gis.errors import InputError
from gis.tessellation import tessellate


def draw_grids(
    community: BaseGeometry, footprints: gpd.GeoSeries, labels: np.ndarray
) -> dict[int, BaseGeometry]:
    """Polygons of the grids that ``labels`` make of the buildings, tiling ``community``.

    Parameters
    ----------
    community : Polygon or MultiPolygon
        The community, in a metric CRS (metres).
    footprints : GeoSeries
        Its buildings' footprints, same CRS.
    labels : ndarray of int
        The grid (a non-negative integer) of each building, in the order of ``footprints``.

    Returns
    -------
    dict
        ``{label: Polygon or MultiPolygon}`` (metres) for every label used.

    Raises
    ------
    InputError
        If a grid's buildings get no land of their own (every one a sliver sharing
        another building's cell).
    """
    labels = np.asarray(labels, dtype=int)
    tess = tessellate(community, footprints.reset_index(drop=True))
    cells = tess.cells
    index = cells.index.to_numpy()
    own = index >= 0
    groups = np.full(len(cells), -1)
    groups[own] = labels[index[own]]
    if own.any() and not own.all():
        groups[~own] = _touching(cells.values[~own], cells.values[own], groups[own])
    elif not own.any():
        groups[:] = labels[0] if len(labels) else 0
    drawn = tile(cells.values, groups, community, loose=~own)
    out = {}
    for label in np.unique(labels):
        shape = drawn.get(int(label))
        if shape is None or shape.is_empty:
            raise InputError(
                f"grid {int(label)}'s buildings have no land of their own (slivers inside "
                "other buildings' cells)",
                fix="put them in the grid of the building they lie against",
            )
        out[int(label)] = shapely.make_valid(shape)
    return out


def _touching(fillers: np.ndarray, cells: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The group of the building cell each filler cell shares most boundary with."""
    tree = shapely.STRtree(cells)
    out = groups[tree.nearest(fillers)]
    near_filler, near_cell = tree.query(fillers, predicate="dwithin", distance=0.01)
    best = np.zeros(len(fillers))
    shared = shapely.length(
        shapely.intersection(shapely.boundary(fillers[near_filler]), cells[near_cell].buffer(0.01))
    )
    for f, c, length in zip(near_filler, near_cell, shared, strict=True):
        if length > best[f]:
            best[f], out[f] = length, groups[c]
    return out
