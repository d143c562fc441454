"""Grids and main roads: blocks between main roads are partitioned on their own when they can."""

import numpy as np
import pytest
from shapely.geometry import LineString

from gis.metrics import partition_metrics
from gis.partition import GridPartitioner, PartitionParams
from gis.partition.assign import road_through
from gis.partition.blocks import road_blocks
from gis.partition.units import UnitGraph
from tests import partition_cases as cases


def _row(households, road_after):
    """Units in a row; the edge after each unit in ``road_after`` runs along a main road."""
    n = len(households)
    i, j = np.arange(n - 1), np.arange(1, n)
    barrier = np.array([100.0 if k in road_after else 0.0 for k in range(n - 1)])
    graph = UnitGraph(n, i, j, np.full(n - 1, 100.0), barrier)
    return graph, np.array(households, dtype=float)


def _overall(case: dict, seed: int) -> dict:
    result = GridPartitioner(rng=np.random.default_rng(seed)).solve(
        case["communities"], case["buildings"], roads=case["roads"]
    )
    return partition_metrics(
        result.grids, case["communities"], result.buildings, roads=case["roads"], crs=result.crs
    )["overall"]


def test_road_blocks_that_each_hold_whole_grids_are_kept_apart():
    graph, hh = _row([150, 150, 0, 300, 300], road_after={2})
    blocks = road_blocks(np.arange(5), graph, hh, PartitionParams())
    assert [b.tolist() for b in blocks] == [[0, 1, 2], [3, 4]]


def test_a_block_too_small_for_whole_grids_keeps_the_group_whole():
    graph, hh = _row([300, 300, 100], road_after={1})
    blocks = road_blocks(np.arange(3), graph, hh, PartitionParams())
    assert [b.tolist() for b in blocks] == [[0, 1, 2]]


@pytest.mark.parametrize("seed", range(4))
def test_grids_keep_to_their_side_of_a_main_road_that_both_sides_can_fill(seed):
    case = cases.main_road_strip()
    m = _overall(case, seed)
    assert m["crossing_main_roads"] == 0 and m["within_15"] == 1.0


@pytest.mark.parametrize("seed", range(4))
def test_grids_keep_off_a_main_road_that_ends_inside_the_community(seed):
    # the road stops 150 m short of the east edge, so it cuts no block off: only the
    # heavier main-road weight of the extra runs keeps the grids from straddling it
    case = cases.main_road_strip()
    road = LineString([(cases.X0 - 10, cases.Y0 + 100), (cases.X0 + 450, cases.Y0 + 100)])
    case["roads"] = cases._gdf({"main": [True]}, [road])
    m = _overall(case, seed)
    assert m["crossing_main_roads"] == 0 and m["within_15"] == 1.0


def test_road_through_counts_grids_holding_a_main_road_between_their_units():
    graph, _ = _row([150, 150, 300, 300], road_after={0, 2})
    assert road_through(np.array([0, 0, 1, 1]), graph) == 2
    assert road_through(np.array([0, 1, 1, 2]), graph) == 0
