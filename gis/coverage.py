"""Unions of tessellation regions that tile an area exactly.

Cells from a tessellation agree with each other only to float precision: unioning them
group by group leaves hairline gaps and overlaps between the groups. :func:`tile` instead
nodes every region outline together with the area's boundary into one planar linework,
polygonises it into faces, gives each face to the group of the region it lies in, and
unions faces per group. Neighbouring groups then share their edges exactly, and the faces
cover the area with no gap or overlap.

When a group comes out in pieces, its regions a hair apart (less than ``_TOUCH_M``, the
tolerance the unit graph counts as adjacent) are joined by a *bridge*: the strip within
``_TOUCH_M`` of both is noded in too, the tiling drawn again, and the gap faces in the
strip go to that group. Without it, the gap between
them can be one long hairline face running past regions of several groups (1 m² and
960 m long, bordering eight regions of five groups, on a synthetic city); a face goes to
one group, and every other group it parts stays in pieces.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

_STRAY_M2 = 10.0  # detached pieces below this are slivers, not land
_SPECK_M2 = 1e-6
_TOUCH_M = 0.01  # a gap face this close to a region borders it
_BRIDGE_M = 0.05  # pieces of a grid this close are one piece parted by slivers
_SWEEPS = 3
_NO_BRIDGES = (np.array([], dtype=object), np.array([], dtype=int))


def tile(
    regions: np.ndarray,
    groups: np.ndarray,
    area: BaseGeometry,
    loose: np.ndarray | None = None,
) -> dict[int, BaseGeometry]:
    """Union ``regions`` by ``groups`` into polygons that tile ``area`` exactly.

    Parameters
    ----------
    regions : ndarray of Polygon/MultiPolygon
        A near-cover of ``area`` (gaps and overlaps of float size), any CRS.
    groups : ndarray of int
        Group of each region.
    area : Polygon or MultiPolygon
        The area to tile.
    loose : ndarray of bool, optional
        Regions that may change group when they end up cut off from the rest of theirs
        (land without buildings); slivers always may.

    Returns
    -------
    dict
        ``{group: polygon}``. A sliver face between two regions goes to the region that
        contains its interior point, or the nearest one.
    """
    keep = ~(shapely.is_missing(regions) | shapely.is_empty(regions))
    loose = np.zeros(len(regions), dtype=bool) if loose is None else np.asarray(loose)
    regions, groups, loose = regions[keep], groups[keep], loose[keep]
    tree = shapely.STRtree(regions)
    drawn = _draw(regions, groups, loose, area, tree)
    split = [g for g, polygon in drawn.items() if shapely.get_num_geometries(polygon) > 1]
    if split:
        bridges = _bridges(regions, groups, tree, split)
        if len(bridges[0]):
            drawn = _draw(regions, groups, loose, area, tree, bridges)
    return drawn


def _draw(regions, groups, loose, area, tree, bridges=_NO_BRIDGES) -> dict[int, BaseGeometry]:  # noqa: ANN001
    """Node, polygonise and share out the faces (see :func:`tile`), bridges noded in."""
    strips, bridged = bridges
    lines = [shapely.boundary(area), *shapely.boundary(regions), *shapely.boundary(strips)]
    noded = shapely.union_all(lines)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    points = shapely.point_on_surface(faces)
    inside = _inside(faces, points, area)
    faces, points = faces[inside], points[inside]
    owner = np.full(len(faces), -1)
    hit_point, hit_region = tree.query(points, predicate="within")
    owner[hit_point[::-1]] = hit_region[::-1]
    missing = np.flatnonzero(owner < 0)
    if len(missing):
        owner[missing] = _bordering(faces[missing], regions, tree)
        owner[missing] = _across(faces[missing], owner[missing], strips, bridged)
    face_group = _sweep_strays(faces, groups[owner], loose[owner])
    return {
        int(g): _drop_specks(shapely.coverage_union_all(faces[face_group == g]))
        for g in np.unique(face_group)
    }


def _inside(faces: np.ndarray, points: np.ndarray, area: BaseGeometry) -> np.ndarray:
    """Whether each face lies in ``area`` (faces are noded with its boundary: all in or out).

    The interior point of a hairline face along the area's edge can land a float's width
    outside it (1e-12 m); such a face, dropped, is a gap in the tiling. Faces whose
    point is not clearly inside are judged by the share of their area inside instead.
    """
    inside = shapely.contains_properly(area, points)
    doubt = np.flatnonzero(~inside)
    if len(doubt):
        within = shapely.area(shapely.intersection(faces[doubt], area))
        inside[doubt] = within > 0.5 * shapely.area(faces[doubt])
    return inside


def _bordering(gaps: np.ndarray, regions: np.ndarray, tree: shapely.STRtree) -> np.ndarray:
    """For faces inside no region (gaps), the region sharing the most boundary with each.

    A hairline gap between two regions of the same grid must go to that grid, or it
    would cut the grid in two; the longest shared boundary decides, the nearest region
    when none touches.
    """
    out = tree.nearest(gaps)
    near_gap, near_region = tree.query(gaps, predicate="dwithin", distance=_TOUCH_M)
    if len(near_gap) == 0:
        return out
    shared = shapely.length(
        shapely.intersection(
            shapely.boundary(gaps[near_gap]),
            shapely.buffer(shapely.boundary(regions[near_region]), _TOUCH_M),
        )
    )
    best = np.full(len(gaps), -1.0)
    for g, r, length in zip(near_gap, near_region, shared, strict=True):
        if length > best[g]:
            best[g], out[g] = length, r
    return out


def _bridges(
    regions: np.ndarray, groups: np.ndarray, tree: shapely.STRtree, split: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Strips joining regions of one group that lie a hair apart, and a region of each.

    Regions of a group in ``split`` within ``_TOUCH_M`` of each other but not sharing an
    edge get the strip within ``_TOUCH_M`` of both: the gap between them, with a rim of
    each. (Buffering whole regions is slow, so only groups that came out in pieces.)
    """
    i, j = tree.query(regions, predicate="dwithin", distance=_TOUCH_M)
    keep = (i < j) & (groups[i] == groups[j]) & np.isin(groups[i], split)
    i, j = i[keep], j[keep]
    edge = shapely.length(shapely.intersection(regions[i], regions[j]))
    apart = edge < _TOUCH_M
    i, j = i[apart], j[apart]
    strips = shapely.intersection(
        shapely.buffer(regions[i], _TOUCH_M), shapely.buffer(regions[j], _TOUCH_M)
    )
    real = shapely.area(strips) > _SPECK_M2
    return strips[real], i[real]


def _across(
    gaps: np.ndarray, owner: np.ndarray, bridges: np.ndarray, bridged: np.ndarray
) -> np.ndarray:
    """Gap faces lying in a bridge go to a region of the group it joins."""
    owner = owner.copy()
    if len(bridges) == 0:
        return owner
    gap, bridge = shapely.STRtree(bridges).query(gaps, predicate="intersects")
    share = shapely.area(shapely.intersection(gaps[gap], bridges[bridge]))
    within = share > 0.5 * shapely.area(gaps[gap])
    owner[gap[within]] = bridged[bridge[within]]
    return owner


def _drop_specks(geom: BaseGeometry) -> BaseGeometry:
    """Remove zero-area parts a polygonisation can leave."""
    parts = [p for p in shapely.get_parts(geom) if p.area > _SPECK_M2]
    if len(parts) == len(shapely.get_parts(geom)):
        return geom
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _sweep_strays(faces: np.ndarray, group: np.ndarray, loose: np.ndarray) -> np.ndarray:
    """Give pieces cut off from the rest of their group to the group they touch most.

    A piece moves when it is a sliver (under ``_STRAY_M2``: hairline faces that a
    point-in-region test put on the wrong side) or when all its faces are loose (land
    without buildings). Other detached pieces stay, for the metrics to report.
    """
    group = group.copy()
    tree = shapely.STRtree(faces)
    areas = shapely.area(faces)
    for _ in range(_SWEEPS):
        moved = 0
        for g in np.unique(group):
            moved += _sweep_group(g, faces, group, loose, areas, tree)
        if not moved:
            break
    return group


def _sweep_group(g, faces, group, loose, areas, tree) -> int:  # noqa: ANN001
    """Reconnect or hand over the detached pieces of group ``g``; return faces moved."""
    idx = np.flatnonzero(group == g)
    pieces = sorted(
        shapely.get_parts(shapely.coverage_union_all(faces[idx])), key=lambda p: -p.area
    )
    moved = 0
    for piece in pieces[1:]:
        inside = idx[shapely.intersects(shapely.point_on_surface(faces[idx]), piece)]
        if len(inside) == 0:
            continue
        if piece.area < _STRAY_M2 or loose[inside].all():
            near = tree.query(piece, predicate="dwithin", distance=_TOUCH_M)
            near = near[group[near] != g]
            if len(near):
                shared = shapely.length(
                    shapely.intersection(piece.boundary, shapely.buffer(faces[near], _TOUCH_M))
                )
                group[inside] = group[near[int(np.argmax(shared))]]
                moved += len(inside)
            continue
        # a piece with buildings a hair from the rest: take the slivers that part them
        rest = shapely.union_all([p for p in pieces if p is not piece])
        if piece.distance(rest) > _BRIDGE_M:
            continue
        zone = shapely.intersection(piece.buffer(_BRIDGE_M), rest.buffer(_BRIDGE_M))
        hair = tree.query(zone, predicate="intersects")
        hair = hair[(group[hair] != g) & (areas[hair] < _STRAY_M2)]
        group[hair] = g
        moved += len(hair)
    return moved
