"""The legend: only the symbols drawn on the sheet, in the order a reader looks for them."""

from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle


@dataclass(frozen=True)
class Entry:
    """One legend line.

    Attributes
    ----------
    label : str
        What the symbol means (Chinese).
    kind : {"line", "road", "patch", "marker"}
        How the sample is drawn.
    style : dict
        matplotlib properties of the sample.
    class_code : str or None
        The facility class of a marker entry.
    """

    label: str
    kind: str
    style: dict = field(default_factory=dict)
    class_code: str | None = None


def draw_legend(ax: Axes, entries: list[Entry], width: float, height: float, k: float) -> list:
    """Draw ``entries`` in a panel of ``width`` × ``height`` mm (axes in mm, origin bottom-left).

    Entries flow in one column, or two when they do not fit. Returns the text artists.
    """
    title = ax.text(0, height, "图　例", fontsize=10 * k**0.5, weight="bold", va="top")
    row = 4.6 * k
    top = height - 7.0 * k
    per_column = max(1, int(top // row))
    columns = 1 if len(entries) <= per_column else 2
    col_w = width / columns
    texts = [title]
    for i, entry in enumerate(entries[: per_column * columns]):
        col, line = divmod(i, per_column)
        x, y = col * col_w, top - line * row - row / 2
        _sample(ax, entry, x, y, k)
        size = (7.5 if columns == 1 else 7.0) * k**0.5
        texts.append(ax.text(x + 9 * k, y, entry.label, fontsize=size, va="center"))
    return texts


def _sample(ax: Axes, entry: Entry, x: float, y: float, k: float) -> None:
    w, h = 7 * k, 3.2 * k
    if entry.kind == "road":
        ax.add_line(Line2D([x, x + w], [y, y], color=entry.style["color"], lw=4.2,
                           solid_capstyle="butt"))  # fmt: skip
        ax.add_line(Line2D([x, x + w], [y, y], color="white", lw=3.0, solid_capstyle="butt"))
    elif entry.kind == "line":
        ax.add_line(Line2D([x, x + w], [y, y], **entry.style))
    elif entry.kind == "patch":
        ax.add_patch(Rectangle((x, y - h / 2), w, h, **entry.style))
    else:
        ax.add_line(Line2D([x + w / 2], [y], linestyle="none", **entry.style))
