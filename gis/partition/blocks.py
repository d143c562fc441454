"""Blocks between main roads: parts of a community that can each hold whole grids.

A grid straddling a main road is poor practice when the road-separated blocks could be
split on their own. :func:`road_blocks` cuts a connected group of units along the
edges that run along a main road; land without households (squares, the road strips
themselves) joins the block it shares the most boundary with. The cut is kept only when
every block's households divide into whole grids near the target; otherwise the group
stays whole and the search weighs road crossings against balance as before.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gis.partition.params import PartitionParams
from gis.partition.search import choose_grid_count
from gis.partition.units import UnitGraph

ALONG = 0.5  # an edge whose shared boundary runs this much along a main road is a road
SLACK = 0.10  # a block's mean grid must be this close to the target (the band is wider)


def road_blocks(
    group: np.ndarray, graph: UnitGraph, households: np.ndarray, params: PartitionParams
) -> list[np.ndarray]:
    """The blocks of ``group`` between main roads, or ``[group]`` if they cannot be used.

    Parameters
    ----------
    group : ndarray of int
        Units of one connected component.
    graph : UnitGraph
        Unit adjacency with shared and main-road lengths (metres).
    households : ndarray
        Households per unit.
    params : PartitionParams
        Target and band.

    Returns
    -------
    list of ndarray
        Units per block, each block connected and holding whole grids within ``SLACK`` of
        the target on average; the group itself when there is one block or any block
        would not divide so.
    """
    inside = np.zeros(graph.n, dtype=bool)
    inside[group] = True
    edge = inside[graph.i] & inside[graph.j]
    road = graph.barrier > ALONG * graph.length
    block = _labels(graph, edge & ~road)
    block = _absorb_empty(block, group, graph, edge, households)
    ids = np.unique(block[group])
    if len(ids) < 2:
        return [group]
    parts = [group[block[group] == b] for b in ids]
    for part in parts:
        total = float(households[part].sum())
        k = choose_grid_count(total, params)
        if abs(total / k - params.target) > SLACK * params.target:
            return [group]
    return sorted(parts, key=lambda p: int(p.min()))


def _labels(graph: UnitGraph, mask: np.ndarray) -> np.ndarray:
    n = graph.n
    adj = coo_matrix((np.ones(mask.sum()), (graph.i[mask], graph.j[mask])), shape=(n, n))
    return connected_components(adj.tocsr(), directed=False)[1]


def _absorb_empty(block, group, graph, edge, households) -> np.ndarray:  # noqa: ANN001
    """Give every block without households to the neighbouring block it borders most.

    Rounds: each empty block bordering a block with households joins the one it shares
    the longest boundary with; empty blocks bordering only empty ones wait a round.
    """
    block = block.copy()
    i, j, length = graph.i[edge], graph.j[edge], graph.length[edge]
    for _ in range(len(group)):
        totals = np.bincount(block[group], weights=households[group], minlength=graph.n)
        present = np.zeros(graph.n, dtype=bool)
        present[block[group]] = True
        empty = present & (totals == 0)
        if not empty.any() or present.sum() < 2:
            break
        bi, bj = block[i], block[j]
        best: dict[int, tuple[float, int]] = {}
        shared: dict[tuple[int, int], float] = {}
        for x, y, w in zip(bi, bj, length, strict=True):
            for e, o in ((x, y), (y, x)):
                if e != o and empty[e] and not empty[o]:
                    shared[(int(e), int(o))] = shared.get((int(e), int(o)), 0.0) + float(w)
        for (e, o), w in sorted(shared.items()):
            if e not in best or w > best[e][0]:
                best[e] = (w, o)
        if not best:
            break
        relabel = np.arange(graph.n)
        for e, (_, o) in best.items():
            relabel[e] = o
        block = relabel[block]
    return block
