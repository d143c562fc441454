"""One grid's diagram (网格示意图): the sheet composed, and written as PDF or PNG.

The figure is built at 72 dpi so that display units are PDF points (label placement and
tests measure in them); PNGs are rendered from the same figure at any resolution.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from map_ui.print import fonts
from map_ui.print.content import GridSheet, SheetOptions
from map_ui.print.furniture import ScaleBar
from map_ui.print.gridmap import draw_grid_map, fitted_scale
from map_ui.print.layout import Layout, grid_layout
from map_ui.print.legend import draw_legend
from map_ui.print.panels import (
    draw_footer,
    draw_info,
    draw_qr_panel,
    draw_qr_side,
    draw_title,
    footer_text,
    grid_subtitle,
    panel,
)
from map_ui.print.paper import Paper, check_paper

#: Display resolution of the figure: 72 dpi makes display units PDF points.
LAYOUT_DPI = 72


@dataclass
class Sheet:
    """A composed sheet.

    Attributes
    ----------
    figure : Figure
        At 72 dpi; its size is the paper's.
    paper : Paper
    map_ax : Axes or None
        The map frame (data in metres of the local CRS).
    scale : int
        The map's scale denominator.
    scale_bar : ScaleBar or None
    labels : list of Text
        Map labels placed by the collision-free placer.
    dropped : int
        Map labels left out for want of room.
    legend_classes : list of str
        Facility class codes listed in the legend.
    """

    figure: Figure
    paper: Paper
    map_ax: Axes | None = None
    scale: int = 0
    scale_bar: ScaleBar | None = None
    labels: list[Text] = field(default_factory=list)
    dropped: int = 0
    legend_classes: list[str] = field(default_factory=list)

    def pdf(self) -> bytes:
        """The sheet as a one-page vector PDF (fonts embedded as TrueType subsets)."""
        out = io.BytesIO()
        with fonts.use():
            self.figure.savefig(out, format="pdf", dpi=LAYOUT_DPI, metadata=_metadata(self))
        return out.getvalue()

    def png(self, dpi: int = 150) -> bytes:
        """The sheet as a PNG at ``dpi`` dots per inch."""
        out = io.BytesIO()
        with fonts.use():
            self.figure.savefig(out, format="png", dpi=dpi)
        return out.getvalue()


def _metadata(sheet: Sheet) -> dict:
    title = sheet.figure.get_label() or "网格示意图"
    return {"Title": title, "Creator": "wangge 网格", "Subject": "网格示意图"}


def choose_paper(sheet: GridSheet, paper: str, orientation: str) -> Paper:
    """The paper in the orientation asked for, or (``auto``) the one printing the grid larger.

    Raises
    ------
    InputError
        Unknown paper or orientation.
    """
    name, turn = check_paper(paper, orientation)
    if turn != "auto":
        return Paper(name, turn)  # type: ignore[arg-type]
    options = [Paper(name, "portrait"), Paper(name, "landscape")]
    return min(options, key=lambda p: fitted_scale(sheet, grid_layout(p).size_mm("map")))


def new_figure(paper: Paper, label: str) -> Figure:
    """An empty figure of the paper's exact size, at 72 dpi, with an Agg canvas."""
    fig = Figure(figsize=paper.size_in, dpi=LAYOUT_DPI)
    FigureCanvasAgg(fig)
    fig.set_label(label)
    return fig


def draw_border(fig: Figure, layout: Layout) -> None:
    """The sheet's outer frame: a thick line with a thin one inside it."""
    x, y, w, h = layout.fraction("border")
    fig.add_artist(Rectangle((x, y), w, h, transform=fig.transFigure, fill=False, lw=1.6,
                             edgecolor="#222222"))  # fmt: skip
    inset = 1.2 / layout.paper.size_mm[0], 1.2 / layout.paper.size_mm[1]
    fig.add_artist(Rectangle((x + inset[0], y + inset[1]), w - 2 * inset[0], h - 2 * inset[1],
                             transform=fig.transFigure, fill=False, lw=0.4,
                             edgecolor="#222222"))  # fmt: skip


def mapping_unit(options: SheetOptions, street_name: str) -> str:
    """The mapping unit: as configured, else the street office."""
    return options.mapping_unit or f"{street_name}办事处"


def render_grid_sheet(sheet: GridSheet, options: SheetOptions | None = None) -> Sheet:
    """Compose the diagram of one grid.

    Parameters
    ----------
    sheet : GridSheet
        The grid and its surroundings, layers in EPSG:4326 (or any CRS they declare).
    options : SheetOptions, optional
        Paper, orientation, QR address, mapping unit, footer texts.

    Returns
    -------
    Sheet
        The composed figure, its scale, labels and legend classes.
    """
    options = options or SheetOptions()
    paper = choose_paper(sheet, options.paper, options.orientation)
    layout = grid_layout(paper)
    k = paper.factor
    with fonts.use():
        fig = new_figure(paper, sheet.title)
        draw_border(fig, layout)
        map_ax = fig.add_axes(layout.fraction("map"))
        drawn = draw_grid_map(map_ax, sheet, layout.size_mm("map"), k)
        w, h = layout.size_mm("title")
        draw_title(panel(fig, layout, "title"), sheet.title, grid_subtitle(sheet, drawn.scale),
                   w, h, k)  # fmt: skip
        draw_legend(panel(fig, layout, "legend"), drawn.legend, *layout.size_mm("legend"), k)
        draw_info(panel(fig, layout, "info"), sheet, *layout.size_mm("info"), k)
        url = options.qr_url(sheet.community_code or sheet.code[:12])
        qr_w, qr_h = layout.size_mm("qr")
        draw = draw_qr_panel if qr_h > qr_w * 0.8 else draw_qr_side
        draw(panel(fig, layout, "qr"), url, qr_w, qr_h, k)
        parts = footer_text(options, mapping_unit(options, sheet.street_name))
        draw_footer(panel(fig, layout, "footer"), parts, *layout.size_mm("footer"), k)
    return Sheet(
        fig, paper, map_ax, drawn.scale, drawn.scale_bar, drawn.labels, drawn.dropped,
        [e.class_code for e in drawn.legend if e.class_code],
    )  # fmt: skip
