"""A community's overview sheet (网格划分总图): every grid numbered, a table of grids and staff.

The same sheet opens an atlas as its index page, with the page of each grid's sheet.
"""

from __future__ import annotations

import geopandas as gpd
import shapely
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from map_ui.print import fonts
from map_ui.print import symbols as sym
from map_ui.print.content import CommunitySheet, SheetOptions
from map_ui.print.drawing import add_lines, add_polygons
from map_ui.print.furniture import draw_north_arrow, draw_scale_bar, free_corner
from map_ui.print.layout import overview_layout
from map_ui.print.legend import Entry, draw_legend
from map_ui.print.panels import draw_footer, draw_title, footer_text, panel
from map_ui.print.paper import Paper, check_paper
from map_ui.print.projection import local_crs
from map_ui.print.scale import fit_scale, frame_limits
from map_ui.print.sheet import Sheet, draw_border, mapping_unit, new_figure

#: Pale fills for grids, so that neighbours differ (greedy colouring).
FILLS = ("#FCE4EC", "#E3F2FD", "#FFF8E1", "#E8F5E9", "#F3E5F5", "#E0F7FA")


def _colours(grids: gpd.GeoSeries) -> list[str]:
    """A fill per grid, no two touching grids alike (greedy, in sequence order)."""
    chosen: list[int] = []
    shapes = list(grids)
    for i, shape in enumerate(shapes):
        used = {chosen[j] for j in range(i) if shapes[j].buffer(0.5).intersects(shape)}
        chosen.append(next(c for c in range(len(FILLS) + i + 1) if c not in used) % len(FILLS))
    return [FILLS[c] for c in chosen]


def _paper(sheet: CommunitySheet, options: SheetOptions) -> Paper:
    name, turn = check_paper(options.paper, options.orientation)
    if turn != "auto":
        return Paper(name, turn)  # type: ignore[arg-type]
    crs = local_crs(sheet.boundary)
    x0, y0, x1, y1 = gpd.GeoSeries([sheet.boundary], crs="EPSG:4326").to_crs(crs).total_bounds
    options_ = [Paper(name, "portrait"), Paper(name, "landscape")]
    return min(
        options_, key=lambda p: fit_scale((x1 - x0, y1 - y0), overview_layout(p).size_mm("map"))
    )


def render_overview(
    sheet: CommunitySheet, options: SheetOptions | None = None, pages: dict[str, int] | None = None
) -> Sheet:
    """Compose the overview of a community's grids.

    Parameters
    ----------
    sheet : CommunitySheet
        Layers in EPSG:4326 (or any CRS they declare); the map is drawn in a local metric CRS.
    options : SheetOptions, optional
    pages : dict of str to int, optional
        Page of each grid's sheet in an atlas: adds a 页码 column.
    """
    options = options or SheetOptions()
    paper = _paper(sheet, options)
    layout = overview_layout(paper)
    k = paper.factor
    with fonts.use():
        fig = new_figure(paper, sheet.title)
        draw_border(fig, layout)
        ax = fig.add_axes(layout.fraction("map"))
        scale, legend = _draw_map(ax, sheet, layout.size_mm("map"), k)
        w, h = layout.size_mm("title")
        subtitle = f"社区代码 {sheet.code}　　共 {len(sheet.grids)} 个网格　　比例尺 1:{scale}"
        draw_title(panel(fig, layout, "title"), sheet.title, subtitle, w, h, k)
        draw_legend(panel(fig, layout, "legend"), legend, *layout.size_mm("legend"), k)
        _draw_table(panel(fig, layout, "table"), sheet, pages, *layout.size_mm("table"), k)
        parts = footer_text(options, mapping_unit(options, sheet.street_name))
        draw_footer(panel(fig, layout, "footer"), parts, *layout.size_mm("footer"), k)
    return Sheet(fig, paper, ax, scale)


def _draw_map(
    ax: Axes, sheet: CommunitySheet, frame_mm: tuple[float, float], k: float
) -> tuple[int, list[Entry]]:
    crs = local_crs(sheet.boundary)
    boundary = gpd.GeoSeries([sheet.boundary], crs="EPSG:4326").to_crs(crs).iloc[0]
    x0, y0, x1, y1 = boundary.bounds
    scale = fit_scale((x1 - x0, y1 - y0), frame_mm, margin=0.05)
    limits = frame_limits(((x0 + x1) / 2, (y0 + y1) / 2), frame_mm, scale)
    ax.set_xlim(limits[0], limits[1])
    ax.set_ylim(limits[2], limits[3])
    ax.set_xticks([])
    ax.set_yticks([])
    view = shapely.box(limits[0], limits[2], limits[1], limits[3])
    grids = sheet.grids.to_crs(crs)
    legend = [Entry("网格边界", "line", {"color": sym.GRID_MAGENTA, "lw": 1.6})]
    add_polygons(ax, grids.geometry, facecolor=_colours(grids.geometry), edgecolor="none", zorder=1)
    if sheet.roads is not None and not sheet.roads.empty:
        roads = sheet.roads.to_crs(crs)
        roads = roads[roads.intersects(view)]
        add_lines(ax, roads.geometry, colors=sym.ROAD_CASING, linewidths=3.2, zorder=2)
        add_lines(ax, roads.geometry, colors="white", linewidths=2.4, zorder=2.1)
        legend.append(Entry("道路", "road", {"color": sym.ROAD_CASING}))
    if sheet.buildings is not None and not sheet.buildings.empty:
        add_polygons(ax, sheet.buildings.to_crs(crs).geometry, facecolor="#D9CFC1",
                     edgecolor="#A89680", linewidth=0.3, zorder=3)  # fmt: skip
        legend.append(Entry("楼栋", "patch", {"facecolor": "#D9CFC1", "edgecolor": "#A89680"}))
    add_lines(ax, [boundary], colors=sym.COMMUNITY, linewidths=1.4 * k**0.5,
              linestyles=[(0, (6, 2, 1.2, 2))], zorder=4)  # fmt: skip
    legend.append(Entry("社区界线", "line", {"color": sym.COMMUNITY, "lw": 1.4,
                                          "linestyle": (0, (6, 2, 1.2, 2))}))  # fmt: skip
    add_lines(ax, grids.geometry, colors=sym.GRID_MAGENTA, linewidths=1.6 * k**0.5, zorder=5)
    for seq, shape in zip(grids["seq"], grids.geometry, strict=True):
        point = shape.representative_point()
        ax.plot([point.x], [point.y], marker="o", markersize=15 * k**0.5, markerfacecolor="white",
                markeredgecolor=sym.GRID_MAGENTA, markeredgewidth=1.2, zorder=6)  # fmt: skip
        ax.text(point.x, point.y, str(int(seq)), fontsize=9 * k**0.5, weight="bold",
                ha="center", va="center", color=sym.GRID_MAGENTA, zorder=7)  # fmt: skip
    legend.append(Entry("网格编号", "marker", {"marker": "o", "markersize": 8,
                   "markerfacecolor": "white", "markeredgecolor": sym.GRID_MAGENTA}))  # fmt: skip
    draw_scale_bar(ax, scale, k, free_corner(ax, scale, k, boundary))
    draw_north_arrow(ax, scale, k)
    return scale, legend


def _staff_text(people: list[dict]) -> tuple[str, str]:
    if not people:
        return "—", "—"
    first = people[0]
    names = "、".join(str(p["name"]) for p in people[:2])
    return names, str(first["phone"])


def _draw_table(
    ax: Axes,
    sheet: CommunitySheet,
    pages: dict[str, int] | None,
    width: float,
    height: float,
    k: float,
) -> None:
    heads = ["编号", "网格编码", "户数", "楼栋", "面积(公顷)", "网格员", "联系电话"]
    shares = [0.07, 0.22, 0.08, 0.07, 0.11, 0.22, 0.23]
    if pages:
        heads.append("页码")
        shares = [s * 0.93 for s in shares] + [0.07]
    xs = [sum(shares[:i]) * width for i in range(len(shares))]
    # rows shrink to fit, but text stays ≥ 6 pt: rows that do not fit are summed up below
    min_row = 6.0 * 0.3528 / 0.72
    rows = min(len(sheet.grids), max(1, int((height - 7 * k) // min_row) - 1))
    row_h = min(5.0 * k, (height - 7 * k) / (rows + 1))
    size = min(8.0 * k**0.5, row_h / 0.3528 * 0.72)
    y = height
    for x, head in zip(xs, heads, strict=True):
        ax.text(x + 0.8, y - row_h / 2, head, fontsize=size, weight="bold", va="center")
    ax.add_line(Line2D([0, width], [y, y], color="#333333", lw=1.0))
    ax.add_line(Line2D([0, width], [y - row_h, y - row_h], color="#333333", lw=0.6))
    for i, grid in enumerate(sheet.grids.head(rows).itertuples()):
        y = height - (i + 1) * row_h
        names, phone = _staff_text(sheet.staff.get(grid.code, []))
        values = [
            str(int(grid.seq)), grid.code, str(int(grid.households)), str(int(grid.buildings)),
            f"{grid.area_m2 / 10_000:.2f}", names, phone,
        ]  # fmt: skip
        if pages:
            values.append(str(pages.get(grid.code, "")))
        for x, value in zip(xs, values, strict=True):
            ax.text(x + 0.8, y - row_h / 2, value, fontsize=size, va="center")
        ax.add_line(Line2D([0, width], [y - row_h, y - row_h], color="#BBBBBB", lw=0.3))
    total = (
        f"合计 {int(sheet.grids['households'].sum())} 户，{int(sheet.grids['buildings'].sum())} 栋"
    )
    if rows < len(sheet.grids):
        total += f"；表中列出前 {rows} 个网格，其余 {len(sheet.grids) - rows} 个见各网格示意图"
    ax.text(
        0, height - (rows + 1) * row_h - 2.5 * k, total, fontsize=size, va="top", color="#333333"
    )
