"""Grids out of band that the units force: proofs flag them, and only them."""

import itertools

import numpy as np
import pytest
from shapely.geometry import box

from gis.partition import GridPartitioner, PartitionParams
from gis.partition.feasible import fewest_out_of_band
from gis.partition.forced import LAYOUT, SIZES, STRANDED, flag_forced, stranded_units
from gis.partition.search import Assignment
from gis.partition.units import UnitGraph
from gis.testing import assert_valid_partition
from tests import partition_cases as cases

P = PartitionParams()


def _path(households) -> tuple[np.ndarray, UnitGraph]:
    """Units in a row, each touching the next along 10 m."""
    n = len(households)
    i, j = np.arange(n - 1), np.arange(1, n)
    return np.asarray(households), UnitGraph(n, i, j, np.full(n - 1, 10.0), np.zeros(n - 1))


def _star(centre: int, leaves: list[int]) -> tuple[np.ndarray, UnitGraph]:
    """Unit 0 in the middle, touching every other unit; the leaves touch nothing else."""
    n = len(leaves) + 1
    i, j = np.zeros(n - 1, dtype=int), np.arange(1, n)
    return np.array([centre, *leaves]), UnitGraph(n, i, j, np.full(n - 1, 10.0), np.zeros(n - 1))


def _out(result: Assignment, h: np.ndarray) -> list[int]:
    per = np.bincount(result.labels, weights=h)
    return [g for g in range(len(per)) if not P.lower <= per[g] <= P.upper]


def test_whole_compounds_that_cannot_reach_the_band_are_flagged_stranded():
    # three compounds in a row: 219 can join only the 290 next to it (509 > 345)
    boxes = [box(cases.X0 + 10 + 60 * i, cases.Y0 + 20, cases.X0 + 50 + 60 * i, cases.Y0 + 60)
             for i in range(3)]  # fmt: skip
    case = {
        "communities": cases._community(box(cases.X0, cases.Y0, cases.X0 + 190, cases.Y0 + 80)),
        "buildings": cases._buildings(boxes, [219, 290, 330], ["A", "B", "C"]),
    }
    result = GridPartitioner(rng=np.random.default_rng(0)).solve(
        case["communities"], case["buildings"]
    )
    assert_valid_partition(result, case["communities"])
    by_households = dict(zip(result.grids.households, result.grids.flag, strict=True))
    assert by_households == {219: STRANDED, 290: "", 330: ""}


def test_stranded_unit_is_one_no_connected_group_in_band_can_hold():
    h, graph = _path([219, 270, 333])
    nbrs = [[v for v, _, _ in row] for row in graph.neighbours()]
    assert stranded_units(np.arange(3), h, nbrs, P) == [0]


def test_unit_sizes_that_prevent_the_band_flag_as_many_grids_as_proven():
    # 780 households: only 3 grids put the mean in band, and 240 + 240 > 345, so two of
    # the three must be out whatever the drawing; every leaf can pair with the centre
    h, graph = _star(60, [240, 240, 240])
    result = flag_forced(Assignment(np.array([0, 0, 1, 2])), h, graph, P)
    assert sorted(f for flags in result.flags.values() for f in flags) == [SIZES, SIZES]


def test_a_grid_the_search_failed_on_stays_unflagged():
    # the same star drawn badly: three grids out of band where two must be; one stays
    h, graph = _star(60, [240, 240, 240])
    result = flag_forced(Assignment(np.array([0, 1, 2, 2])), h, graph, P)
    unflagged = [g for g in _out(result, h) if g not in result.flags]
    assert len(result.flags) == 2 and len(unflagged) == 1


def test_layout_that_prevents_the_band_is_flagged_once():
    # 190 + 70 and 60 + 250 would do, but 60 and 70 lie between them on a path
    h, graph = _path([190, 60, 70, 250])
    result = flag_forced(Assignment(np.array([0, 1, 1, 1])), h, graph, P)
    assert list(result.flags.values()) == [[LAYOUT]]


def test_drawing_in_band_the_search_missed_replaces_it():
    # a path of six 100-household units drawn 200 / 400: 300 / 300 exists
    h, graph = _path([100, 100, 100, 100, 100, 100])
    result = flag_forced(Assignment(np.array([0, 0, 1, 1, 1, 1])), h, graph, P)
    assert result.flags == {} and _out(result, h) == []


@pytest.mark.parametrize("seed", range(20))
def test_size_bound_matches_enumeration_of_every_grouping(seed):
    rng = np.random.default_rng(seed)
    h = rng.integers(60, 340, size=int(rng.integers(3, 7)))
    bound = fewest_out_of_band(h, P.lower, P.upper)
    best = min(
        sum(not P.lower <= s <= P.upper for s in np.bincount(grouping, weights=h, minlength=k))
        for k in bound.counts
        for grouping in map(np.array, itertools.product(range(k), repeat=len(h)))
    ) if bound.counts else 1  # fmt: skip
    assert bound.grids_out == best


def _triangle_then_path() -> tuple[np.ndarray, UnitGraph]:
    """Three units of 150 in a triangle (0, 1, 2), a 200 (3) touching 0 and 2, then a
    path of 44 units of 25 from the 200: too many units for the sizes and layout
    programmes, and no unit stranded (any two of the triangle make 300)."""
    h = np.array([150, 150, 150, 200] + [25] * 44)
    edges = [(0, 1), (0, 2), (1, 2), (0, 3), (2, 3)] + [(u, u + 1) for u in range(3, 47)]
    i, j = np.array(edges).T
    return h, UnitGraph(len(h), i, j, np.full(len(i), 10.0), np.zeros(len(i)))


def test_a_cluster_the_band_cannot_fill_flags_one_grid_in_a_large_component():
    # 150 + 200 > 345: grids in band hold triangle units only or none; 450 households
    # make no whole number of grids in band, so some triangle unit is in a grid out of band
    h, graph = _triangle_then_path()
    labels = np.array([0, 0, 1, 1] + [2 + u // 11 for u in range(44)])
    result = flag_forced(Assignment(labels), h, graph, P)
    assert _out(result, h) == [1] and result.flags == {1: [LAYOUT]}
