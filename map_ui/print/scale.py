"""Map scale: the round scale that fits a subject in a frame, and the frame's extent.

A sheet's map is drawn at a round scale (1:500, 1:1000, 1:2000…) so that its stated scale
and its scale bar are exact at print size: the axes' limits are set from the frame's size
in millimetres times the scale denominator, in the local metric CRS.
"""

from __future__ import annotations

#: Round scale denominators a map may be drawn at, largest scale first.
NICE_SCALES = (
    500, 750, 1000, 1250, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 7500, 10_000, 12_500,
    15_000, 20_000, 25_000, 30_000, 40_000, 50_000, 75_000, 100_000,
)  # fmt: skip
#: Round lengths a scale bar may show, in metres.
NICE_LENGTHS = (5, 10, 20, 25, 50, 100, 150, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000)


def needed_scale(
    extent_m: tuple[float, float], frame_mm: tuple[float, float], margin: float
) -> float:
    """The scale denominator that fits ``extent_m`` (width, height in metres) in the frame.

    ``margin`` is the fraction of the frame kept free on each side.
    """
    usable = (frame_mm[0] * (1 - 2 * margin), frame_mm[1] * (1 - 2 * margin))
    return max(extent_m[0] / (usable[0] / 1000), extent_m[1] / (usable[1] / 1000), 1.0)


def fit_scale(
    extent_m: tuple[float, float], frame_mm: tuple[float, float], margin: float = 0.07
) -> int:
    """The largest round scale (smallest denominator) showing ``extent_m`` in the frame.

    Parameters
    ----------
    extent_m : (float, float)
        Width and height of the subject in metres (local metric CRS).
    frame_mm : (float, float)
        Width and height of the map frame on paper, in millimetres.
    margin : float
        Fraction of the frame kept free on each side.
    """
    need = needed_scale(extent_m, frame_mm, margin)
    for scale in NICE_SCALES:
        if scale >= need:
            return scale
    return int(need) + 1


def frame_limits(
    centre: tuple[float, float], frame_mm: tuple[float, float], scale: int
) -> tuple[float, float, float, float]:
    """``xmin, xmax, ymin, ymax`` in metres of a frame of ``frame_mm`` at 1:``scale``."""
    half_w = frame_mm[0] / 1000 * scale / 2
    half_h = frame_mm[1] / 1000 * scale / 2
    return centre[0] - half_w, centre[0] + half_w, centre[1] - half_h, centre[1] + half_h


def bar_length(frame_width_m: float, share: float = 0.22) -> int:
    """The longest round length (m) not longer than ``share`` of the frame's width."""
    best = NICE_LENGTHS[0]
    for length in NICE_LENGTHS:
        if length <= frame_width_m * share:
            best = length
    return best
