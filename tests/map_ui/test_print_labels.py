"""Labels on a crowded grid: none overlap, none below 6 pt, most placed."""

from __future__ import annotations

import itertools

import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from shapely.geometry import box

from map_ui.print import render_grid_sheet
from map_ui.print.labels import MIN_SIZE, Label, LabelPlacer
from tests.map_ui import test_print_cases as cases

#: Overlap allowed between two label boxes, in square points (rounding of glyph extents).
TOLERANCE_PT2 = 1.0


@pytest.fixture(scope="module")
def crowded():
    """81 buildings in a grid of 220 m × 260 m."""
    return render_grid_sheet(cases.grid_sheet(per_side=9, width=220, height=260))


def _boxes(sheet) -> list:
    renderer = sheet.figure.canvas.get_renderer()
    return [text.get_window_extent(renderer) for text in sheet.labels]


def test_crowded_grid_has_sixty_buildings_and_a_label_each(crowded):
    building_labels = [t for t in crowded.labels if "栋" in t.get_text()]
    assert len(building_labels) >= 60
    assert crowded.dropped <= len(crowded.labels) * 0.1


def test_crowded_labels_do_not_overlap(crowded):
    overlaps = []
    for a, b in itertools.combinations(_boxes(crowded), 2):
        w = min(a.x1, b.x1) - max(a.x0, b.x0)
        h = min(a.y1, b.y1) - max(a.y0, b.y0)
        if w > 0 and h > 0 and w * h > TOLERANCE_PT2:
            overlaps.append((a, b))
    assert overlaps == []


def test_crowded_labels_are_at_least_six_points(crowded):
    assert min(text.get_fontsize() for text in crowded.labels) >= MIN_SIZE


def test_labels_stay_inside_the_map_frame(crowded):
    frame = crowded.map_ax.get_window_extent(crowded.figure.canvas.get_renderer())
    for extent in _boxes(crowded):
        assert frame.x0 <= extent.x0 and extent.x1 <= frame.x1
        assert frame.y0 <= extent.y0 and extent.y1 <= frame.y1


def _axes() -> Axes:
    fig = Figure(figsize=(2, 2), dpi=72)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 144)
    ax.set_ylim(0, 144)
    return ax


def test_placer_moves_a_label_beside_a_taken_spot():
    placer = LabelPlacer(_axes())
    first = placer.place(Label("甲乙丙", 72, 72, 8))
    second = placer.place(Label("丁戊己", 72, 72, 8))
    assert first is not None and second is not None
    assert first.get_position() != second.get_position()


def test_placer_drops_a_label_with_no_room():
    placer = LabelPlacer(_axes())
    placer.reserve((0, 0, 144, 144))
    assert placer.place(Label("无处可放", 72, 72, 8)) is None
    assert len(placer.dropped) == 1


def test_placer_shrinks_a_label_to_fit_its_footprint():
    placer = LabelPlacer(_axes())
    label = Label("12栋", 72, 72, 12, footprint=box(61, 66, 83, 78))
    placer.place_all([label])
    (text,) = placer.placed
    assert MIN_SIZE <= text.get_fontsize() < 12
    assert tuple(text.get_position()) == pytest.approx((72, 72))
