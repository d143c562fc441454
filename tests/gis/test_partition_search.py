"""The search's fast paths give what the plain definitions give; the pool takes long work first."""

import geopandas as gpd
import numpy as np
import pytest

from gis.partition import PartitionParams
from gis.partition.community import CommunityInput
from gis.partition.recom import Recombiner, _subtree_masks
from gis.partition.search import balance_penalties, balance_penalty
from gis.partition.solver import longest_first
from gis.partition.treepart import random_tree
from gis.partition.units import UnitGraph

P = PartitionParams()


def _grid_graph(side: int, rng: np.random.Generator) -> tuple[UnitGraph, np.ndarray]:
    """A side × side lattice of units with random households, lengths and barriers."""
    n = side * side
    i = [r * side + c for r in range(side) for c in range(side - 1)]
    i += [r * side + c for r in range(side - 1) for c in range(side)]
    j = [u + 1 for u in i[: side * (side - 1)]] + [u + side for u in i[side * (side - 1) :]]
    m = len(i)
    graph = UnitGraph(
        n,
        np.array(i),
        np.array(j),
        rng.uniform(5, 50, m),
        rng.uniform(0, 20, m) * (rng.random(m) < 0.3),
    )
    return graph, rng.integers(0, 120, n)


def _score_by_definition(rec: Recombiner, ctx: dict, side: np.ndarray) -> float:
    """The pair's objective written out as in the module docstring, one split at a time."""
    ha = ctx["w"][side].sum()
    hb = ctx["w"].sum() - ha
    differ = side[ctx["a"]] != side[ctx["b"]]
    split = sum(1 for idx in ctx["compounds"] if side[idx].any() and not side[idx].all())
    return (
        balance_penalty(ha, P)
        + balance_penalty(hb, P)
        + rec.cut_w * ctx["length"][differ].sum()
        + rec.bar_w * ctx["barrier"][~differ].sum()
        + P.split_weight * split
    )


@pytest.mark.parametrize("cost", [0.0, 0.1])
def test_balance_penalties_are_balance_penalty_element_by_element(cost):
    params = PartitionParams(out_of_band_cost=cost)
    h = np.arange(0.0, 800.0)
    expected = [balance_penalty(x, params) for x in h]
    assert balance_penalties(h, params).tolist() == expected


def test_recombiner_scores_every_tree_cut_as_the_objective_does():
    rng = np.random.default_rng(3)
    graph, households = _grid_graph(6, rng)
    compound = np.array([("c1" if u % 7 == 0 else "c2" if u % 5 == 0 else None) for u in range(36)])
    rec = Recombiner(graph, households, compound, 150.0, P, np.random.default_rng(0))
    ctx = rec._pair_context(np.arange(36))
    cuts = np.vstack([rec._tree_cuts(ctx) for _ in range(10)])
    expected = [_score_by_definition(rec, ctx, side) for side in cuts]
    assert len(cuts) > 10
    assert rec._scores(ctx, cuts) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_subtree_masks_hold_each_root_and_all_below_it():
    rng = np.random.default_rng(5)
    graph, _ = _grid_graph(5, rng)
    order, parent = random_tree(25, graph.i, graph.j, rng)
    roots = [3, 7, 24, 11]
    masks = _subtree_masks(order, parent, roots, 25)
    for root, mask in zip(roots, masks, strict=True):
        below = set()
        for v in range(25):
            x = v
            while x != -1 and x != root:
                x = parent[x]
            if x == root:
                below.add(v)
        assert set(np.flatnonzero(mask).tolist()) == below


def test_random_tree_spans_the_graph():
    graph, _ = _grid_graph(4, np.random.default_rng(1))
    order, parent = random_tree(16, graph.i, graph.j, np.random.default_rng(2))
    edges = set(zip(graph.i.tolist(), graph.j.tolist(), strict=True))
    assert sorted(order) == list(range(16)) and parent[0] == -1
    assert all((min(v, parent[v]), max(v, parent[v])) in edges for v in order[1:])


def test_workers_get_the_communities_with_most_buildings_first():
    sizes = [2, 40, 7, 40, 0, 13]
    items = [
        CommunityInput(str(k), None, gpd.GeoDataFrame(geometry=[None] * n))
        for k, n in enumerate(sizes)
    ]
    assert longest_first(items) == [1, 3, 5, 2, 0, 4]
