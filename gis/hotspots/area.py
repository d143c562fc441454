"""The study area of a hotspot analysis, as H3 cells, and contiguity weights between them.

Gi* compares each cell's neighbourhood with the whole study area, so cells with no
incident must be part of it: on only the cells that hold incidents, the mean is inflated
and empty surroundings are invisible, which hides hotspots and invents cold spots.
Which empty cells count is a choice about where incidents *could* have been reported:

- a **boundary** (the communities or street office the data cover): every cell whose
  centre lies inside it, plus every observed cell; the right choice when it is known;
- otherwise the **ring fill** (the default): the observed cells and every cell within
  ``ring`` steps of one (``h3.grid_disk``). It adds a margin of zeros around the data
  without inventing a large empty region where nobody reported (as the convex hull of
  far-apart areas would: a dataset covering four separate neighbourhoods, such as the
  San Francisco sample, would otherwise get the land between them as zeros).

Pass the convex hull of the points as the boundary to get the hull variant.

The ring cells are empty by construction, so where the data end abruptly the rim can
come out as cold spots: read a cold spot on the edge of the data as "outside what was
reported", or give the boundary. Within a boundary, a spatially random pattern gives
almost no significant cell after FDR (the tests check this).
"""

from __future__ import annotations

import h3.api.numpy_int as h3int
import libpysal
import numpy as np
import shapely
from numpy.typing import ArrayLike
from shapely.geometry.base import BaseGeometry

from gis.errors import InputError
from gis.hotspots.cells import CellArray

__all__ = ["contiguity_weights", "study_cells"]


def study_cells(
    observed: ArrayLike,
    *,
    ring: int = 1,
    boundary: BaseGeometry | None = None,
) -> CellArray:
    """The H3 cells of the study area: observed cells, their ``ring`` fill, a boundary.

    Parameters
    ----------
    observed : array_like of uint64
        Cells holding at least one incident, all of one resolution.
    ring : int, default 1
        Add every cell within this many steps (``grid_disk``) of an observed cell;
        0 adds none.
    boundary : shapely geometry, optional
        Polygon(s) in EPSG:4326 lon/lat; every cell whose centre lies inside is added
        (``h3.geo_to_cells``).

    Returns
    -------
    numpy.ndarray of uint64
        Sorted, unique cells.
    """
    cells = np.unique(np.asarray(observed, dtype=np.uint64))
    if cells.size == 0:
        raise InputError("no incidents to analyse", fix="widen the time window or category")
    if ring < 0:
        raise InputError(f"ring {ring} is negative", fix="give 0 or more")
    resolutions = {h3int.get_resolution(int(c)) for c in cells[:: max(1, cells.size // 64)]}
    if len(resolutions) > 1:
        raise InputError("cells of several H3 resolutions", fix="use one resolution")
    parts = [cells]
    if ring:
        disk = h3int.grid_disk
        parts.extend(np.asarray(disk(int(c), ring), dtype=np.uint64) for c in cells)
    if boundary is not None and not boundary.is_empty:
        resolution = resolutions.pop()
        inside = h3int.geo_to_cells(shapely.geometry.mapping(boundary), resolution)
        parts.append(np.asarray(inside, dtype=np.uint64))
    return np.unique(np.concatenate(parts))


def contiguity_weights(cells: ArrayLike) -> libpysal.weights.W:
    """Binary contiguity weights between H3 cells that share an edge.

    Two cells are neighbours when one is in the other's ``grid_ring(·, 1)``: six per
    hexagon inside the study area, fewer on its edge. Observation ``i`` of the weights
    is ``cells[i]`` (ids ``0 … n-1``, in the given order), so value arrays line up with
    ``cells``.

    Parameters
    ----------
    cells : array_like of uint64
        The study area, e.g. from :func:`study_cells`; unique.

    Returns
    -------
    libpysal.weights.W
        Binary (``transform="B"``), symmetric; cells without a neighbour in the area
        are islands (an empty neighbour list).
    """
    ids = np.asarray(cells, dtype=np.uint64)
    order = np.argsort(ids)
    ordered = ids[order]
    ring = h3int.grid_ring
    neighbours: dict[int, list[int]] = {}
    for i, cell in enumerate(ids.tolist()):
        around = np.asarray(ring(cell, 1), dtype=np.uint64)
        at = np.searchsorted(ordered, around)
        at[at == ordered.size] = 0
        hit = ordered[at] == around
        neighbours[i] = sorted(order[at[hit]].tolist())
    weights = libpysal.weights.W(neighbours, silence_warnings=True, id_order=list(neighbours))
    weights.transform = "B"
    return weights
