"""Esri JSON (an ArcGIS REST FeatureSet) to a GeoDataFrame, true curves densified.

GDAL's ESRIJSON driver reads ``curveRings`` and ``curvePaths`` as empty geometries, so
this module parses the JSON itself. Coordinates are kept as they are, in the units of the
FeatureSet's ``spatialReference`` (metres for a projected CRS, degrees for a geographic
one); only true curves are replaced by chords.

Curve segments follow the ArcGIS REST "JSON curve object": a path starts with a point and
each further element is either a point (a straight segment to it) or one of

- ``{"c": [end, interior]}``: circular arc from the previous point through ``interior``;
- ``{"a": [end, center, minor, clockwise]}``: circular arc about ``center``;
- ``{"a": [end, center, minor, clockwise, rotation, axis, ratio]}``: elliptic arc, the
  major axis turned by ``rotation`` radians from the x axis, ``ratio`` = minor / major;
- ``{"b": [end, control1, control2]}``: cubic Bézier curve.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from shapely.errors import GEOSException
from shapely.geometry import (
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
    box,
)
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from gis.errors import CRSError, FormatError

MAX_ARC_STEP_DEG = 1.0
"""Largest angle, in degrees, that one chord of a densified arc or ellipse may span."""

_GEOMETRY_KEYS = frozenset({"rings", "curveRings", "paths", "curvePaths", "x", "points", "xmin"})
# Esri's own codes for CRSs that EPSG later registered under another number.
_WKID_ALIASES = {102100: 3857, 102113: 3857, 900913: 3857}
_CURVE_NAMES = {"c": "circular arc", "a": "elliptic/centre arc", "b": "Bézier curve"}

XY = tuple[float, float]


def looks_like_featureset(obj: Any) -> bool:
    """Whether a parsed JSON value is an Esri FeatureSet rather than GeoJSON.

    It is one when it has a ``features`` list whose features carry ``attributes`` or an
    Esri ``geometry`` (``rings``, ``curveRings``, ``paths``, ``curvePaths``, ``x``…), or
    an ``esriGeometry…`` ``geometryType``, or no features but ``fields`` and no ``type``.
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("features"), list):
        return False
    if str(obj.get("geometryType", "")).startswith("esriGeometry"):
        return True
    if "type" not in obj and not obj["features"] and ("fields" in obj or "spatialReference" in obj):
        return True
    for feature in obj["features"][:20]:
        if not isinstance(feature, dict) or "type" in feature:
            return False
        geometry = feature.get("geometry")
        if isinstance(geometry, dict) and _GEOMETRY_KEYS & geometry.keys():
            return True
        if "attributes" in feature:
            return True
    return False


def read_featureset(obj: dict) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Convert a parsed Esri FeatureSet to a GeoDataFrame.

    Parameters
    ----------
    obj : dict
        The parsed JSON, with ``features`` and optionally ``fields`` and
        ``spatialReference``.

    Returns
    -------
    frame : geopandas.GeoDataFrame
        One row per feature, attribute columns in the order of ``fields``, geometry in
        column ``geometry`` in the FeatureSet's own CRS and units (``None`` when it
        declares no ``spatialReference``); dates (``esriFieldTypeDate``, epoch ms) as
        datetimes.
    notes : list of str
        What was done: curves densified, rings re-oriented, dates converted.

    Raises
    ------
    gis.errors.FormatError
        If a feature or its geometry is malformed; names the feature.
    gis.errors.CRSError
        If ``spatialReference`` names a CRS that pyproj does not know.
    """
    stats: Counter[str] = Counter()
    rows, geometries = [], []
    for number, feature in enumerate(obj["features"]):
        row = (feature.get("attributes") or {}) if isinstance(feature, dict) else None
        if not isinstance(row, dict):
            raise FormatError("malformed Esri JSON feature or attributes", feature=number)
        rows.append(row)
        try:
            geometries.append(to_shapely(feature.get("geometry"), stats))
        except (LookupError, TypeError, ValueError, ArithmeticError, GEOSException) as exc:
            raise FormatError(
                f"malformed Esri JSON geometry: {exc}",
                fix="export the layer again from ArcGIS",
                feature=number,
            ) from exc
    attributes, date_fields = _attributes(rows, obj.get("fields") or [])
    crs = spatial_reference_crs(_spatial_reference(obj))
    frame = gpd.GeoDataFrame(attributes, geometry=geometries, crs=crs)
    return frame, _notes(stats, date_fields, obj)


def spatial_reference_crs(reference: dict | None) -> pyproj.CRS | None:
    """Resolve an Esri ``spatialReference`` to a CRS; ``None`` when there is none.

    ``latestWkid`` wins over ``wkid``; Esri's old Web Mercator codes (102100, 102113)
    become EPSG:3857; other codes are looked up as EPSG, then as ESRI; ``wkt`` is used
    when no code is given.

    Raises
    ------
    gis.errors.CRSError
        If the reference names a CRS that cannot be resolved.
    """
    if not reference:
        return None
    for key in ("latestWkid", "wkid"):
        crs = _crs_from_code(reference.get(key))
        if crs is not None:
            return crs
    if reference.get("wkt"):
        try:
            return pyproj.CRS.from_wkt(reference["wkt"])
        except pyproj.exceptions.CRSError:
            pass
    if any(reference.get(k) for k in ("latestWkid", "wkid", "wkt")):
        raise CRSError(
            f"unknown Esri spatialReference {reference}",
            fix="export the layer with an EPSG code such as 4490 (CGCS2000) or 4326",
        )
    return None


def to_shapely(geometry: dict | None, stats: Counter[str]) -> BaseGeometry | None:
    """Convert one Esri JSON geometry to shapely, densifying curves.

    Coordinates keep the units of the FeatureSet's CRS; z and m values are dropped.
    ``stats`` is updated with the curve segments densified and the rings fixed.
    Returns ``None`` for a missing or empty geometry.
    """
    if not geometry:
        return None
    if "curveRings" in geometry or "rings" in geometry:
        paths = geometry.get("curveRings") or geometry.get("rings") or []
        return assemble_polygon([_path_coords(p, stats) for p in paths], stats)
    if "curvePaths" in geometry or "paths" in geometry:
        paths = geometry.get("curvePaths") or geometry.get("paths") or []
        lines = [LineString(c) for c in (_path_coords(p, stats) for p in paths) if len(c) > 1]
        if not lines:
            return None
        return lines[0] if len(lines) == 1 else MultiLineString(lines)
    if "points" in geometry:
        points = [_xy(p) for p in geometry["points"]]
        return MultiPoint(points) if points else None
    if "x" in geometry:
        x, y = _number(geometry["x"]), _number(geometry.get("y"))
        return None if math.isnan(x) or math.isnan(y) else Point(x, y)
    if "xmin" in geometry:
        return box(*(float(geometry[k]) for k in ("xmin", "ymin", "xmax", "ymax")))
    raise ValueError(f"no Esri geometry keys in {sorted(geometry)}")


def assemble_polygon(rings: list[list[XY]], stats: Counter[str]) -> Polygon | MultiPolygon | None:
    """Build a polygon from Esri rings: clockwise rings are shells, the others holes.

    Each hole goes to the smallest shell that covers it. Rings of fewer than three
    distinct points or of zero area are dropped. When no ring is clockwise (data that
    ignores the Esri convention), nesting decides instead: rings inside an even number of
    others are shells. Shells come out counter-clockwise, as in GeoJSON.
    """
    kept = [r for r in rings if len(set(r)) >= 3 and _signed_area(r) != 0]
    stats["degenerate rings dropped"] += len(rings) - len(kept)
    if not kept:
        return None
    shells, holes = _shells_and_holes(kept, stats)
    shell_polygons = [Polygon(kept[i]) for i in shells]
    members: list[list[list[XY]]] = [[] for _ in shells]
    for i in holes:
        hole = Polygon(kept[i])
        covering = [k for k, shell in enumerate(shell_polygons) if shell.covers(hole)]
        if covering:
            members[min(covering, key=lambda k: shell_polygons[k].area)].append(kept[i])
        else:
            stats["holes outside every shell kept as shells"] += 1
            shells.append(i)
            members.append([])
    parts = [orient(Polygon(kept[s], members[k])) for k, s in enumerate(shells)]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _shells_and_holes(rings: list[list[XY]], stats: Counter[str]) -> tuple[list, list]:
    """Split ring indices into shells and holes, by orientation or else by nesting."""
    if len(rings) == 1:
        return [0], []
    is_shell = [_signed_area(r) < 0 for r in rings]
    if not any(is_shell):
        stats["polygons without clockwise rings organised by nesting"] += 1
        polygons = [Polygon(r) for r in rings]
        depths = [sum(q.covers(p) for q in polygons if q is not p) for p in polygons]
        is_shell = [depth % 2 == 0 for depth in depths]
    shells = [i for i, shell in enumerate(is_shell) if shell]
    return shells, [i for i in range(len(rings)) if not is_shell[i]]


def _path_coords(path: Sequence, stats: Counter[str]) -> list[XY]:
    """Coordinates of one Esri path or ring, with curve segments densified."""
    if not path:
        return []
    coords = [_xy(path[0])]
    for element in path[1:]:
        if not isinstance(element, dict):
            coords.append(_xy(element))
            continue
        (kind, spec), *_ = element.items()
        start = coords[-1]
        if kind == "c":
            coords.extend(arc_through(start, _xy(spec[1]), _xy(spec[0])))
        elif kind == "a":
            coords.extend(_centre_arc(start, spec))
        elif kind == "b":
            coords.extend(bezier(start, _xy(spec[1]), _xy(spec[2]), _xy(spec[0])))
        else:
            raise ValueError(f"unknown curve segment {kind!r}")
        stats[kind] += 1
    return coords


def arc_through(start: XY, interior: XY, end: XY) -> list[XY]:
    """Densify the circular arc from ``start`` through ``interior`` to ``end``.

    Returns the points after ``start``, ending exactly at ``end``, each chord spanning at
    most ``MAX_ARC_STEP_DEG``. Collinear points give a straight segment; ``start ==
    end`` gives a full circle (clockwise) with ``interior`` diametrically opposite.
    Coordinates are planar, in the units of the data's CRS.
    """
    if start == end:
        mid = ((start[0] + interior[0]) / 2, (start[1] + interior[1]) / 2)
        return _ellipse_points(mid, 1.0, 0.0, _angle(mid, start), -2 * math.pi, end)
    centre = _circumcentre(start, interior, end)
    if centre is None:
        return [end]
    a0 = _angle(centre, start)
    ccw_end = (_angle(centre, end) - a0) % (2 * math.pi)
    ccw_mid = (_angle(centre, interior) - a0) % (2 * math.pi)
    sweep = ccw_end if ccw_mid < ccw_end else ccw_end - 2 * math.pi
    return _ellipse_points(centre, 1.0, 0.0, a0, sweep, end)


def _centre_arc(start: XY, spec: Sequence) -> list[XY]:
    """Densify an Esri ``"a"`` arc: ``[end, centre, minor, clockwise, rot, axis, ratio]``.

    The ellipse is the one centred on ``centre`` with the given rotation and axis ratio
    that passes through ``start``; the arc runs from ``start`` to ``end`` in the given
    direction (a full turn when they coincide).
    """
    end, centre, clockwise = _xy(spec[0]), _xy(spec[1]), bool(spec[3])
    rotation = float(spec[4]) if len(spec) > 6 else 0.0
    ratio = float(spec[6]) if len(spec) > 6 else 1.0
    t0 = _ellipse_parameter(centre, start, rotation, ratio)
    ccw = (_ellipse_parameter(centre, end, rotation, ratio) - t0) % (2 * math.pi)
    if start == end or ccw == 0:
        sweep = -2 * math.pi if clockwise else 2 * math.pi
    else:
        sweep = ccw - 2 * math.pi if clockwise else ccw
    return _ellipse_points(centre, ratio, rotation, t0, sweep, end, through=start)


def bezier(start: XY, control1: XY, control2: XY, end: XY) -> list[XY]:
    """Densify a cubic Bézier curve; returns the points after ``start``.

    The number of chords grows with the turning of the control polygon, one chord per
    ``MAX_ARC_STEP_DEG`` of turning, at least 8 and at most 1000.
    """
    control = np.array([start, control1, control2, end], dtype=float)
    legs = np.diff(control, axis=0)
    headings = [math.atan2(dy, dx) for dx, dy in legs if dx or dy]
    turning = sum(
        abs((b - a + math.pi) % (2 * math.pi) - math.pi)
        for a, b in zip(headings, headings[1:], strict=False)
    )
    n = min(1000, max(8, math.ceil(math.degrees(turning) / MAX_ARC_STEP_DEG)))
    t = np.linspace(0.0, 1.0, n + 1)[1:, None]
    weights = [(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3]
    points = sum(w * p for w, p in zip(weights, control, strict=True))
    return [*map(tuple, points[:-1].tolist()), end]


def _ellipse_points(
    centre: XY,
    ratio: float,
    rotation: float,
    t0: float,
    sweep: float,
    end: XY,
    *,
    through: XY | None = None,
) -> list[XY]:
    """Points at parameters ``t0 + sweep * i / n``, i = 1..n, the last one ``end``.

    For a circle (``ratio == 1``) the radius is the distance from ``centre`` to the
    start point; it is passed as ``through`` or recovered from ``t0`` and ``end``.
    """
    reference = through if through is not None else end
    dx, dy = reference[0] - centre[0], reference[1] - centre[1]
    cos_r, sin_r = math.cos(rotation), math.sin(rotation)
    u, v = dx * cos_r + dy * sin_r, -dx * sin_r + dy * cos_r
    major = math.hypot(u, v / ratio) if ratio else math.hypot(u, v)
    n = max(1, math.ceil(abs(math.degrees(sweep)) / MAX_ARC_STEP_DEG))
    t = t0 + sweep * np.arange(1, n) / n
    x_local, y_local = major * np.cos(t), major * ratio * np.sin(t)
    xs = centre[0] + x_local * cos_r - y_local * sin_r
    ys = centre[1] + x_local * sin_r + y_local * cos_r
    return [*zip(xs.tolist(), ys.tolist(), strict=True), end]


def _ellipse_parameter(centre: XY, point: XY, rotation: float, ratio: float) -> float:
    dx, dy = point[0] - centre[0], point[1] - centre[1]
    u = dx * math.cos(rotation) + dy * math.sin(rotation)
    v = -dx * math.sin(rotation) + dy * math.cos(rotation)
    return math.atan2(v / ratio if ratio else v, u)


def _circumcentre(a: XY, b: XY, c: XY) -> XY | None:
    d = 2 * (a[0] * (b[1] - c[1]) + b[0] * (c[1] - a[1]) + c[0] * (a[1] - b[1]))
    scale = max(abs(v) for v in (*a, *b, *c)) or 1.0
    if abs(d) <= 1e-12 * scale * scale:
        return None
    na, nb, nc = (p[0] ** 2 + p[1] ** 2 for p in (a, b, c))
    x = (na * (b[1] - c[1]) + nb * (c[1] - a[1]) + nc * (a[1] - b[1])) / d
    y = (na * (c[0] - b[0]) + nb * (a[0] - c[0]) + nc * (b[0] - a[0])) / d
    return x, y


def _angle(centre: XY, point: XY) -> float:
    return math.atan2(point[1] - centre[1], point[0] - centre[0])


def _signed_area(ring: list[XY]) -> float:
    """Shoelace area: positive counter-clockwise, negative clockwise (Esri shells)."""
    xs, ys = np.asarray(ring, dtype=float).T
    return 0.5 * float(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1)))


def _xy(point: Sequence) -> XY:
    return float(point[0]), float(point[1])


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _crs_from_code(value: Any) -> pyproj.CRS | None:
    try:
        code = int(value)
    except (TypeError, ValueError):
        return None
    code = _WKID_ALIASES.get(code, code)
    for authority in ("EPSG", "ESRI"):
        try:
            return pyproj.CRS.from_authority(authority, code)
        except pyproj.exceptions.CRSError:
            continue
    return None


def _spatial_reference(obj: dict) -> dict | None:
    if obj.get("spatialReference"):
        return obj["spatialReference"]
    for feature in obj["features"]:
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if isinstance(geometry, dict) and geometry.get("spatialReference"):
            return geometry["spatialReference"]
    return None


def _attributes(rows: list[dict], fields: list[dict]) -> tuple[pd.DataFrame, list[str]]:
    """Attribute table, columns in ``fields`` order, Esri dates (epoch ms) as datetimes."""
    names = [f["name"] for f in fields if isinstance(f, dict) and "name" in f]
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=names)
    order = [n for n in names if n in frame.columns]
    frame = frame[order + [c for c in frame.columns if c not in order]]
    dates = [
        f["name"]
        for f in fields
        if isinstance(f, dict) and f.get("type") == "esriFieldTypeDate" and f.get("name") in frame
    ]
    for name in dates:
        frame[name] = pd.to_datetime(frame[name], unit="ms", errors="coerce")
    return frame, dates


def _notes(stats: Counter[str], date_fields: list[str], obj: dict) -> list[str]:
    notes = []
    curves = {k: stats[k] for k in _CURVE_NAMES if stats[k]}
    if curves:
        detail = ", ".join(f"{n} {_CURVE_NAMES[k]} ({k!r})" for k, n in curves.items())
        notes.append(
            f"densified {sum(curves.values())} curveRings/curvePaths segments ({detail}), "
            f"at most {MAX_ARC_STEP_DEG:g} degree per chord"
        )
    notes += [f"{stats[k]} {k}" for k in sorted(stats) if k not in _CURVE_NAMES and stats[k]]
    if date_fields:
        notes.append(f"date fields {', '.join(date_fields)} converted from epoch milliseconds")
    if obj.get("exceededTransferLimit"):
        notes.append(
            "exceededTransferLimit is true: the server cut the result short, features are "
            "missing; query again with paging (resultOffset)"
        )
    return notes
