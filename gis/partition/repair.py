"""Grids far out of band, drawn again exactly with the grids around them.

After the search and the proofs, a community can still hold a grid that is neither in
the band nor proven forced out of it. When such a grid is far out (beyond ``WIDE`` of the
target: more than 375 or fewer than 225 households for 300), :func:`repair_far_grids`
takes it with the unflagged grids that touch it and asks an integer programme for a new
drawing of the same units into the same grids: every grid within ``WIDE``, as many as
possible within the band, and, among those, the fewest units moved from the grid they
were in (so the grids keep their shape where they can). Contiguity is the flow model of
:mod:`gis.partition.exact`; a unit may go only to its own grid or to a grid of one of
its neighbours, which keeps the programme small. Work is bounded by branch-and-bound
nodes, not time, so a busy machine gives the same grids.

The new drawing is kept only when it has no grid beyond ``WIDE`` and no more grids with a
main road through them; it may trade a grid in the band for the far grid coming within
``WIDE`` (the programme puts as many in the band as the region allows).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, milp

from gis.partition.exact import SAFETY_TIME_S, SparseRows, local_edges
from gis.partition.params import PartitionParams
from gis.partition.search import Assignment, components
from gis.partition.units import UnitGraph

WIDE = 0.25  # relative deviation from the target beyond which a grid is repaired
REPAIR_NODES = 500  # branch-and-bound nodes per far grid: a work limit, not a time limit


def far_grids(labels: np.ndarray, households: np.ndarray, flags: dict, params: PartitionParams):  # noqa: ANN201
    """Unflagged grids more than ``WIDE`` from the target, farthest first."""
    h = np.bincount(labels, weights=households)
    far = [
        g
        for g in range(len(h))
        if g not in flags and abs(h[g] - params.target) > WIDE * params.target
    ]
    return sorted(far, key=lambda g: (-abs(h[g] - params.target), g))


def repair_far_grids(
    result: Assignment,
    households: np.ndarray,
    graph: UnitGraph,
    params: PartitionParams,
    *,
    node_limit: int = REPAIR_NODES,
) -> Assignment:
    """Redraw each far grid with its unflagged neighbours when that brings all within ``WIDE``.

    Parameters
    ----------
    result : Assignment
        Grid per unit and flags (flagged grids are left as they are).
    households : ndarray
        Households per unit.
    graph : UnitGraph
        Unit adjacency with shared and main-road lengths (metres).
    params : PartitionParams
        Target and band.
    node_limit : int
        Branch-and-bound nodes per far grid.

    Returns
    -------
    Assignment
        The same grids and flags, with the units of repaired regions redrawn.
    """
    labels = result.labels.copy()
    for g in far_grids(labels, households, result.flags, params):
        if g not in far_grids(labels, households, result.flags, params):
            continue  # brought within WIDE by an earlier repair
        region = sorted({g} | _touching(labels, graph, g) - set(result.flags))
        units = np.flatnonzero(np.isin(labels, region))
        drawing = redraw_region(units, labels, households, graph, params, node_limit)
        if drawing is None:
            continue
        trial = labels.copy()
        trial[units] = drawing
        no_more_roads = _roads_through(trial, graph) <= _roads_through(labels, graph)
        if no_more_roads and _sound(trial, region, households, graph, params):
            labels = trial
    return Assignment(labels, result.flags)


def _sound(labels, region, households, graph, params) -> bool:  # noqa: ANN001
    """Every grid of ``region`` within ``WIDE`` and in one piece (a check on the solver)."""
    h = np.bincount(labels, weights=households)
    for g in region:
        if abs(h[g] - params.target) > WIDE * params.target:
            return False
        if len(components(graph.n, graph, np.flatnonzero(labels == g))) != 1:
            return False
    return True


def _touching(labels: np.ndarray, graph: UnitGraph, g: int) -> set[int]:
    mine = labels[graph.i] == g
    other = labels[graph.j] == g
    return {int(x) for x in labels[graph.j][mine & ~other]} | {
        int(x) for x in labels[graph.i][other & ~mine]
    }


def _roads_through(labels: np.ndarray, graph: UnitGraph) -> int:
    from gis.partition.assign import road_through  # assign imports this module

    return road_through(labels, graph)


def redraw_region(
    units: np.ndarray,
    labels: np.ndarray,
    households: np.ndarray,
    graph: UnitGraph,
    params: PartitionParams,
    node_limit: int,
) -> np.ndarray | None:
    """A drawing of ``units`` into their current grids, all within ``WIDE``, or None.

    Each grid connected (on the edges among ``units``), within ``WIDE`` of the target;
    the most grids within the band, then the fewest units moved. A unit may only stay
    or join a grid one of its neighbours is in.

    Returns
    -------
    ndarray of int or None
        The grid of each unit of ``units`` (the grids' own labels); None when the
        programme finds no drawing within ``node_limit`` nodes.
    """
    grids = sorted({int(x) for x in labels[units]})
    a, b = local_edges(units, graph)
    own = [grids.index(int(x)) for x in labels[units]]
    allowed = [{own[u]} for u in range(len(units))]
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        allowed[x].add(own[y])
        allowed[y].add(own[x])
    model = _Model(households[units].astype(float), a, b, allowed, len(grids))
    res = model.solve(own, params, node_limit)
    if res is None:
        return None
    return np.array(grids)[res]


class _Model:
    """Variables of the repair programme, indexed by (unit, grid) where a unit may go."""

    def __init__(self, h: np.ndarray, a: np.ndarray, b: np.ndarray, allowed, k: int):  # noqa: ANN001
        self.h, self.k = h, k
        self.tail, self.head = np.concatenate([a, b]), np.concatenate([b, a])
        pairs = [(u, t) for u in range(len(h)) for t in sorted(allowed[u])]
        self.x = {p: n for n, p in enumerate(pairs)}  # unit u in grid t
        self.r = {p: len(pairs) + n for n, p in enumerate(pairs)}  # u is grid t's root
        start = 2 * len(pairs)
        arcs = [
            (e, t)
            for e in range(len(self.tail))
            for t in range(k)
            if (int(self.tail[e]), t) in self.x and (int(self.head[e]), t) in self.x
        ]
        self.f = {p: start + n for n, p in enumerate(arcs)}  # flow on arc e inside grid t
        self.y = [start + len(arcs) + t for t in range(k)]  # grid t within the band
        self.nvar = start + len(arcs) + k

    def solve(self, own: list[int], params: PartitionParams, node_limit: int):  # noqa: ANN201
        n, k, h = len(self.h), self.k, self.h
        wide_lo, wide_hi = params.target * (1 - WIDE), params.target * (1 + WIDE)
        rows, big = SparseRows(), float(n)
        for u in range(n):
            rows.add([(self.x[u, t], 1.0) for t in range(k) if (u, t) in self.x], 1, 1)
        members = [[u for u in range(n) if (u, t) in self.x] for t in range(k)]
        for t in range(k):
            load = [(self.x[u, t], h[u]) for u in members[t]]
            rows.add(load, wide_lo, wide_hi)
            # y[t] = 1 only if grid t is within the band
            rows.add([*load, (self.y[t], -(params.lower - wide_lo))], wide_lo, np.inf)
            rows.add([*load, (self.y[t], wide_hi - params.upper)], -np.inf, wide_hi)
            rows.add([(self.r[u, t], 1.0) for u in members[t]], 1, 1)
            for u in members[t]:
                rows.add([(self.r[u, t], 1.0), (self.x[u, t], -1.0)], -np.inf, 0)
            self._flow_rows(rows, t, members[t], big)
        c = np.zeros(self.nvar)
        for u in range(n):
            c[self.x[u, own[u]]] = -1.0
        c[self.y] = -(n + 1.0)  # a grid more in the band outweighs every unit kept
        upper = np.ones(self.nvar)
        upper[list(self.f.values())] = big
        integrality = np.ones(self.nvar)
        integrality[list(self.f.values())] = 0
        res = milp(
            c,
            constraints=rows.constraint(self.nvar),
            integrality=integrality,
            bounds=Bounds(np.zeros(self.nvar), upper),
            options={"node_limit": node_limit, "time_limit": SAFETY_TIME_S},
        )
        if res.x is None:
            return None
        out = np.full(n, -1)
        for (u, t), col in self.x.items():
            if res.x[col] > 0.5:
                out[u] = t
        return out if (out >= 0).all() else None

    def _flow_rows(self, rows: SparseRows, t: int, members: list[int], big: float) -> None:
        """Grid t connected: every unit but its root takes in one unit of flow."""
        into: dict[int, list[int]] = {u: [] for u in members}
        out: dict[int, list[int]] = {u: [] for u in members}
        for (e, g), col in self.f.items():
            if g == t:
                into[int(self.head[e])].append(col)
                out[int(self.tail[e])].append(col)
                # flow only between units of the grid
                rows.add([(col, 1.0), (self.x[int(self.tail[e]), t], -big)], -np.inf, 0)
                rows.add([(col, 1.0), (self.x[int(self.head[e]), t], -big)], -np.inf, 0)
        for u in members:
            entries = [(col, 1.0) for col in into[u]] + [(col, -1.0) for col in out[u]]
            rows.add([*entries, (self.x[u, t], -1.0), (self.r[u, t], big)], 0, np.inf)
