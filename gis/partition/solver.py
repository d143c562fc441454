"""The grid partitioner: every community of a layer split into grids, in parallel.

Example
-------
>>> import numpy as np
>>> from gis.synthetic import make_city
>>> city = make_city("tiny", rng=np.random.default_rng(0))
>>> result = GridPartitioner(rng=np.random.default_rng(0)).solve(
...     city.communities, city.buildings, roads=city.roads)
>>> bool((result.grids.households > 0).all())
True
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely import make_valid

from gis.crs import metric_crs
from gis.errors import InputError
from gis.partition.community import CommunityInput, CommunityPartition, partition_community
from gis.partition.params import PartitionParams
from gis.pools import process_pool
from gis.tessellation import polygonal

_SNAP_DEG = 1e-9
_SEGMENT_M = 20.0  # longest edge reprojected as a straight line: bends under 5 µm
_SPECK_SHARE = 1e-5
GRID_COLUMNS = [
    "grid_code", "community_code", "seq", "households", "buildings", "area_m2", "flag",
]  # fmt: skip


@dataclass
class PartitionResult:
    """Grids of every community and the grid of every building.

    Attributes
    ----------
    grids : GeoDataFrame
        ``grid_code`` (15 digits), ``community_code``, ``seq``, ``households``,
        ``buildings``, ``area_m2`` (m²), ``flag``; geometry in EPSG:4326.
    buildings : GeoDataFrame
        The input buildings with a ``grid_code`` column (None outside every community).
    seconds : dict
        Run time per community, and ``total``.
    crs : pyproj.CRS
        The metric CRS the work was done in.
    """

    grids: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    seconds: dict[str, float] = field(default_factory=dict)
    crs: pyproj.CRS | None = None


def _solve_one(args: tuple[CommunityInput, PartitionParams, int]) -> CommunityPartition:
    item, params, seed = args
    return partition_community(item, params, np.random.default_rng(seed))


class GridPartitioner:
    """Split communities into grids of about ``target`` households.

    Parameters
    ----------
    params : PartitionParams, optional
        Target, tolerance and weights.
    rng : numpy.random.Generator, optional
        Source of the per-community seeds: the same generator state gives the same grids,
        whatever the number of jobs. Defaults to ``default_rng(0)``.
    jobs : int
        Worker processes; communities are independent. 0 or 1 runs in this process.
    """

    def __init__(
        self,
        params: PartitionParams | None = None,
        *,
        rng: np.random.Generator | None = None,
        jobs: int = 1,
    ):
        self.params = params or PartitionParams()
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.jobs = jobs if jobs > 0 else (os.cpu_count() or 1)

    def solve(
        self,
        communities: gpd.GeoDataFrame,
        buildings: gpd.GeoDataFrame,
        *,
        compounds: gpd.GeoDataFrame | None = None,
        roads: gpd.GeoDataFrame | None = None,
        previous: dict[str, dict[int, frozenset]] | None = None,
        used: dict[str, set[int]] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> PartitionResult:
        """Partition every community.

        Parameters
        ----------
        communities : GeoDataFrame
            ``code`` (12 digits) and boundary, any CRS.
        buildings : GeoDataFrame
            ``households``, optional ``compound`` and ``key``; a building belongs to the
            community that holds a point on its surface.
        compounds, roads : GeoDataFrame, optional
            Compound outlines (``source_id``/``name``); road lines with a ``main`` flag.
        previous, used : dict, optional
            Per community code: the current grids' building keys by sequence number, and
            every sequence number ever used (for stable, never reused codes).
        progress : callable, optional
            Called as ``progress(done, total)`` after each community.

        Returns
        -------
        PartitionResult
            Grids in EPSG:4326 and buildings with their grid codes.
        """
        start = time.perf_counter()
        crs, items = community_inputs(
            communities, buildings, compounds=compounds, roads=roads, previous=previous, used=used
        )
        seeds = self.rng.integers(0, 2**31 - 1, size=len(items))
        work = [(item, self.params, int(s)) for item, s in zip(items, seeds, strict=True)]
        parts = self._run(work, progress or (lambda done, total: None))
        return self._assemble(parts, buildings, crs, time.perf_counter() - start)

    def _run(self, work: list, progress: Callable[[int, int], None]) -> list[CommunityPartition]:
        """Solve every community, in worker processes when asked; results in input order."""
        total = len(work)
        if self.jobs <= 1 or total <= 1:
            parts = []
            for item in work:
                parts.append(_solve_one(item))
                progress(len(parts), total)
            return parts
        results: dict[int, CommunityPartition] = {}
        order = longest_first([item for item, _, _ in work])
        # fork: the children start at once (the district takes seconds); they end with
        # this process even if it is killed (gis.pools)
        with process_pool(min(self.jobs, total), start_method="fork") as pool:
            futures = {pool.submit(_solve_one, work[pos]): pos for pos in order}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                progress(len(results), total)
        return [results[pos] for pos in range(total)]

    def _assemble(self, parts, buildings, crs, total) -> PartitionResult:  # noqa: ANN001
        grids = pd.concat([p.grids for p in parts], ignore_index=True) if parts else None
        if grids is None or grids.empty:
            grids = gpd.GeoDataFrame(columns=GRID_COLUMNS, geometry=[], crs=crs)
        grids = gpd.GeoDataFrame(grids[GRID_COLUMNS], geometry=grids.geometry, crs=crs)
        out = buildings.copy()
        out["grid_code"] = None
        for p in parts:
            out.loc[p.building_grid.index, "grid_code"] = p.building_grid.to_numpy()
        seconds = {p.code: p.seconds for p in parts}
        seconds["total"] = total
        grids = grids.set_geometry(wgs84(grids.geometry))
        return PartitionResult(grids, out, seconds, crs)


def longest_first(items: list[CommunityInput]) -> list[int]:
    """Positions of ``items`` in the order to hand them to workers: most buildings first.

    A pool takes the next community as a worker frees up; given the long ones first, the
    last to finish are short, and no worker is left with a long one while the others
    idle (longest-processing-time-first; buildings stand in for time, which follows them
    with the number of grids). The grids do not depend on the order: each community has
    its own seed.

    Examples
    --------
    >>> import geopandas as gpd
    >>> sizes = [gpd.GeoDataFrame(geometry=[None] * n) for n in (3, 9, 3, 5)]
    >>> longest_first([CommunityInput(str(i), None, b) for i, b in enumerate(sizes)])
    [1, 3, 0, 2]
    """
    return sorted(range(len(items)), key=lambda pos: (-len(items[pos].buildings), pos))


def community_inputs(
    communities: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    compounds: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    previous: dict[str, dict[int, frozenset]] | None = None,
    used: dict[str, set[int]] | None = None,
    crs: pyproj.CRS | None = None,
) -> tuple[pyproj.CRS, list[CommunityInput]]:
    """Split the layers by community, in one metric CRS.

    A building belongs to the community holding a point on its surface; compounds and
    roads go to every community they touch.

    Returns
    -------
    crs, list of CommunityInput
        The metric CRS (the data's UTM zone unless given) and one input per community.
    """
    crs = crs or metric_crs(communities)
    comm = communities.to_crs(crs)
    bld = buildings.to_crs(crs)
    owner = community_of_buildings(comm, bld)
    cmp = compounds.to_crs(crs) if compounds is not None and not compounds.empty else None
    rds = roads.to_crs(crs) if roads is not None and not roads.empty else None
    items = []
    for pos in range(len(comm)):
        row = comm.iloc[pos]
        code = str(row["code"])
        boundary = row.geometry if row.geometry.is_valid else polygonal(make_valid(row.geometry))
        items.append(
            CommunityInput(
                code=code,
                boundary=boundary,
                buildings=bld[owner == pos],
                compounds=None if cmp is None else cmp[cmp.intersects(boundary)],
                roads=None if rds is None else rds[rds.intersects(boundary.buffer(1.0))],
                previous=(previous or {}).get(code),
                used=frozenset((used or {}).get(code, ())),
            )
        )
    return crs, items


def wgs84(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Grid polygons from a metric CRS to EPSG:4326, still tiling and each still valid.

    Edges are first densified to ``_SEGMENT_M`` (20 m): a straight 700 m edge reprojected
    by its end points bends about 5 mm off the metric line, enough to cross a vertex of
    the same grid lying a fraction of a millimetre from it (a region corner at the
    community's edge), and the repair then dropped the sliver between them as a gap.
    Reprojection can still turn a pinch point (two pieces of a grid touching) into a hair
    crossing, so every polygon is then snap-rounded to ``_SNAP_DEG`` (1e-9°, 0.1 mm);
    neighbours share their vertices exactly, so they snap alike and still tile.

    Parameters
    ----------
    geoms : GeoSeries
        Polygons in a metric CRS (metres).

    Returns
    -------
    GeoSeries
        The same polygons in EPSG:4326.
    """
    dense = gpd.GeoSeries([_densified(g) for g in geoms.values], index=geoms.index, crs=geoms.crs)
    out = dense.to_crs(4326)
    return gpd.GeoSeries([_snapped(g) for g in out.values], index=out.index, crs=out.crs)


def _densified(geom: shapely.Geometry) -> shapely.Geometry:
    """``geom`` with no edge longer than ``_SEGMENT_M``, ring by ring.

    ``shapely.segmentize`` on a polygon runs GEOS's densifier, which repairs its result
    with a zero buffer: a grid with a hairline spike along the community's edge came back
    empty. Densifying the rings and rebuilding the polygon keeps every vertex.
    """
    if geom is None or geom.is_empty:
        return geom
    parts = []
    for poly in shapely.get_parts(geom):
        rings = shapely.segmentize(shapely.get_rings(poly), _SEGMENT_M)
        parts.append(shapely.polygons(rings[0], holes=rings[1:] if len(rings) > 1 else None))
    return parts[0] if len(parts) == 1 else shapely.multipolygons(parts)


def _snapped(geom: shapely.Geometry) -> shapely.Geometry:
    """``geom`` snap-rounded to ``_SNAP_DEG``, repaired first if reprojection broke it."""
    if not geom.is_valid:
        # the "structure" repair unions shells and removes holes, so a crossing that was a
        # pinch point keeps the grid one polygon instead of splitting it in two
        geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    try:
        geom = shapely.set_precision(geom, _SNAP_DEG)
    except shapely.errors.GEOSException:
        pass
    parts = shapely.get_parts(geom)
    if len(parts) < 2:
        return parts[0] if len(parts) else geom
    # specks (under 1e-5 of the grid, a few dm²) that snapping cuts off hairline spikes
    keep = [p for p in parts if p.area >= _SPECK_SHARE * geom.area]
    return keep[0] if len(keep) == 1 else shapely.MultiPolygon(keep)


def community_of_buildings(
    communities: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> np.ndarray:
    """Position of the community holding each building (by a point on its surface), or -1.

    Both frames in the same CRS.
    """
    if "code" not in communities:
        raise InputError("communities need a 'code' column (12-digit community code)")
    points = gpd.GeoDataFrame(geometry=buildings.geometry.representative_point(), crs=buildings.crs)
    points = points.reset_index(drop=True)
    hit = gpd.sjoin(points, communities.reset_index(drop=True)[["geometry"]], predicate="within")
    hit = hit[~hit.index.duplicated()]
    owner = np.full(len(buildings), -1)
    owner[hit.index.to_numpy()] = hit["index_right"].to_numpy()
    return owner
