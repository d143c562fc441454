"""Units of a partition and their adjacency graph.

A unit is what the search moves as a whole: a compound (小区/楼院) whose households fit in
the band, a single building (of a larger compound, or of none), or a filler cell (land
without buildings: squares, green space, blocks between roads). Each unit's region is the
union of its tessellation cells, so units tile the community.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.tessellation import Tessellation

BUILDING, COMPOUND, FILLER = "building", "compound", "filler"
_ROAD_SNAP_M = 2.0  # a shared edge this close to a main road runs along it
_MIN_SHARED_M = 0.5  # shorter shared edges are corners, not adjacency
_TOUCH_M = 0.01  # regions this close touch (= the snapping grid)
GRID_M = 0.01  # snap-rounding grid of unions, metres: closes float hairlines


@dataclass
class Units:
    """Units of one community (metric CRS).

    Attributes
    ----------
    regions : GeoSeries
        One polygon per unit, indexed 0…n-1.
    households : ndarray of int
        Households per unit.
    kind : ndarray of str
        ``compound``, ``building`` or ``filler``.
    compound : ndarray of object
        For buildings of a compound too large to keep whole, the compound's key; else None.
    of_building : ndarray of int
        The unit of each input building (by position).
    """

    regions: gpd.GeoSeries
    households: np.ndarray
    kind: np.ndarray
    compound: np.ndarray
    of_building: np.ndarray

    def __len__(self) -> int:
        return len(self.households)


@dataclass
class UnitGraph:
    """Adjacency of units as symmetric edge arrays (each edge stored once, i < j).

    Attributes
    ----------
    i, j : ndarray of int
        Endpoints.
    length : ndarray of float
        Shared boundary length, metres.
    barrier : ndarray of float
        Part of the shared boundary that runs along a main road, metres.
    """

    n: int
    i: np.ndarray
    j: np.ndarray
    length: np.ndarray
    barrier: np.ndarray

    def neighbours(self) -> list[list[tuple[int, float, float]]]:
        """Per unit, its neighbours as ``(unit, shared length, barrier length)``."""
        out: list[list[tuple[int, float, float]]] = [[] for _ in range(self.n)]
        for a, b, length, bar in zip(self.i, self.j, self.length, self.barrier, strict=True):
            out[a].append((int(b), float(length), float(bar)))
            out[b].append((int(a), float(length), float(bar)))
        return out


def compound_keys_for(buildings: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame | None) -> pd.Series:
    """The compound of each building: its ``compound`` value, else the outline it stands in.

    Parameters
    ----------
    buildings : GeoDataFrame
        With an optional ``compound`` column (id or name), metric CRS.
    compounds : GeoDataFrame, optional
        Outlines with ``source_id`` or ``name``, same CRS.
    """
    keys = pd.Series(None, index=buildings.index, dtype="object")
    if "compound" in buildings:
        keys = buildings["compound"].astype("object").where(buildings["compound"].notna(), None)
    if compounds is not None and not compounds.empty:
        missing = keys.isna()
        if missing.any():
            points = gpd.GeoSeries(
                shapely.point_on_surface(buildings.geometry[missing].values),
                index=buildings.index[missing],
                crs=buildings.crs,
            )
            ids = _compound_ids(compounds)
            hit = gpd.sjoin(
                gpd.GeoDataFrame(geometry=points), compounds[["geometry"]], predicate="within"
            )
            hit = hit[~hit.index.duplicated()]
            keys[hit.index] = ids.loc[hit["index_right"]].to_numpy()
    return keys


def _compound_ids(compounds: gpd.GeoDataFrame) -> pd.Series:
    for column in ("source_id", "name"):
        if column in compounds and compounds[column].notna().all():
            return compounds[column].astype(str)
    return pd.Series([f"compound-{i}" for i in compounds.index], index=compounds.index)


def build_units(
    households: np.ndarray, compound_keys: pd.Series, tess: Tessellation, upper: float
) -> Units:
    """Group buildings into units and give each its region.

    Parameters
    ----------
    households : ndarray of int
        Households per building (position i = building i).
    compound_keys : Series
        Compound key per building, or None.
    tess : Tessellation
        Cells per building (index ≥ 0) and filler cells (index < 0).
    upper : float
        Upper bound of the band: compounds with more households are split by building.
    """
    n = len(households)
    keys = compound_keys.to_numpy(dtype=object)
    totals = pd.Series(households).groupby(pd.Series(keys)).sum()
    whole = {k for k, total in totals.items() if k is not None and total <= upper}
    label = np.empty(n, dtype=object)
    for b in range(n):
        k = keys[b]
        label[b] = ("c", k) if k in whole else ("b", b)
    for b, cell in tess.shares_cell.items():
        label[b] = label[cell] if cell >= 0 else ("f", cell)
    building_units = pd.unique(label)
    index = {u: i for i, u in enumerate(building_units)}
    of_building = np.array([index[lab] for lab in label], dtype=int)
    fillers = [c for c in tess.filler if ("f", c) not in index]
    for c in fillers:
        index[("f", c)] = len(index)
    return _assemble(index, of_building, households, keys, whole, tess)


def _assemble(index, of_building, households, keys, whole, tess) -> Units:  # noqa: ANN001
    m = len(index)
    hh = np.bincount(of_building, weights=households, minlength=m).astype(int)
    kind = np.empty(m, dtype=object)
    compound = np.empty(m, dtype=object)
    cell_unit = {}
    for (tag, ref), u in index.items():
        kind[u] = {"c": COMPOUND, "b": BUILDING, "f": FILLER}[tag]
        compound[u] = None
        if tag == "b" and keys[ref] is not None and keys[ref] not in whole:
            compound[u] = keys[ref]
        if tag == "f":
            cell_unit[ref] = u
    for b, u in enumerate(of_building):
        cell_unit.setdefault(b, u)
    cells = tess.cells
    owner = np.array([cell_unit.get(int(c), -1) for c in cells.index])
    keep = owner >= 0
    regions = (
        gpd.GeoDataFrame({"unit": owner[keep]}, geometry=cells.values[keep], crs=cells.crs)
        .dissolve(by="unit", grid_size=GRID_M)
        .geometry.reindex(range(m))
    )
    return _split_pieces(Units(regions, hh, kind, compound, of_building))


def _split_pieces(units: Units) -> Units:
    """Make every unit region one piece: extra pieces become filler units of their own.

    A building's cell can come in two pieces (a footprint straddling a road lies in two
    enclosures); the unit keeps its largest piece, so that a grid made of whole units is
    one piece on the ground.
    """
    extra_geoms = []
    geoms = units.regions.values.copy()
    for u, geom in enumerate(geoms):
        if geom is None or geom.geom_type != "MultiPolygon":
            continue
        parts = sorted(shapely.get_parts(geom), key=lambda p: -p.area)
        geoms[u] = parts[0]
        extra_geoms += parts[1:]
    if not extra_geoms:
        return units
    n = len(extra_geoms)
    regions = gpd.GeoSeries(list(geoms) + extra_geoms, crs=units.regions.crs)
    return Units(
        regions,
        np.concatenate([units.households, np.zeros(n, dtype=int)]),
        np.concatenate([units.kind, np.array([FILLER] * n, dtype=object)]),
        np.concatenate([units.compound, np.array([None] * n, dtype=object)]),
        units.of_building,
    )


def unit_graph(units: Units, main_roads: gpd.GeoSeries | None = None) -> UnitGraph:
    """Rook adjacency of unit regions, weighted by shared length and main-road length.

    Regions on either side of a road centre line meet along the same line but not always
    at the same vertices, and float noise can leave them a hair apart; so adjacency is
    measured with a tolerance of a few centimetres rather than by shared coordinates.

    Parameters
    ----------
    units : Units
        Units with their regions (metric CRS, metres).
    main_roads : GeoSeries of lines, optional
        Main roads; shared edges along them are barriers.
    """
    regions = units.regions.values
    present = ~(shapely.is_missing(regions) | shapely.is_empty(regions))
    tree = shapely.STRtree(np.where(present, regions, None))
    i, j = tree.query(regions, predicate="dwithin", distance=_TOUCH_M)
    keep = (i < j) & present[i] & present[j]
    i, j = i[keep], j[keep]
    # each region's outline (and its rim) once, not once per pair it is in
    outline = np.full(len(regions), None, dtype=object)
    rim = np.full(len(regions), None, dtype=object)
    ends, starts = np.unique(j), np.unique(np.concatenate([i, j]))
    outline[starts] = shapely.boundary(regions[starts])
    rim[ends] = shapely.buffer(outline[ends], _TOUCH_M)
    shared = shapely.intersection(outline[i], rim[j])
    length = shapely.length(shared)
    rook = length >= _MIN_SHARED_M
    i, j, shared, length = i[rook], j[rook], shared[rook], length[rook]
    barrier = np.zeros(len(i))
    if main_roads is not None and not main_roads.empty and len(i):
        zone = shapely.union_all(main_roads.buffer(_ROAD_SNAP_M).values)
        barrier = shapely.length(shapely.intersection(shared, zone))
    return UnitGraph(len(units), i, j, length, barrier)
