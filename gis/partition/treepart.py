"""A balanced contiguous start by recursive spanning-tree bisection.

The region holding ``k`` grids is cut along an edge of a random spanning tree of its
units so that one side holds about ``k1 = k // 2`` grids' worth of households; both sides
are connected by construction, and each is cut again until every part is one grid. This
is the idea of GerryChain's ``recursive_tree_part``, written for small graphs of units
with uneven weights: many trees are tried and the best cut kept, so no attempt ever fails.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from gis.partition.params import PartitionParams
from gis.partition.units import UnitGraph

_MAX_TREES = 64
_GOOD_ENOUGH = 0.25  # stop drawing trees once a cut is within this share of the band


def random_tree(n: int, a, b, rng) -> tuple[list[int], list[int]] | None:  # noqa: ANN001
    """A random spanning tree of a small graph, rooted at 0, as (BFS order, parent).

    Kruskal's algorithm on the edges ``a[e] - b[e]`` (sequences of unit positions) in
    random order (union-find in plain Python: the graphs are a few dozen units, where
    scipy's sparse machinery costs more than the work). ``parent`` of the root is -1.
    Returns None when the graph is not connected.
    """
    root = list(range(n))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    a = a.tolist() if isinstance(a, np.ndarray) else a
    b = b.tolist() if isinstance(b, np.ndarray) else b
    adj: list[list[int]] = [[] for _ in range(n)]
    joined = 0
    for e in rng.permutation(len(a)).tolist():
        x, y = a[e], b[e]
        rx, ry = find(x), find(y)
        if rx != ry:
            root[rx] = ry
            adj[x].append(y)
            adj[y].append(x)
            joined += 1
            if joined == n - 1:
                break
    if joined < n - 1:
        return None
    order, parent = [0], [-1] * n
    seen = [False] * n
    seen[0] = True
    for v in order:
        for x in adj[v]:
            if not seen[x]:
                seen[x] = True
                parent[x] = v
                order.append(x)
    return order, parent


class _Subgraph:
    """Edges among a set of units, in local numbering."""

    def __init__(self, units: np.ndarray, graph: UnitGraph):
        local = {int(u): k for k, u in enumerate(units)}
        inside = np.isin(graph.i, units) & np.isin(graph.j, units)
        self.units = units
        self.a = [local[int(u)] for u in graph.i[inside]]
        self.b = [local[int(u)] for u in graph.j[inside]]

    def best_cut(self, w: np.ndarray, goal: float, band: float, rng) -> np.ndarray | None:  # noqa: ANN001
        """Mask of one side of the best tree cut towards ``goal`` households."""
        n = len(self.units)
        total = w.sum()
        best_dev, best_mask = np.inf, None
        for _ in range(_MAX_TREES):
            tree = random_tree(n, self.a, self.b, rng)
            if tree is None:
                return None
            order, parent = tree
            below = w.tolist()
            for v in order[:0:-1]:
                below[parent[v]] += below[v]
            sub, cand = np.array(below), np.array(order[1:])
            dev_in = np.abs(sub[cand] - goal)
            dev_out = np.abs(total - sub[cand] - goal)
            pick = int(np.argmin(np.minimum(dev_in, dev_out)))
            dev = min(dev_in[pick], dev_out[pick])
            if dev < best_dev:
                mask = _subtree_mask(order, parent, int(cand[pick]), n)
                best_dev, best_mask = dev, mask if dev_in[pick] <= dev_out[pick] else ~mask
            if best_dev <= _GOOD_ENOUGH * band:
                break
        return best_mask


def _subtree_mask(order: list[int], parent: list[int], root: int, n: int) -> np.ndarray:
    children: dict[int, list[int]] = defaultdict(list)
    for v in order[1:]:
        children[parent[v]].append(v)
    mask = np.zeros(n, dtype=bool)
    stack = [root]
    while stack:
        x = stack.pop()
        mask[x] = True
        stack.extend(children[x])
    return mask


def tree_start(
    units: np.ndarray,
    households: np.ndarray,
    graph: UnitGraph,
    k: int,
    params: PartitionParams,
    rng: np.random.Generator,
) -> np.ndarray:
    """Split a connected set of units into ``k`` contiguous, balanced grids.

    Parameters
    ----------
    units : ndarray of int
        A connected component of the unit graph.
    households : ndarray
        Households of all units.
    graph : UnitGraph
        Adjacency of all units.
    k : int
        Number of grids wanted.
    params : PartitionParams
        Target and band.
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    ndarray of int
        Grid label 0…k-1 per unit of ``units``.
    """
    labels = np.zeros(len(units), dtype=int)
    band = params.tolerance * params.target
    todo = [(np.arange(len(units)), min(k, len(units)), 0)]
    next_label = 1
    while todo:
        idx, parts, label = todo.pop()
        if parts <= 1 or len(idx) < 2:
            labels[idx] = label
            continue
        w = households[units[idx]].astype(float)
        first = parts // 2
        goal = w.sum() * first / parts
        mask = _Subgraph(units[idx], graph).best_cut(w, goal, band, rng)
        if mask is None:
            labels[idx] = label
            continue
        todo.append((idx[mask], first, label))
        todo.append((idx[~mask], parts - first, next_label))
        next_label += 1
    return labels
