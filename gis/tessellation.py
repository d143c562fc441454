"""Tessellating a community into one cell per building, along roads and compound walls.

Grids are unions of cells, so grids tile the community by construction. Cells come from
momepy's enclosed tessellation: the community is first cut into enclosures by the roads
and compound outlines that cross it (so cell edges follow them), then each enclosure is
split among its buildings by a Voronoi diagram of their outlines. Enclosures without a
building stay whole as *filler* cells. A final pass makes the cover exact: any sliver of
the community that no cell covers joins the neighbour it shares most boundary with.

Now and then GEOS's Voronoi diagram of the outline points comes out broken (polygons
overlapping each other, one of 1.3 km² over an enclosure of 0.27 km²), and momepy, through
libpysal's ``voronoi_frames``, gives each building every polygon its outline intersects:
three buildings of one city enclosure got the same 25,000 m², and two grids came out in
pieces. Enclosures whose cells add up to more than the enclosure are drawn again
(:func:`redraw_enclosure`) and checked.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import momepy
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gis.errors import GeometryError

SEGMENT_M = 2.0  # outline discretisation of the Voronoi step: 2 m keeps cells exact enough
SHRINK_M = 0.4  # outlines drawn in this much before the Voronoi step (momepy's default)
THRESHOLD = 0.05  # share of a footprint an enclosure must hold to give it a cell there
_OVERLAP_M2 = 0.01  # cells adding up to more than their enclosure by this overlap
_GRID_SIZES_M = (1e-3, 1e-4, 1e-2)  # outline precisions tried when cells overlap
_MIN_PIECE_M2 = 1e-6


@dataclass
class Tessellation:
    """Cells of one community, in the metric CRS of the input.

    Attributes
    ----------
    cells : GeoSeries
        One polygon per building, indexed by the building's position (0…n-1), followed by
        filler cells with negative index (-1, -2, …) for enclosures without a building.
    shares_cell : dict
        Buildings that got no cell of their own (slivers, or lying outside the community)
        mapped to the cell they sit in; they go wherever that cell goes.
    """

    cells: gpd.GeoSeries
    shares_cell: dict[int, int]

    @property
    def filler(self) -> pd.Index:
        """Index of cells that hold no building."""
        return self.cells.index[self.cells.index < 0]


def enclosures(community: BaseGeometry, barriers: gpd.GeoSeries | None, crs) -> gpd.GeoSeries:  # noqa: ANN001
    """Cut the community by barrier lines (roads, compound outlines) into enclosures.

    Parameters
    ----------
    community : Polygon or MultiPolygon
        The community, in a metric CRS.
    barriers : GeoSeries of lines, optional
        Roads and compound outlines in the same CRS; lines that do not cross the
        community are ignored.
    crs : CRS
        The metric CRS, for the result.
    """
    limit = gpd.GeoSeries([community], crs=crs)
    if barriers is None or barriers.empty:
        return limit
    near = barriers[barriers.intersects(community)]
    if near.empty:
        return limit
    enc = momepy.enclosures(near.reset_index(drop=True), limit=limit, clip=True)
    keep = ~enc.geometry.is_empty & (enc.geometry.area > _MIN_PIECE_M2)
    return enc.geometry[keep].reset_index(drop=True)


def tessellate(
    community: BaseGeometry,
    buildings: gpd.GeoSeries,
    barriers: gpd.GeoSeries | None = None,
) -> Tessellation:
    """Cells covering ``community`` exactly, one per building plus filler cells.

    Parameters
    ----------
    community : Polygon or MultiPolygon
        The community boundary, in a metric CRS (metres).
    buildings : GeoSeries
        Footprints in the same CRS, indexed 0…n-1; parts outside the community are
        clipped off (a building is never split between cells).
    barriers : GeoSeries of lines, optional
        Roads and compound outlines the cell edges should follow.

    Returns
    -------
    Tessellation
        Cells whose union is the community and which do not overlap (to float precision).

    Raises
    ------
    GeometryError
        If the community geometry is empty or invalid after repair.
    """
    if not community.is_valid:
        community = polygonal(shapely.make_valid(community))
    if community.is_empty or community.area <= 0:
        raise GeometryError(
            "the community has an empty boundary", fix="check the community polygon"
        )
    crs = buildings.crs
    clipped = _without_overlaps(buildings.intersection(community))
    kept = clipped[~clipped.is_empty & (clipped.area > _MIN_PIECE_M2)]
    enc = enclosures(community, barriers, crs)
    if kept.empty:
        cells = _polygons(gpd.GeoSeries(enc.values, index=-(np.arange(len(enc)) + 1), crs=crs))
    else:
        with warnings.catch_warnings():
            # momepy concatenates building-free enclosures without a CRS: harmless
            warnings.filterwarnings("ignore", "CRS not set for some of the concatenation")
            tess = momepy.enclosed_tessellation(
                kept, enc, simplify=False, n_jobs=1, segment=SEGMENT_M, shrink=SHRINK_M,
                threshold=THRESHOLD,
            )  # fmt: skip
        cells = _fillers_yield(_polygons(_redo_overlapping(tess, enc, kept)))
    return Tessellation(_fill_gaps(community, cells), _collapsed(cells, buildings))


def _redo_overlapping(
    tess: gpd.GeoDataFrame, enc: gpd.GeoSeries, buildings: gpd.GeoSeries
) -> gpd.GeoSeries:
    """The cells momepy drew, with those of enclosures where they overlap drawn again."""
    cells = tess.geometry
    where = tess["enclosure_index"].to_numpy()
    total = pd.Series(shapely.area(cells.values)).groupby(where).sum()
    bad = [e for e, a in total.items() if e in enc.index and a > enc[e].area + _OVERLAP_M2]
    if not bad:
        return cells
    tree = shapely.STRtree(buildings.values)
    redone = [cells[~np.isin(where, bad)]]
    for e in bad:
        inside = buildings.iloc[np.sort(tree.query(enc[e], predicate="intersects"))]
        again = redraw_enclosure(enc[e], inside)
        filler = again.index < 0  # keep filler numbers unique
        taken = pd.concat(redone).index  # empty when the only enclosure is redrawn
        lowest = min(0, int(taken.min())) if len(taken) else 0
        again.index = np.where(filler, lowest - np.cumsum(filler), again.index)
        redone.append(again)
    return pd.concat(redone)


def redraw_enclosure(enclosure: BaseGeometry, buildings: gpd.GeoSeries) -> gpd.GeoSeries:
    """Cells of one enclosure whose momepy cells overlapped, drawn so that they do not.

    GEOS's Voronoi diagram is fragile on outline points snapped to libpysal's default
    1e-5 m grid; the same points on a 1 mm grid (then 0.1 mm, then 1 cm) give a sound
    one. Each try is checked (cells adding up to the enclosure); if none is sound, later
    cells are cut back where earlier ones lie.

    Parameters
    ----------
    enclosure : Polygon
        The enclosure, metric CRS (metres).
    buildings : GeoSeries
        Footprints touching it, same CRS, indexed by building.

    Returns
    -------
    GeoSeries
        Cells indexed by building (momepy's rules: -1 for an enclosure left as a filler).
    """
    frame = gpd.GeoSeries([enclosure], crs=buildings.crs)
    for grid in _GRID_SIZES_M:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "CRS not set for some of the concatenation")
            tess = momepy.enclosed_tessellation(
                buildings, frame, simplify=False, n_jobs=1, segment=SEGMENT_M,
                shrink=SHRINK_M, threshold=THRESHOLD, grid_size=grid,
            )  # fmt: skip
        cells = _polygons(tess.geometry)
        if cells.area.sum() <= enclosure.area + _OVERLAP_M2:
            return cells
    return cut_overlaps(cells)


def cut_overlaps(cells: gpd.GeoSeries) -> gpd.GeoSeries:
    """Cells with each one cut back where the cells before it lie (no overlap left)."""
    out = cells.copy()
    taken = shapely.Polygon()
    for pos in range(len(out)):
        geom = out.iloc[pos]
        out.iloc[pos] = polygonal(shapely.difference(geom, taken))
        taken = shapely.union(taken, geom)
    return out[~out.is_empty & (out.area > _MIN_PIECE_M2)]


def _fillers_yield(cells: gpd.GeoSeries) -> gpd.GeoSeries:
    """Cut filler cells (index < 0) back where they overlap building cells.

    momepy can return a building-free enclosure lying over cells of its neighbours; the
    buildings' cells win, and what is left of the filler stays if it has any area.
    """
    filler = cells.index < 0
    if not filler.any() or filler.all():
        return cells
    tree = shapely.STRtree(cells.values[~filler])
    out = cells.copy()
    for pos in np.flatnonzero(filler):
        hits = tree.query(cells.values[pos], predicate="intersects")
        if len(hits):
            under = shapely.union_all(cells.values[~filler][hits])
            out.iloc[pos] = polygonal(shapely.difference(cells.values[pos], under))
    return out[~out.is_empty & (out.area > _MIN_PIECE_M2)]


def _without_overlaps(footprints: gpd.GeoSeries) -> gpd.GeoSeries:
    """Cut overlapping footprints apart: a later one loses what earlier ones cover.

    Overlapping input (duplicates, a building part mapped over its building) would give
    overlapping cells. A footprint covered entirely by another ends up empty; that
    building then shares the other's cell (see ``shares_cell``).
    """
    geoms = footprints.values.copy()
    tree = shapely.STRtree(geoms)
    over_a, over_b = tree.query(geoms, predicate="overlaps")
    pairs = {(int(a), int(b)) for a, b in zip(over_a, over_b, strict=True) if a > b}
    in_a, in_b = tree.query(geoms, predicate="within")
    within = set(zip(in_a.tolist(), in_b.tolist(), strict=True))
    for a, b in within:
        if a != b and (a > b or (b, a) not in within):
            pairs.add((a, b))
    for later, earlier in sorted(pairs):
        geoms[later] = polygonal(shapely.difference(geoms[later], geoms[earlier]))
    return gpd.GeoSeries(geoms, index=footprints.index, crs=footprints.crs)


def _polygons(cells: gpd.GeoSeries) -> gpd.GeoSeries:
    """Keep only the polygonal part of each cell."""
    geoms = [polygonal(g) for g in cells.values]
    out = gpd.GeoSeries(geoms, index=cells.index, crs=cells.crs)
    return out[~out.is_empty & (out.area > _MIN_PIECE_M2)]


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of ``geom`` (lines and points left by an overlay dropped)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _collapsed(cells: gpd.GeoSeries, buildings: gpd.GeoSeries) -> dict[int, int]:
    """Map each building that got no cell to the cell nearest its centre."""
    missing = buildings.index.difference(cells.index[cells.index >= 0])
    if len(missing) == 0:
        return {}
    tree = shapely.STRtree(cells.values)
    nearest = tree.nearest(shapely.point_on_surface(buildings.loc[missing].values))
    return {int(b): int(cells.index[i]) for b, i in zip(missing, nearest, strict=True)}


def _fill_gaps(community: BaseGeometry, cells: gpd.GeoSeries) -> gpd.GeoSeries:
    """Attach the parts of the community no cell covers to their best neighbour."""
    covered = shapely.union_all(cells.values)
    gaps = shapely.get_parts(shapely.difference(community, covered))
    gaps = [g for g in gaps if g.area > _MIN_PIECE_M2]
    if not gaps:
        return cells
    geoms = cells.copy()
    tree = shapely.STRtree(cells.values)
    for gap in gaps:
        near = tree.query(gap, predicate="intersects")
        if len(near) == 0:
            near = np.array([tree.nearest(gap)])
        shared = shapely.length(shapely.intersection(gap.boundary, cells.values[near]))
        owner = cells.index[near[int(np.argmax(shared))]]
        geoms[owner] = shapely.union(geoms[owner], gap)
    return geoms
