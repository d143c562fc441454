"""Label placement without collisions: greedy, by priority, in display points.

Each label offers candidate positions (inside its feature first, then around it) and font
sizes from its preferred size down to :data:`MIN_SIZE`; the first candidate whose box
(measured by the renderer, so exact) lies inside the map frame and overlaps no placed label
nor reserved area (markers, north arrow, scale bar) wins. A label with no free candidate is
dropped, never drawn over another. Boxes are in display units of a 72-dpi figure, i.e. PDF
points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.text import Text
from shapely import STRtree
from shapely.geometry import LineString, Polygon, box

from map_ui.print import fonts
from map_ui.print.drawing import renderer_of

#: Smallest font size a label may shrink to, in points (legible at print size).
MIN_SIZE = 6.0
#: Gap between a feature and a label placed beside it, in points.
GAP = 1.5
HALO = [patheffects.withStroke(linewidth=1.8, foreground="white")]


@dataclass
class Label:
    """A label to place.

    Attributes
    ----------
    text : str
        What it says (may hold a line break).
    x, y : float
        Anchor in data coordinates (metres of the sheet's CRS).
    size : float
        Preferred font size in points; it may shrink to :data:`MIN_SIZE`.
    priority : float
        Higher is placed first.
    footprint : shapely Polygon, optional
        The feature's outline in data coordinates: the label is tried inside it first,
        then beside its bounding box.
    radius : float
        For point features: distance from the anchor to a label beside it, in points.
    centre_only : bool
        Place only on the anchor (e.g. grid numbers), never beside.
    rotation : float
        Angle in degrees (road names along their road).
    style : dict
        Extra :class:`matplotlib.text.Text` properties (colour, weight).
    anchors : list of (x, y, rotation)
        Positions along a line (data coordinates, degrees) tried in order instead of
        ``x, y`` (road names).
    """

    text: str
    x: float
    y: float
    size: float
    priority: float = 0.0
    footprint: Polygon | None = None
    radius: float = 4.0
    centre_only: bool = False
    rotation: float = 0.0
    style: dict = field(default_factory=dict)
    anchors: list[tuple[float, float, float]] = field(default_factory=list)


class LabelPlacer:
    """Greedy placement of labels on one map axes.

    Parameters
    ----------
    ax : matplotlib Axes
        The map, with its limits set and its figure at 72 dpi (display units = points).
    min_size : float
        Smallest font size in points.
    pad : float
        Margin kept free along the frame, in points.
    """

    def __init__(self, ax: Axes, min_size: float = MIN_SIZE, pad: float = 2.0):
        self.ax = ax
        self.min_size = min_size
        self.renderer = renderer_of(ax.figure)
        frame = ax.get_window_extent(self.renderer)
        self.frame = (frame.x0 + pad, frame.y0 + pad, frame.x1 - pad, frame.y1 - pad)
        self._boxes = np.empty((0, 4))
        self._features: STRtree | None = None
        self._lines: STRtree | None = None
        self._feature_shapes: list[Polygon] = []
        self.placed: list[Text] = []
        self.dropped: list[Label] = []

    def avoid_lines(self, geoms: Sequence, clearance: float = 2.0) -> None:
        """Keep labels off these lines (data coordinates), by ``clearance`` points.

        The grid's boundary is the sheet's main line: a label across it hides it.
        """
        shapes = []
        for geom in geoms:
            boundary = geom.boundary if geom.geom_type in ("Polygon", "MultiPolygon") else geom
            for part in getattr(boundary, "geoms", [boundary]):
                coords = self.ax.transData.transform(np.asarray(part.coords)[:, :2])
                shapes.append(LineString(coords).buffer(clearance))
        self._lines = STRtree(shapes) if shapes else None

    def avoid_features(self, footprints: Sequence[Polygon]) -> None:
        """Keep labels placed *beside* a feature off these footprints (data coordinates).

        A label beside its building must not sit on another building, where it would name
        the wrong one; labels inside their own footprint are not affected.
        """
        shapes = [s for s in (self._display(f) for f in footprints) if s is not None]
        self._feature_shapes = shapes
        self._features = STRtree(shapes) if shapes else None

    def reserve(self, bbox: Sequence[float]) -> None:
        """Keep a box (x0, y0, x1, y1 in points) free of labels."""
        self._boxes = np.vstack([self._boxes, np.asarray(bbox, dtype=float)[None, :]])

    def reserve_points(self, xy: np.ndarray, half: float) -> None:
        """Keep squares of half-side ``half`` points around data points ``xy`` free."""
        if len(xy) == 0:
            return
        disp = self.ax.transData.transform(xy)
        boxes = np.column_stack([disp - half, disp + half])
        self._boxes = np.vstack([self._boxes, boxes])

    def place_all(self, labels: Sequence[Label]) -> None:
        """Place ``labels``: first those fitting inside their own footprint, then the rest.

        Each pass goes by priority, highest first.
        """
        ordered = sorted(labels, key=lambda item: -item.priority)
        rest = [label for label in ordered if self.place(label, inside_only=True) is None]
        self.dropped = []
        for label in rest:
            self.place(label)

    def place(self, label: Label, inside_only: bool = False) -> Text | None:
        """Place one label at its first free candidate, or drop it.

        With ``inside_only``, only a position inside the label's footprint is tried (and a
        label without a footprint is left for later).
        """
        if inside_only and label.footprint is None:
            return None
        if label.anchors:
            return self._place_along(label)
        anchor = self.ax.transData.transform((label.x, label.y))
        outline = self._display(label.footprint)
        sizes = np.arange(label.size, self.min_size - 1e-9, -0.5)
        for size in sizes:
            text = self._text(label, size)
            extent = text.get_window_extent(self.renderer)
            w, h = extent.width, extent.height
            candidates = self._candidates(label, anchor, outline, w, h)
            if inside_only:
                candidates = candidates[:1] if self._fits(outline, anchor, w, h) else []
            for cx, cy in candidates:
                candidate = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                beside = outline is not None and (cx, cy) != (float(anchor[0]), float(anchor[1]))
                if self._free(candidate) and not (beside and self._on_feature(candidate, outline)):
                    x, y = self.ax.transData.inverted().transform((cx, cy))
                    text.set_position((float(x), float(y)))
                    return self._keep(text, candidate)
        self.dropped.append(label)
        return None

    def _place_along(self, label: Label) -> Text | None:
        for size in np.arange(label.size, self.min_size - 1e-9, -0.5):
            for x, y, rotation in label.anchors:
                text = self._text(label, size)
                text.set_rotation(rotation)
                text.set_position((x, y))
                extent = text.get_window_extent(self.renderer)
                candidate = (extent.x0, extent.y0, extent.x1, extent.y1)
                if self._free(candidate):
                    return self._keep(text, candidate)
        self.dropped.append(label)
        return None

    def _keep(self, text: Text, candidate: tuple[float, float, float, float]) -> Text:
        self.ax.add_artist(text)
        self.reserve(candidate)
        self.placed.append(text)
        return text

    def _text(self, label: Label, size: float) -> Text:
        text = Text(
            label.x, label.y, label.text, fontsize=size, ha="center", va="center",
            rotation=label.rotation, rotation_mode="anchor", linespacing=1.05,
            transform=self.ax.transData, path_effects=HALO, clip_on=False, zorder=15,
            fontfamily=fonts.style()["font.family"],
            **label.style,
        )  # fmt: skip
        text.set_figure(self.ax.figure)
        return text

    def _display(self, footprint: Polygon | None) -> Polygon | None:
        if footprint is None or footprint.is_empty:
            return None
        shape = (
            footprint
            if footprint.geom_type == "Polygon"
            else max(footprint.geoms, key=lambda part: part.area)
        )
        return Polygon(self.ax.transData.transform(np.asarray(shape.exterior.coords)))

    def _candidates(
        self, label: Label, anchor: np.ndarray, outline: Polygon | None, w: float, h: float
    ) -> list[tuple[float, float]]:
        ax_, ay_ = float(anchor[0]), float(anchor[1])
        if label.centre_only:
            return [(ax_, ay_)]
        found: list[tuple[float, float]] = []
        if outline is not None:
            if self._fits(outline, anchor, w, h):
                found.append((ax_, ay_))
            x0, y0, x1, y1 = outline.bounds
            dx, dy = (x1 - x0) / 2 + GAP + w / 2, (y1 - y0) / 2 + GAP + h / 2
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        else:
            dx, dy = label.radius + w / 2, label.radius + h / 2
            cx, cy = ax_, ay_
        found += [
            (cx + dx, cy), (cx - dx, cy), (cx, cy + dy), (cx, cy - dy),
            (cx + dx, cy + dy), (cx - dx, cy + dy), (cx + dx, cy - dy), (cx - dx, cy - dy),
        ]  # fmt: skip
        return found

    @staticmethod
    def _fits(outline: Polygon | None, anchor: np.ndarray, w: float, h: float) -> bool:
        """Whether a w × h box centred on ``anchor`` lies inside ``outline`` (1 pt slack)."""
        if outline is None:
            return False
        x, y = float(anchor[0]), float(anchor[1])
        return outline.buffer(1.0).contains(box(x - w / 2, y - h / 2, x + w / 2, y + h / 2))

    def _on_feature(self, candidate: tuple[float, ...], own: Polygon | None) -> bool:
        """Whether a box beside a feature covers another feature's footprint."""
        if self._features is None:
            return False
        shape = box(*candidate)
        for i in self._features.query(shape, predicate="intersects"):
            other = self._feature_shapes[int(i)]
            if own is None or not other.equals(own):
                return True
        return False

    def _free(self, candidate: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = candidate
        fx0, fy0, fx1, fy1 = self.frame
        if x0 < fx0 or y0 < fy0 or x1 > fx1 or y1 > fy1:
            return False
        if self._lines is not None and len(self._lines.query(box(*candidate), "intersects")):
            return False
        boxes = self._boxes
        if len(boxes) == 0:
            return True
        overlap = (boxes[:, 0] < x1) & (boxes[:, 2] > x0) & (boxes[:, 1] < y1) & (boxes[:, 3] > y0)
        return not bool(overlap.any())
