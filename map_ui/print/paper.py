"""Paper sizes and the sheet's orientation.

Sizes are ISO 216, given in millimetres and PDF points (1 pt = 1/72 inch = 25.4/72 mm).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gis.errors import InputError

MM_PER_INCH = 25.4
POINTS_PER_INCH = 72.0

#: ISO 216 sheets, portrait, in millimetres (width, height).
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}

Orientation = Literal["portrait", "landscape"]
ORIENTATIONS = ("auto", "portrait", "landscape")


def mm_to_pt(mm: float) -> float:
    """Millimetres to PDF points."""
    return mm / MM_PER_INCH * POINTS_PER_INCH


@dataclass(frozen=True)
class Paper:
    """One sheet of paper in one orientation.

    Attributes
    ----------
    name : {"A4", "A3"}
        The ISO size.
    orientation : {"portrait", "landscape"}
        Which way up.
    """

    name: str
    orientation: Orientation

    @property
    def size_mm(self) -> tuple[float, float]:
        """Width and height in millimetres."""
        short, long = PAPER_MM[self.name]
        return (short, long) if self.orientation == "portrait" else (long, short)

    @property
    def size_in(self) -> tuple[float, float]:
        """Width and height in inches (matplotlib's figure size)."""
        w, h = self.size_mm
        return w / MM_PER_INCH, h / MM_PER_INCH

    @property
    def size_pt(self) -> tuple[float, float]:
        """Width and height in PDF points."""
        w, h = self.size_mm
        return mm_to_pt(w), mm_to_pt(h)

    @property
    def factor(self) -> float:
        """Linear size relative to A4 (1 for A4, √2 for A3): furniture scales with it."""
        return PAPER_MM[self.name][0] / PAPER_MM["A4"][0]


def check_paper(name: str, orientation: str) -> tuple[str, str]:
    """Normalise a paper name and orientation, refusing unknown ones.

    Raises
    ------
    InputError
        Paper not A4/A3 or orientation not auto/portrait/landscape.
    """
    paper = name.strip().upper()
    if paper not in PAPER_MM:
        raise InputError(f"paper {name!r} is not known", fix="use A4 or A3")
    turn = orientation.strip().lower()
    if turn not in ORIENTATIONS:
        raise InputError(
            f"orientation {orientation!r} is not known", fix="use auto, portrait or landscape"
        )
    return paper, turn
