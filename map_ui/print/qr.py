"""QR codes drawn as vector squares (crisp at any print size), with segno."""

from __future__ import annotations

import numpy as np
import segno
from matplotlib.axes import Axes
from matplotlib.patches import PathPatch
from matplotlib.path import Path


def qr_matrix(url: str) -> np.ndarray:
    """The QR code of ``url`` as a boolean matrix (True = dark), quiet zone excluded."""
    code = segno.make(url, error="m", micro=False)
    return np.array([[bool(cell) for cell in row] for row in code.matrix], dtype=bool)


def draw_qr(ax: Axes, url: str, x: float, y: float, size: float) -> PathPatch:
    """Draw the QR code of ``url`` in a square of side ``size`` at ``(x, y)`` (data units).

    Dark modules are merged into runs per row: one path, small in the PDF.
    """
    matrix = qr_matrix(url)
    n = matrix.shape[0]
    cell = size / n
    vertices, codes = [], []
    for row in range(n):
        col = 0
        while col < n:
            if not matrix[row, col]:
                col += 1
                continue
            start = col
            while col < n and matrix[row, col]:
                col += 1
            x0, x1 = x + start * cell, x + col * cell
            y1 = y + size - row * cell
            y0 = y1 - cell
            vertices += [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
            codes += [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]
    patch = PathPatch(Path(vertices, codes), facecolor="black", edgecolor="none", lw=0)
    ax.add_patch(patch)
    return patch
