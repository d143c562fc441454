"""Shapely geometries to matplotlib artists, in the sheet's data coordinates (metres)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure, SubFigure
from matplotlib.path import Path
from shapely.geometry.base import BaseGeometry


def renderer_of(figure: Figure | SubFigure) -> RendererBase:
    """The renderer of a sheet's figure (an Agg canvas), to measure artists in points."""
    canvas = figure.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(figure)  # type: ignore[arg-type]
    return canvas.get_renderer()


def _ring_path(coords: np.ndarray) -> Path:
    codes = np.full(len(coords), Path.LINETO, dtype=np.uint8)
    codes[0] = Path.MOVETO
    codes[-1] = Path.CLOSEPOLY
    return Path(coords, codes)


def polygon_path(geom: BaseGeometry) -> Path | None:
    """One compound path of a (multi)polygon, holes included."""
    parts = getattr(geom, "geoms", [geom])
    rings = []
    for part in parts:
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        rings.append(_ring_path(np.asarray(part.exterior.coords)[:, :2]))
        rings += [_ring_path(np.asarray(hole.coords)[:, :2]) for hole in part.interiors]
    return Path.make_compound_path(*rings) if rings else None


def add_polygons(ax: Axes, geoms: Iterable[BaseGeometry], **style: object) -> PathCollection | None:
    """Draw polygons as one collection (``facecolor``, ``edgecolor``, ``linewidth``…)."""
    paths = [p for p in (polygon_path(g) for g in geoms if g is not None) if p is not None]
    if not paths:
        return None
    collection = PathCollection(paths, **style)  # type: ignore[arg-type]
    ax.add_collection(collection, autolim=False)
    return collection


def line_parts(geom: BaseGeometry) -> list[np.ndarray]:
    """Coordinate arrays of every line of a (multi)line or a polygon's boundary."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        geom = geom.boundary
    parts = getattr(geom, "geoms", [geom])
    return [
        np.asarray(p.coords)[:, :2] for p in parts if p.geom_type in ("LineString", "LinearRing")
    ]


def add_lines(ax: Axes, geoms: Iterable[BaseGeometry], **style: object) -> LineCollection | None:
    """Draw lines (or polygon outlines) as one collection."""
    segments = [part for g in geoms for part in line_parts(g)]
    if not segments:
        return None
    collection = LineCollection(segments, **style)  # type: ignore[arg-type]
    ax.add_collection(collection, autolim=False)
    return collection
