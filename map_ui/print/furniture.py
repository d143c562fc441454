"""Map furniture inside the frame: north arrow and scale bar.

Both are drawn in the map's own coordinates so they are true by construction: the map's
CRS is centred on the subject (north is up) and its limits are set from the printed scale.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.patches import Polygon as PolygonPatch
from matplotlib.patches import Rectangle
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from map_ui.print.drawing import renderer_of
from map_ui.print.scale import bar_length


@dataclass(frozen=True)
class ScaleBar:
    """The drawn scale bar.

    Attributes
    ----------
    metres : int
        The ground length the bar stands for.
    segments : list of Rectangle
        Its alternating black and white segments, left to right (data coordinates, metres).
    box : tuple
        Its background box in display points (x0, y0, x1, y1): no label goes there.
    """

    metres: int
    segments: list
    box: tuple[float, float, float, float]


def _mm(scale: int, mm: float) -> float:
    """Metres on the ground covered by ``mm`` on paper at 1:``scale``."""
    return mm / 1000 * scale


#: Corners a scale bar may sit in (the north arrow has the upper right).
CORNERS = ("lower left", "lower right", "upper left")


def scale_bar_frame(
    ax: Axes, scale: int, k: float, corner: str = "lower left"
) -> tuple[int, float, float, tuple[float, float, float, float]]:
    """Where a scale bar goes: its length (m), the bar's left end and base, and its box.

    All in data coordinates (metres); the box is ``(x0, y0, width, height)``.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    metres = bar_length(x1 - x0)
    pad, inset = _mm(scale, 2.5 * k), _mm(scale, 6 * k)
    width = metres + 2 * pad + _mm(scale, 7 * k)
    height = _mm(scale, 1.6 * k) + _mm(scale, 9.5 * k) + 2 * pad
    below = pad + _mm(scale, 3.2 * k)  # from the box's bottom to the bar's base
    left = x0 + inset if corner.endswith("left") else x1 - inset - width + pad
    base = y0 + inset if corner.startswith("lower") else y1 - inset - height + below
    return metres, left, base, (left - pad, base - below, width, height)


def free_corner(ax: Axes, scale: int, k: float, subject: BaseGeometry) -> str:
    """The corner where a scale bar covers the least of ``subject`` (lower left on ties).

    ``subject`` is in the map's data coordinates (metres).
    """

    def covered(corner: str) -> float:
        x, y, w, h = scale_bar_frame(ax, scale, k, corner)[3]
        return round(subject.intersection(box(x, y, x + w, y + h)).area, 1)

    return min(CORNERS, key=lambda corner: (covered(corner), CORNERS.index(corner)))


def draw_scale_bar(ax: Axes, scale: int, k: float, corner: str = "lower left") -> ScaleBar:
    """A four-segment bar in metres in a corner of the frame, with ``1:scale`` above it."""
    metres, left, base, (bx, by, bw, bh) = scale_bar_frame(ax, scale, k, corner)
    height = _mm(scale, 1.6 * k)
    back = Rectangle(
        (bx, by), bw, bh, facecolor="white", edgecolor="#666666", lw=0.5, alpha=0.92, zorder=20,
    )  # fmt: skip
    ax.add_patch(back)
    step = metres / 4
    segments = []
    for i in range(4):
        seg = Rectangle(
            (left + i * step, base), step, height, facecolor="black" if i % 2 == 0 else "white",
            edgecolor="black", lw=0.6, zorder=21,
        )  # fmt: skip
        ax.add_patch(seg)
        segments.append(seg)
    size = 6.5 * k**0.5
    below = base - _mm(scale, 0.8 * k)
    for value, x in ((0, left), (metres / 2, left + metres / 2), (metres, left + metres)):
        ax.text(x, below, f"{value:g}", fontsize=size, ha="center", va="top", zorder=22)
    ax.text(left + metres + _mm(scale, 1.5 * k), below, "米", fontsize=size, va="top", zorder=22)
    ax.text(
        left, base + height + _mm(scale, 1.2 * k), f"比例尺 1:{scale:,}".replace(",", ""),
        fontsize=7.5 * k**0.5, va="bottom", zorder=22,
    )  # fmt: skip
    box = back.get_window_extent(renderer_of(ax.figure))
    return ScaleBar(metres, segments, (box.x0, box.y0, box.x1, box.y1))


def draw_north_arrow(ax: Axes, scale: int, k: float) -> tuple[float, float, float, float]:
    """A split-arrow north sign with "N" at the frame's upper right; its box in points."""
    x0, x1 = ax.get_xlim()
    _, y1 = ax.get_ylim()
    w, h = _mm(scale, 4.2 * k), _mm(scale, 11 * k)
    cx, top = x1 - _mm(scale, 9 * k), y1 - _mm(scale, 10 * k)
    tip, tail, notch = (cx, top), top - h, top - h * 0.72
    left = PolygonPatch(
        [tip, (cx - w / 2, tail), (cx, notch)], closed=True, facecolor="black",
        edgecolor="black", lw=0.6, zorder=21,
    )  # fmt: skip
    right = PolygonPatch(
        [tip, (cx + w / 2, tail), (cx, notch)], closed=True, facecolor="white",
        edgecolor="black", lw=0.6, zorder=21,
    )  # fmt: skip
    ax.add_patch(left)
    ax.add_patch(right)
    label = ax.text(
        cx, top + _mm(scale, 1.0 * k), "N", fontsize=10 * k**0.5, weight="bold",
        ha="center", va="bottom", zorder=22,
    )  # fmt: skip
    renderer = renderer_of(ax.figure)
    boxes = [a.get_window_extent(renderer) for a in (left, right, label)]
    return (
        min(b.x0 for b in boxes) - 3, min(b.y0 for b in boxes) - 3,
        max(b.x1 for b in boxes) + 3, max(b.y1 for b in boxes) + 3,
    )  # fmt: skip
