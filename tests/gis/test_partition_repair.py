"""Grids far out of band are redrawn with their neighbours when the units allow it."""

import numpy as np

from gis.partition import PartitionParams
from gis.partition.repair import far_grids, repair_far_grids
from gis.partition.search import Assignment
from gis.partition.units import UnitGraph

P = PartitionParams()


def _path(households, barrier=None) -> tuple[np.ndarray, UnitGraph]:
    """Units in a row, each touching the next along 40 m."""
    n = len(households)
    bar = np.zeros(n - 1) if barrier is None else np.asarray(barrier, dtype=float)
    i, j = np.arange(n - 1), np.arange(1, n)
    return np.asarray(households), UnitGraph(n, i, j, np.full(n - 1, 40.0), bar)


def _totals(result: Assignment, h: np.ndarray) -> list[int]:
    return np.bincount(result.labels, weights=h).astype(int).tolist()


def test_a_grid_beyond_the_wide_band_is_redrawn_within_it():
    # 300 + 92 = 392 lies beyond 375; giving the 92 to the next grid makes 300 and 352
    h, graph = _path([300, 92, 200, 60])
    result = repair_far_grids(Assignment(np.array([0, 0, 1, 1])), h, graph, P)
    assert _totals(result, h) == [300, 352]
    assert far_grids(result.labels, h, result.flags, P) == []


def test_units_that_allow_no_drawing_within_the_wide_band_are_left_as_they_were():
    # 190 + 190 | 300 or 190 | 490: no split keeps both grids within 225-375
    h, graph = _path([190, 190, 300])
    before = Assignment(np.array([0, 0, 1]))
    assert repair_far_grids(before, h, graph, P).labels.tolist() == [0, 0, 1]


def test_flagged_grids_are_not_redrawn():
    # the 300 is flagged: the far grid has no unflagged neighbour to share with
    h, graph = _path([300, 92, 200, 60])
    before = Assignment(np.array([0, 0, 1, 1]), {1: ["stranded_unit"]})
    after = repair_far_grids(before, h, graph, P)
    assert after.labels.tolist() == [0, 0, 1, 1] and after.flags == before.flags


def test_a_repair_that_would_put_a_main_road_through_a_grid_is_not_kept():
    # the only repair joins the 92 to the 200 across a main road
    h, graph = _path([300, 92, 200, 60], barrier=[0.0, 30.0, 0.0])
    result = repair_far_grids(Assignment(np.array([0, 0, 1, 1])), h, graph, P)
    assert result.labels.tolist() == [0, 0, 1, 1]
