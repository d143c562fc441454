"""Where things go on a sheet: boxes in millimetres from the bottom-left corner.

A4 boxes are designed by hand; A3 is the same design scaled by √2. Portrait sheets put the
legend, the grid's facts and staff, and the QR code in a band under the map; landscape
sheets put them in a column to the right of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from map_ui.print.paper import Paper

Box = tuple[float, float, float, float]
"""x, y, width, height in millimetres, from the sheet's bottom-left corner."""

#: A4 portrait and landscape designs (mm). ``border`` is the sheet's outer frame.
_A4: dict[str, dict[str, Box]] = {
    "portrait": {
        "border": (6, 6, 198, 285),
        "title": (10, 265, 190, 22),
        "map": (10, 86, 190, 177),
        "legend": (10, 19, 58, 64),
        "info": (71, 19, 91, 64),
        "qr": (165, 19, 35, 64),
        "footer": (10, 9, 190, 8),
    },
    "landscape": {
        "border": (6, 6, 285, 198),
        "title": (10, 181, 277, 20),
        "map": (10, 19, 200, 160),
        "info": (214, 97, 73, 82),
        "legend": (214, 45, 73, 50),
        "qr": (214, 19, 73, 24),
        "footer": (10, 9, 277, 8),
    },
}


@dataclass(frozen=True)
class Layout:
    """The boxes of one sheet design on one paper.

    Attributes
    ----------
    paper : Paper
    boxes : dict of str to Box
        Millimetres from the bottom-left corner.
    """

    paper: Paper
    boxes: dict[str, Box]

    def fraction(self, name: str) -> tuple[float, float, float, float]:
        """Box ``name`` as figure fractions (matplotlib's ``add_axes`` rectangle)."""
        x, y, w, h = self.boxes[name]
        pw, ph = self.paper.size_mm
        return x / pw, y / ph, w / pw, h / ph

    def size_mm(self, name: str) -> tuple[float, float]:
        """Width and height of box ``name`` in millimetres."""
        return self.boxes[name][2], self.boxes[name][3]


def grid_layout(paper: Paper) -> Layout:
    """The grid sheet's design on ``paper``."""
    k = paper.factor
    design = _A4[paper.orientation]
    return Layout(paper, {name: tuple(v * k for v in box) for name, box in design.items()})  # type: ignore[misc]


#: The community overview: map above (portrait) or left (landscape), the table of grids.
_OVERVIEW: dict[str, dict[str, Box]] = {
    "portrait": {
        "border": (6, 6, 198, 285),
        "title": (10, 265, 190, 22),
        "map": (10, 120, 190, 143),
        "legend": (10, 19, 40, 98),
        "table": (53, 19, 147, 98),
        "footer": (10, 9, 190, 8),
    },
    "landscape": {
        "border": (6, 6, 285, 198),
        "title": (10, 181, 277, 20),
        "map": (10, 19, 160, 160),
        "table": (174, 45, 113, 134),
        "legend": (174, 19, 113, 24),
        "footer": (10, 9, 277, 8),
    },
}


def overview_layout(paper: Paper) -> Layout:
    """The community overview sheet's design on ``paper``."""
    k = paper.factor
    design = _OVERVIEW[paper.orientation]
    return Layout(paper, {name: tuple(v * k for v in box) for name, box in design.items()})  # type: ignore[misc]
