"""Exact drawing of a small community: an integer programme with band and contiguity.

:func:`band_drawable` asks whether the units of a (small) connected component can be
drawn into ``k`` connected grids all in band, on the unit adjacency graph (no geometry).
When HiGHS proves it cannot, for every grid count whose mean lies in the band, some grid
out of band is forced by the buildings and how they touch, not by the search; when it
finds a drawing, the search had missed one.

The model (HiGHS through :func:`scipy.optimize.milp`): ``x[u, g]`` puts unit u in grid g;
each grid has households within the band; contiguity is the single-commodity flow
formulation: each grid has one root unit ``r[u, g]`` that sends one unit of flow to every
other unit of the grid along edges inside it (Shirabe 2005; Validi, Buchanan and
Lykhovyd 2022, "Imposing contiguity constraints in political districting models"), so a
grid is connected exactly when its flow reaches every unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix

from gis.partition.params import PartitionParams
from gis.partition.units import UnitGraph

_OPTIMAL, _LIMIT, _INFEASIBLE = 0, 1, 2  # scipy.optimize.milp status codes
#: A safety net only: the work is bounded by a node limit, so that the answer does not
#: depend on the machine's load (same input, same grids); no solve came near this.
SAFETY_TIME_S = 30.0


@dataclass(frozen=True)
class Drawable:
    """Whether a group of units can be drawn into ``k`` connected grids in band.

    ``possible`` is True (``labels`` holds such a drawing), False (proven impossible) or
    None (not decided within the node limit).
    """

    possible: bool | None
    labels: np.ndarray | None = None


def band_drawable(
    group: np.ndarray,
    households: np.ndarray,
    graph: UnitGraph,
    k: int,
    params: PartitionParams,
    *,
    node_limit: int,
) -> Drawable:
    """Decide whether the units of ``group`` can form ``k`` connected grids, all in band.

    Parameters
    ----------
    group : ndarray of int
        Units (a connected component of the community); every one must be in a grid.
    households : ndarray
        Households per unit (all units of the community).
    graph : UnitGraph
        Unit adjacency (connectivity is on this graph).
    k : int
        Number of grids.
    params : PartitionParams
        The band.
    node_limit : int
        Branch-and-bound nodes HiGHS may explore (a work limit, not a time limit, so the
        answer is the same on a busy machine).

    Returns
    -------
    Drawable
        ``labels`` are grids 0…k-1 per unit of ``group`` when possible.
    """
    if len(group) < k:
        return Drawable(False)
    a, b = local_edges(group, graph)
    status, x = _solve(households[group].astype(float), a, b, k, params, node_limit)
    if x is not None:
        return Drawable(True, x)
    return Drawable(False if status == _INFEASIBLE else None)


def local_edges(units: np.ndarray, graph: UnitGraph) -> tuple[np.ndarray, np.ndarray]:
    """The edges of ``graph`` among ``units``, as positions in ``units`` (each edge once)."""
    local = np.full(graph.n, -1)
    local[units] = np.arange(len(units))
    inside = (local[graph.i] >= 0) & (local[graph.j] >= 0)
    return local[graph.i[inside]], local[graph.j[inside]]


class SparseRows:
    """Sparse constraint rows, appended one at a time."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, entries, low: float, high: float) -> None:  # noqa: ANN001
        """Add the row ``low <= Σ val · x[col] <= high`` for ``(col, val)`` in ``entries``."""
        r = len(self.lo)
        for col, val in entries:
            self.rows.append(r)
            self.cols.append(col)
            self.vals.append(val)
        self.lo.append(low)
        self.hi.append(high)

    def constraint(self, nvar: int) -> LinearConstraint:
        """The rows so far over ``nvar`` variables, for :func:`scipy.optimize.milp`."""
        shape = (len(self.lo), nvar)
        matrix = csr_matrix(coo_matrix((self.vals, (self.rows, self.cols)), shape=shape))
        return LinearConstraint(matrix, self.lo, self.hi)


def _solve(h, a, b, k, params, node_limit):  # noqa: ANN001, ANN202
    """(milp status, grid 0…k-1 per local unit or None).

    Any drawing will do; the grids are numbered by their roots to cut the k! equal
    numberings a proof of impossibility would otherwise have to go through.
    """
    n = len(h)
    tail, head = np.concatenate([a, b]), np.concatenate([b, a])  # arcs both ways
    arcs, nx = len(tail), n * k

    def xi(u: int, g: int) -> int:
        return u * k + g

    def ri(u: int, g: int) -> int:
        return nx + u * k + g

    def fi(e: int, g: int) -> int:
        return 2 * nx + e * k + g

    nvar, big = 2 * nx + arcs * k, float(n)
    rows = SparseRows()
    for u in range(n):
        rows.add([(xi(u, g), 1.0) for g in range(k)], 1, 1)
    inflow: list[list[int]] = [[] for _ in range(n)]
    outflow: list[list[int]] = [[] for _ in range(n)]
    for e in range(arcs):
        inflow[int(head[e])].append(e)
        outflow[int(tail[e])].append(e)
    for g in range(k):
        rows.add([(xi(u, g), h[u]) for u in range(n)], params.lower, params.upper)
        rows.add([(ri(u, g), 1.0) for u in range(n)], 1, 1)
        for u in range(n):
            rows.add([(ri(u, g), 1.0), (xi(u, g), -1.0)], -np.inf, 0)
            # a unit of the grid takes one unit of flow, unless it is the root
            entries = [(fi(e, g), 1.0) for e in inflow[u]] + [(fi(e, g), -1.0) for e in outflow[u]]
            rows.add(entries + [(xi(u, g), -1.0), (ri(u, g), big)], 0, np.inf)
        for e in range(arcs):  # flow only between units of the grid
            rows.add([(fi(e, g), 1.0), (xi(int(tail[e]), g), -big)], -np.inf, 0)
            rows.add([(fi(e, g), 1.0), (xi(int(head[e]), g), -big)], -np.inf, 0)
    upper = np.concatenate([np.ones(2 * nx), np.full(arcs * k, big)])
    # every drawing can root each grid at its lowest unit and number its grids by roots:
    # then unit u lies in a grid numbered u at most
    for g in range(k - 1):
        entries = [(ri(u, g), float(u)) for u in range(n)]
        rows.add(entries + [(ri(u, g + 1), -float(u)) for u in range(n)], -np.inf, -1)
    for u in range(n):
        for g in range(u + 1, k):
            upper[xi(u, g)] = upper[ri(u, g)] = 0
    res = milp(
        np.zeros(nvar),
        constraints=rows.constraint(nvar),
        integrality=np.concatenate([np.ones(2 * nx), np.zeros(arcs * k)]),
        bounds=Bounds(np.zeros(nvar), upper),
        options={"node_limit": node_limit, "time_limit": SAFETY_TIME_S},
    )
    if res.x is None or res.status not in (_OPTIMAL, _LIMIT):
        return res.status, None
    x = np.round(res.x[:nx]).reshape(n, k)
    if not np.allclose(x.sum(axis=1), 1):
        return res.status, None
    return res.status, x.argmax(axis=1)
