"""Tessellation repairs: enclosures drawn again when their cells overlap."""

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from gis.tessellation import _redo_overlapping, cut_overlaps, redraw_enclosure

ENCLOSURE = box(0, 0, 100, 60)
BUILDINGS = gpd.GeoSeries(
    [box(10, 10, 30, 20), box(40, 10, 60, 50), box(70, 40, 90, 50)], index=[4, 7, 9]
)


def test_redrawn_enclosure_is_tiled_by_its_buildings_cells():
    cells = redraw_enclosure(ENCLOSURE, BUILDINGS)
    assert sorted(cells.index) == [4, 7, 9]
    assert cells.area.sum() == pytest.approx(ENCLOSURE.area, abs=1e-3)
    assert shapely.union_all(cells.values).area == pytest.approx(ENCLOSURE.area, abs=1e-3)


def test_redrawn_cells_hold_their_own_building():
    cells = redraw_enclosure(ENCLOSURE, BUILDINGS)
    assert all(cells[b].contains(BUILDINGS[b]) for b in BUILDINGS.index)


def test_cut_overlaps_leaves_later_cells_what_earlier_ones_do_not_cover():
    boxes = [box(0, 0, 10, 10), box(5, 0, 15, 10), box(0, 0, 10, 10)]
    out = cut_overlaps(gpd.GeoSeries(boxes, index=[1, 2, 3]))
    assert list(out.index) == [1, 2] and out.area.tolist() == [100, 50]
    assert out[2].equals(box(10, 0, 15, 10))


def test_the_only_enclosure_is_redrawn_when_its_cells_overlap():
    overlapping = gpd.GeoDataFrame(
        {"enclosure_index": [0, 0, 0]},
        geometry=[box(0, 0, 60, 60), box(30, 0, 100, 60), box(50, 0, 100, 60)],
        index=[4, 7, 9],
    )
    cells = _redo_overlapping(overlapping, gpd.GeoSeries([ENCLOSURE]), BUILDINGS)
    assert sorted(cells.index) == [4, 7, 9]
    assert cells.area.sum() == pytest.approx(ENCLOSURE.area, abs=1e-3)
