"""Unions of tessellation regions that tile an area exactly.

Cells from a tessellation agree with each other only to float precision: unioning them
group by group leaves hairline gaps and overlaps between the groups. :func:`tile` instead
nodes every region outline together with the area's boundary into one planar linework,
polygonises it into faces, gives each face to the group of the region it lies in, and
unions faces per group. Neighbouring groups then share their edges exactly, and the faces
cover the area with no gap or overlap.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry


def tile(regions: np.ndarray, groups: np.ndarray, area: BaseGeometry) -> dict[int, BaseGeometry]:
    """Union ``regions`` by ``groups`` into polygons that tile ``area`` exactly.

    Parameters
    ----------
    regions : ndarray of Polygon/MultiPolygon
        A near-cover of ``area`` (gaps and overlaps of float size), any CRS.
    groups : ndarray of int
        Group of each region.
    area : Polygon or MultiPolygon
        The area to tile.

    Returns
    -------
    dict
        ``{group: polygon}``. A sliver face between two regions goes to the region that
        contains its interior point, or the nearest one.
    """
    keep = ~(shapely.is_missing(regions) | shapely.is_empty(regions))
    regions, groups = regions[keep], groups[keep]
    lines = [shapely.boundary(area), *shapely.boundary(regions)]
    noded = shapely.union_all(lines)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    points = shapely.point_on_surface(faces)
    inside = shapely.contains_properly(area, points) | shapely.intersects(area, points)
    faces, points = faces[inside], points[inside]
    tree = shapely.STRtree(regions)
    owner = np.full(len(faces), -1)
    hit_point, hit_region = tree.query(points, predicate="within")
    owner[hit_point[::-1]] = hit_region[::-1]
    missing = owner < 0
    if missing.any():
        owner[missing] = tree.nearest(points[missing])
    out = {}
    face_group = groups[owner]
    for g in np.unique(face_group):
        out[int(g)] = shapely.coverage_union_all(faces[face_group == g])
    return out
