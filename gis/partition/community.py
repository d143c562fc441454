"""Partitioning one community: tessellate, build units, assign, draw grids, number them."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gis.coverage import tile
from gis.partition.assign import assign_units
from gis.partition.codes import assign_sequences, grid_code, match_previous, reading_order
from gis.partition.params import PartitionParams
from gis.partition.units import build_units, compound_keys_for, unit_graph
from gis.tessellation import tessellate


@dataclass
class CommunityInput:
    """Everything one community's partition needs, in one metric CRS (metres).

    Attributes
    ----------
    code : str
        12-digit community code.
    boundary : Polygon or MultiPolygon
        The community.
    buildings : GeoDataFrame
        Its buildings: ``households``, optional ``compound``, ``key`` (a stable id).
    compounds : GeoDataFrame or None
        Compound outlines touching it.
    roads : GeoDataFrame or None
        Road lines touching it, with a boolean ``main`` column.
    previous : mapping or None
        ``{sequence: building keys}`` of its current grids, to keep codes stable.
    used : set of int
        Every sequence number the community has had.
    """

    code: str
    boundary: BaseGeometry
    buildings: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    previous: Mapping[int, frozenset] | None = None
    used: frozenset[int] = frozenset()


@dataclass
class CommunityPartition:
    """The grids of one community (metric CRS) and the grid of each building."""

    code: str
    grids: gpd.GeoDataFrame
    building_grid: pd.Series
    seconds: float


def _barriers(item: CommunityInput) -> gpd.GeoSeries | None:
    """Road centre lines: cells follow them.

    Compound walls are not used as barriers: the strip between a wall and the road would
    become one thin cell touching every compound of the block, a hub that no balanced cut
    can get around. Cells between the buildings of two compounds run between their walls
    anyway.
    """
    if item.roads is None or item.roads.empty:
        return None
    return item.roads.geometry.reset_index(drop=True)


def _main_roads(item: CommunityInput) -> gpd.GeoSeries | None:
    if item.roads is None or item.roads.empty or "main" not in item.roads:
        return None
    return item.roads.geometry[item.roads["main"].fillna(False).astype(bool)]


def partition_community(
    item: CommunityInput, params: PartitionParams, rng: np.random.Generator
) -> CommunityPartition:
    """Split one community into grids.

    Parameters
    ----------
    item : CommunityInput
        The community and its buildings, compounds and roads, in a metric CRS.
    params : PartitionParams
        Target households, band and weights.
    rng : numpy.random.Generator
        The only source of randomness: same input and seed, same grids.

    Returns
    -------
    CommunityPartition
        Grids with ``grid_code``, ``seq``, ``households``, ``buildings``, ``area_m2``,
        ``flag``; they tile the community.
    """
    start = time.perf_counter()
    buildings = item.buildings.reset_index(drop=True)
    tess = tessellate(item.boundary, buildings.geometry, _barriers(item))
    keys = compound_keys_for(buildings, item.compounds)
    households = buildings["households"].fillna(0).to_numpy(dtype=int)
    units = build_units(households, keys, tess, params.upper)
    graph = unit_graph(units, _main_roads(item))
    assignment = assign_units(units, graph, item.boundary.area, params, rng)
    grid_of_building = assignment.labels[units.of_building]
    grids = _grid_frame(
        units.regions, assignment.labels, households, grid_of_building, item.boundary,
        units.households == 0,
    )  # fmt: skip
    grids["flag"] = [",".join(assignment.flags.get(g, [])) for g in grids.index]
    seqs = _sequences(item, grids, buildings, grid_of_building)
    grids["seq"] = seqs
    grids["grid_code"] = [grid_code(item.code, s) for s in seqs]
    grids["community_code"] = item.code
    by_building = pd.Series(
        grids["grid_code"].to_numpy()[grid_of_building], index=item.buildings.index
    )
    grids = grids.sort_values("seq").reset_index(drop=True)
    return CommunityPartition(item.code, grids, by_building, time.perf_counter() - start)


def _grid_frame(regions, labels, households, grid_of_building, boundary, loose) -> gpd.GeoDataFrame:  # noqa: ANN001
    polygons = tile(regions.values, labels, boundary, loose)
    k = int(labels.max()) + 1
    grids = gpd.GeoDataFrame(
        {
            "households": np.bincount(grid_of_building, weights=households, minlength=k).astype(
                int
            ),
            "buildings": np.bincount(grid_of_building, minlength=k),
        },
        geometry=[polygons.get(g) or _fallback(regions, labels, g, boundary) for g in range(k)],
        crs=regions.crs,
    )
    grids.geometry = shapely.make_valid(grids.geometry.values)
    grids["area_m2"] = grids.geometry.area
    return grids


def _fallback(regions, labels, g, boundary) -> BaseGeometry:  # noqa: ANN001
    """A grid the noded faces missed (degenerate regions): its regions, clipped."""
    own = shapely.union_all(regions.values[labels == g])
    return shapely.make_valid(shapely.intersection(own, boundary))


def _sequences(item, grids, buildings, grid_of_building) -> np.ndarray:  # noqa: ANN001
    centres = shapely.point_on_surface(grids.geometry.values)
    x, y = shapely.get_x(centres), shapely.get_y(centres)
    side = float(np.sqrt(np.median(grids.geometry.area)))
    order = reading_order(x, y, side)
    kept = {}
    if item.previous:
        keys = buildings["key"].to_numpy() if "key" in buildings else np.arange(len(buildings))
        members = [frozenset(keys[grid_of_building == g]) for g in range(len(grids))]
        kept = match_previous(members, item.previous)
    return assign_sequences(order, kept, set(item.used), item.code)
