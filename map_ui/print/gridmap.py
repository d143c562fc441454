"""The map of one grid: layers, emphasis of the grid, facilities and labels.

Everything is drawn in the sheet's local metric CRS (see :mod:`map_ui.print.projection`) at
a round scale fitted to the grid, so the map frame's limits are in metres.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.text import Text
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from map_ui.print import symbols as sym
from map_ui.print.content import GridSheet
from map_ui.print.drawing import add_lines, add_polygons
from map_ui.print.furniture import ScaleBar, draw_north_arrow, draw_scale_bar, free_corner
from map_ui.print.labels import Label, LabelPlacer
from map_ui.print.legend import Entry
from map_ui.print.projection import local_crs, to_local
from map_ui.print.scale import fit_scale, frame_limits

#: Road widths in points at A4 by OSM class (casing adds 1 pt).
ROAD_WIDTHS = {
    "motorway": 7.0, "trunk": 7.0, "primary": 6.5, "secondary": 5.5, "tertiary": 4.8,
    "residential": 3.6, "unclassified": 3.6, "living_street": 2.8, "service": 2.4,
    "pedestrian": 2.4,
}  # fmt: skip


@dataclass
class GridMap:
    """The drawn map of a grid.

    Attributes
    ----------
    ax : Axes
        The map axes (data coordinates: metres of the local CRS).
    scale : int
        The printed scale's denominator.
    scale_bar : ScaleBar
    legend : list of Entry
        Symbols drawn, in legend order.
    labels : list of Text
        Labels placed (none overlapping another).
    dropped : int
        Labels left out for want of room.
    facility_classes : list of str
        Class codes of the facilities drawn.
    """

    ax: Axes
    scale: int
    scale_bar: ScaleBar
    legend: list[Entry] = field(default_factory=list)
    labels: list[Text] = field(default_factory=list)
    dropped: int = 0
    facility_classes: list[str] = field(default_factory=list)


def _in_view(frame: gpd.GeoDataFrame | None, view: BaseGeometry) -> gpd.GeoDataFrame:
    if frame is None or frame.empty:
        return gpd.GeoDataFrame(geometry=[])
    return frame[frame.intersects(view)]


def fitted_scale(sheet: GridSheet, frame_mm: tuple[float, float]) -> int:
    """The round scale at which ``sheet``'s grid fills a frame of ``frame_mm`` (mm)."""
    crs = local_crs(sheet.geometry)
    grid = gpd.GeoSeries([sheet.geometry], crs="EPSG:4326").to_crs(crs).iloc[0]
    x0, y0, x1, y1 = grid.bounds
    return fit_scale((x1 - x0, y1 - y0), frame_mm)


def draw_grid_map(ax: Axes, sheet: GridSheet, frame_mm: tuple[float, float], k: float) -> GridMap:
    """Draw ``sheet``'s map into ``ax``, a frame of ``frame_mm`` (mm) on paper.

    Parameters
    ----------
    ax : Axes
        Positioned on a 72-dpi figure; its limits are set here.
    sheet : GridSheet
        Layers in any CRS (EPSG:4326 normally).
    frame_mm : (float, float)
        The frame's width and height in millimetres.
    k : float
        Paper size relative to A4 (symbols scale with it).
    """
    crs = local_crs(sheet.geometry)
    grid = gpd.GeoSeries([sheet.geometry], crs="EPSG:4326").to_crs(crs).iloc[0]
    x0, y0, x1, y1 = grid.bounds
    scale = fit_scale((x1 - x0, y1 - y0), frame_mm)
    limits = frame_limits(((x0 + x1) / 2, (y0 + y1) / 2), frame_mm, scale)
    ax.set_xlim(limits[0], limits[1])
    ax.set_ylim(limits[2], limits[3])
    ax.set_xticks([])
    ax.set_yticks([])
    view = box(limits[0], limits[2], limits[1], limits[3])
    wide = view.buffer((limits[1] - limits[0]) * 0.05)
    legend: list[Entry] = []
    labels: list[Label] = []

    compounds = _in_view(to_local(sheet.compounds, crs), wide)
    if not compounds.empty:
        add_polygons(
            ax, compounds.geometry, facecolor=sym.COMPOUND_FILL, edgecolor=sym.COMPOUND_EDGE,
            linewidth=0.7 * k**0.5, linestyle=(0, (3, 1.5)), zorder=2,
        )  # fmt: skip
        legend.append(Entry("小区/院落", "patch", {
            "facecolor": sym.COMPOUND_FILL, "edgecolor": sym.COMPOUND_EDGE, "lw": 0.7,
            "linestyle": (0, (3, 1.5)),
        }))  # fmt: skip
        labels += _compound_labels(compounds, grid, k)

    roads = _in_view(to_local(sheet.roads, crs), wide)
    if not roads.empty:
        _draw_roads(ax, roads, k)
        legend.append(Entry("道路", "road", {"color": sym.ROAD_CASING, "lw": 4.0}))
        labels += _road_labels(ax, roads, view, k)

    buildings = _in_view(to_local(sheet.buildings_layer, crs), wide)
    inside = buildings["inside"].astype(bool) if not buildings.empty else pd.Series(dtype=bool)
    if not buildings.empty:
        add_polygons(
            ax, buildings.geometry[~inside], facecolor=sym.CONTEXT_FILL,
            edgecolor=sym.CONTEXT_EDGE, linewidth=0.35, zorder=3,
        )  # fmt: skip
        add_polygons(
            ax, buildings.geometry[inside], facecolor=sym.BUILDING_FILL,
            edgecolor=sym.BUILDING_EDGE, linewidth=0.5, zorder=4,
        )  # fmt: skip
        if inside.any():
            legend.append(Entry("楼栋（楼号/户数）", "patch", {
                "facecolor": sym.BUILDING_FILL, "edgecolor": sym.BUILDING_EDGE, "lw": 0.5,
            }))  # fmt: skip
        labels += _building_labels(buildings[inside], k)

    # everything outside the grid is veiled so that the grid stands out
    veil = view.buffer(1.0).difference(grid)
    add_polygons(ax, [veil], facecolor="white", edgecolor="none", alpha=0.45, zorder=6)

    neighbours = _in_view(to_local(sheet.neighbours, crs), wide)
    if not neighbours.empty:
        add_lines(ax, neighbours.geometry, colors=sym.NEIGHBOUR, linewidths=1.1 * k**0.5, zorder=7)
        legend.append(Entry("相邻网格（编号）", "line", {"color": sym.NEIGHBOUR, "lw": 1.1}))
        labels += _neighbour_labels(neighbours, view, sheet.community_code, k)

    if sheet.community is not None:
        community = gpd.GeoSeries([sheet.community], crs="EPSG:4326").to_crs(crs).iloc[0]
        outline = community.boundary.intersection(wide)
        if not outline.is_empty and outline.length > 0:
            add_lines(
                ax, [outline], colors=sym.COMMUNITY, linewidths=1.3 * k**0.5,
                linestyles=[(0, (6, 2, 1.2, 2))], zorder=8,
            )  # fmt: skip
            legend.append(Entry("社区界线", "line", {
                "color": sym.COMMUNITY, "lw": 1.3, "linestyle": (0, (6, 2, 1.2, 2)),
            }))  # fmt: skip

    add_lines(ax, [grid], colors=sym.GRID_HALO, linewidths=6.5 * k**0.5, alpha=0.7, zorder=9)
    add_lines(ax, [grid], colors=sym.GRID_MAGENTA, linewidths=2.6 * k**0.5, zorder=10)
    legend.insert(0, Entry("本网格边界", "line", {"color": sym.GRID_MAGENTA, "lw": 2.6}))

    facilities = to_local(sheet.facilities, crs)
    classes: list[str] = []
    markers: list[tuple[np.ndarray, float]] = []
    if facilities is not None and not facilities.empty:
        facilities = facilities[facilities.within(grid.buffer(1.0))]
        classes = sorted(facilities["class_code"].astype(str).unique())
        for code in classes:
            rows = facilities[facilities["class_code"].astype(str) == code]
            s = sym.symbol_for(code)
            size = s.size * 1.25 * k**0.5
            markers.append((shapely.get_coordinates(rows.geometry.values), size / 2 + 1.0))
            ax.plot(
                rows.geometry.x, rows.geometry.y, linestyle="none", marker=s.marker,
                markersize=size, markerfacecolor=s.colour, markeredgecolor="white"
                if s.marker not in ("|", "_") else s.colour, markeredgewidth=0.6, zorder=12,
            )  # fmt: skip
            name = str(rows["class_name"].iloc[0]) if "class_name" in rows else code
            legend.append(Entry(f"{name}（{len(rows)}）", "marker", {
                "marker": s.marker, "markersize": s.size, "markerfacecolor": s.colour,
                "markeredgecolor": "white" if s.marker not in ("|", "_") else s.colour,
                "markeredgewidth": 0.6,
            }, class_code=code))  # fmt: skip
        labels += _facility_labels(facilities, k)

    bar = draw_scale_bar(ax, scale, k, free_corner(ax, scale, k, grid))
    placer = LabelPlacer(ax)
    placer.avoid_lines([grid], clearance=2.0 * k**0.5)
    if not buildings.empty:
        placer.avoid_features(list(buildings.geometry[inside]))
    placer.reserve(bar.box)
    placer.reserve(draw_north_arrow(ax, scale, k))
    for xy, half in markers:
        placer.reserve_points(xy, half)
    placer.place_all(labels)
    for spine in ax.spines.values():
        spine.set_linewidth(0.9)
    return GridMap(ax, scale, bar, legend, placer.placed, len(placer.dropped), classes)


def _draw_roads(ax: Axes, roads: gpd.GeoDataFrame, k: float) -> None:
    kinds = roads["highway"].astype(str) if "highway" in roads else pd.Series("", index=roads.index)
    widths = np.array([ROAD_WIDTHS.get(kind.removesuffix("_link"), 2.8) for kind in kinds]) * k**0.5
    order = np.argsort(widths)
    geoms = roads.geometry.values[order]
    widths = widths[order]
    add_lines(
        ax, geoms, colors=sym.ROAD_CASING, linewidths=widths + 1.0, zorder=1, capstyle="round"
    )
    add_lines(ax, geoms, colors=sym.ROAD_FILL, linewidths=widths, zorder=1.5, capstyle="round")


def _short(text: object, limit: int) -> str:
    value = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    value = value.strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _building_labels(buildings: gpd.GeoDataFrame, k: float) -> list[Label]:
    labels = []
    for name, households, shape in zip(
        buildings["name"], buildings["households"], buildings.geometry, strict=True
    ):
        number = _short(name, 8)
        count = int(households) if pd.notna(households) else 0
        parts = [p for p in (number, f"{count}户" if count else "") if p]
        if not parts:
            continue
        point = shape.representative_point()
        labels.append(Label(
            "\n".join(parts), point.x, point.y, 7.0 * k**0.5, priority=10 + count / 10_000,
            footprint=shape, style={"color": sym.LABEL_TEXT},
        ))  # fmt: skip
    return labels


def _facility_labels(facilities: gpd.GeoDataFrame, k: float) -> list[Label]:
    labels = []
    for code, name, point in zip(
        facilities["class_code"].astype(str), facilities.get("name", pd.Series(dtype=str)),
        facilities.geometry, strict=False,
    ):  # fmt: skip
        if not sym.is_service_point(code) or not _short(name, 12):
            continue
        labels.append(Label(
            _short(name, 12), point.x, point.y, 7.0 * k**0.5, priority=100,
            radius=5.0 * k**0.5, style={"color": sym.symbol_for(code).colour, "weight": "bold"},
        ))  # fmt: skip
    return labels


def _neighbour_labels(
    neighbours: gpd.GeoDataFrame, view: BaseGeometry, community_code: str, k: float
) -> list[Label]:
    """``第N网格``, with the community's name first for grids of another community."""
    labels = []
    codes = neighbours["code"].astype(str) if "code" in neighbours else None
    names = neighbours["community_name"] if "community_name" in neighbours else None
    for i, (seq, shape) in enumerate(zip(neighbours["seq"], neighbours.geometry, strict=True)):
        visible = shape.intersection(view.buffer(-view.length * 0.01))
        if visible.is_empty or visible.area < 1.0:
            continue
        point = visible.representative_point()
        text = f"第{int(seq)}网格"
        other = codes is not None and not codes.iloc[i].startswith(community_code)
        if other and names is not None and pd.notna(names.iloc[i]) and names.iloc[i]:
            text = f"{names.iloc[i]}\n{text}"
        labels.append(Label(
            text, point.x, point.y, 9.0 * k**0.5, priority=90, centre_only=True,
            style={"color": "#6E6E6E", "weight": "bold"},
        ))  # fmt: skip
    return labels


def _compound_labels(compounds: gpd.GeoDataFrame, grid: BaseGeometry, k: float) -> list[Label]:
    labels = []
    for name, shape in zip(compounds.get("name", []), compounds.geometry, strict=False):
        text = _short(name, 10)
        if not text or text.startswith("无名"):
            continue
        part = shape.intersection(grid)
        point = (part if not part.is_empty else shape).representative_point()
        labels.append(Label(
            text, point.x, point.y, 8.0 * k**0.5, priority=60,
            style={"color": sym.COMPOUND_TEXT, "weight": "bold"},
        ))  # fmt: skip
    return labels


def _road_labels(ax: Axes, roads: gpd.GeoDataFrame, view: BaseGeometry, k: float) -> list[Label]:
    if "name" not in roads:
        return []
    named = roads[roads["name"].notna() & (roads["name"].astype(str).str.strip() != "")]
    labels = []
    inner = view.buffer(-view.length * 0.02)
    for name, group in named.groupby("name"):
        merged = shapely.line_merge(shapely.union_all(group.geometry.values)).intersection(inner)
        pieces = [
            g for g in getattr(merged, "geoms", [merged])
            if g.geom_type == "LineString" and not g.is_empty and g.length > 0
        ]  # fmt: skip
        if not pieces:
            continue
        line = max(pieces, key=lambda g: g.length)
        anchors = [_along(ax, line, at) for at in (0.5, 0.3, 0.7, 0.15, 0.85)]
        labels.append(Label(
            str(name), anchors[0][0], anchors[0][1], 7.5 * k**0.5, priority=80 + line.length / 1e6,
            anchors=anchors, style={"color": sym.ROAD_TEXT},
        ))  # fmt: skip
    return labels


def _along(ax: Axes, line: BaseGeometry, at: float) -> tuple[float, float, float]:
    """Point at fraction ``at`` of ``line`` and the line's upright angle there (display degrees)."""
    a = line.interpolate(max(at - 0.06, 0), normalized=True)
    b = line.interpolate(min(at + 0.06, 1), normalized=True)
    (px, py), (qx, qy) = ax.transData.transform([(a.x, a.y), (b.x, b.y)])
    angle = float(np.degrees(np.arctan2(qy - py, qx - px)))
    if angle > 90:
        angle -= 180
    elif angle <= -90:
        angle += 180
    mid = line.interpolate(at, normalized=True)
    return mid.x, mid.y, angle
