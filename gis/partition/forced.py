"""Grids out of band that the units force: proven, counted, and flagged, never guessed.

After the search, a community may still hold grids out of band. Some are forced: a
compound of 219 households whose neighbours all hold 150–340 can join none of them and
cannot reach 255 alone. This module proves that where it can, per connected component of
the units (whole compounds, buildings and land without households, as the search sees
them), and flags the grids the proofs cover, no more:

``stranded_unit``
    The grid holds a unit that no connected group of units in band can hold: every
    connected set of units containing it has fewer households than the band's lower bound
    or more than its upper bound (an exhaustive search, :func:`stranded_units`). Whatever
    the drawing, the grid holding that unit is out of band.
``unit_sizes_prevent_band``
    No grouping of the component's households into ``k`` grids puts every grid in band,
    for any ``k`` whose mean lies in the band, whatever the units' positions
    (:func:`gis.partition.feasible.fewest_out_of_band`, which also bounds how many grids
    must be out). Flagged up to that number, less the grids already flagged.
``unit_layout_prevents_band``
    The households could be grouped, but not into connected grids: an integer programme
    over the unit adjacency finds no drawing of ``k`` connected grids all in band, for any
    such ``k`` (:func:`gis.partition.exact.band_drawable`; components of up to
    ``MAX_LAYOUT_UNITS`` units, within ``LAYOUT_NODES`` branch-and-bound nodes: a work
    limit, not a time limit, so a busy machine gives the same flags). One grid is flagged.
    The same holds of a part of a larger component: cut the edges whose two units hold
    more than the band together, and every grid in band lies within one of the
    resulting clusters (:func:`band_clusters`); a cluster whose units cannot all go into
    grids in band (:func:`cluster_cannot_fill`: by sizes, or by the programme on up to
    ``MAX_LAYOUT_UNITS`` units) leaves one of its units in a grid out of band. On the
    synthetic city: seven buildings of 114-199 households walled in by compounds of
    263-275, whose grids in band can only be pairs of them.

When the programme instead finds a drawing with every grid in band, the component is
drawn so: the search had missed it. Grids out of band beyond the proven number stay
unflagged and count against the search. Which of several out-of-band grids carries a
count-based flag is a choice (the proof counts, it does not name grids): the ones
farthest from the target.
"""

from __future__ import annotations

import numpy as np

from gis.partition.exact import band_drawable
from gis.partition.feasible import band_counts, fewest_out_of_band
from gis.partition.params import PartitionParams
from gis.partition.search import Assignment, components
from gis.partition.units import UnitGraph

STRANDED = "stranded_unit"
SIZES = "unit_sizes_prevent_band"
LAYOUT = "unit_layout_prevents_band"
MAX_LAYOUT_UNITS = 25  # components above this are not given to the adjacency programme
LAYOUT_NODES = 20  # branch-and-bound nodes per grid count; undecided means no flag
MAX_SETS = 20_000  # connected sets explored per unit before it is left undecided


def flag_forced(
    result: Assignment, households: np.ndarray, graph: UnitGraph, params: PartitionParams
) -> Assignment:
    """Flag the grids out of band that the units force; redraw a component the search missed.

    Parameters
    ----------
    result : Assignment
        Grid per unit (0…k-1) and the flags already given (those grids are left alone).
    households : ndarray
        Households per unit.
    graph : UnitGraph
        Unit adjacency.
    params : PartitionParams
        The band.

    Returns
    -------
    Assignment
        Labels (changed only where a component was redrawn in band) and flags, with the
        proven grids flagged.
    """
    labels, flags = result.labels.copy(), {g: list(f) for g, f in result.flags.items()}
    out = _out_of_band(labels, households, flags, params)
    if not out:
        return result
    nbrs = [[v for v, _, _ in row] for row in graph.neighbours()]
    rest = np.flatnonzero(households <= params.upper)
    for group in components(graph.n, graph, rest):
        mine = sorted({int(g) for g in labels[group]} & out)
        if not mine:
            continue
        h = np.bincount(labels, weights=households)
        worst = sorted(mine, key=lambda g: (-abs(h[g] - params.target), g))
        members = group[np.isin(labels[group], mine)]
        stranded = stranded_units(members, households, nbrs, params)
        held = sorted({int(labels[u]) for u in stranded})
        for g in held:
            flags[g] = [STRANDED]
        left = [g for g in worst if g not in held]
        if not left:
            continue
        proven, flag, drawing = _count_bound(group, households, graph, params)
        if drawing is not None and not held:
            labels = _redrawn(labels, group, drawing)
            continue
        for g in left[: max(0, proven - len(held))]:
            flags[g] = [flag]
    _, compact = np.unique(labels, return_inverse=True)
    mapping = dict(zip(labels.tolist(), compact.tolist(), strict=True))
    return Assignment(compact, {mapping[g]: f for g, f in flags.items() if g in mapping})


def _out_of_band(labels, households, flags, params) -> set[int]:  # noqa: ANN001
    h = np.bincount(labels, weights=households)
    return {g for g in range(len(h)) if g not in flags and not params.lower <= h[g] <= params.upper}


def _redrawn(labels: np.ndarray, group: np.ndarray, drawing: np.ndarray) -> np.ndarray:
    """``labels`` with ``group`` drawn as ``drawing`` (0…k-1), in fresh grid numbers."""
    out = labels.copy()
    out[group] = int(labels.max()) + 1 + drawing
    return out


def stranded_units(
    units: np.ndarray,
    households: np.ndarray,
    neighbours: list[list[int]],
    params: PartitionParams,
    max_sets: int = MAX_SETS,
) -> list[int]:
    """Units of ``units`` that no connected set of units with households in band contains.

    Connected sets holding the unit are grown one neighbour at a time, depth first, and a
    set above the band's upper bound is not grown further (households are never negative,
    so no superset can come back into the band). The search is exhaustive unless it meets
    ``max_sets`` sets, when the unit is left undecided (not returned).

    Parameters
    ----------
    units : ndarray of int
        Units to check.
    households : ndarray
        Households per unit (all units).
    neighbours : list of lists of int
        Adjacent units per unit.
    params : PartitionParams
        The band.
    max_sets : int
        Sets explored per unit at most.

    Returns
    -------
    list of int
        The units proven stranded.

    Examples
    --------
    >>> from gis.partition.params import PartitionParams
    >>> h = np.array([219, 270, 333])  # a path 0 - 1 - 2
    >>> stranded_units(np.arange(3), h, [[1], [0, 2], [1]], PartitionParams())
    [0]
    """
    lower, upper = params.lower, params.upper
    out = []
    for u in (int(x) for x in units):
        if households[u] == 0 or households[u] > upper:
            continue
        if _stranded(u, households, neighbours, lower, upper, max_sets):
            out.append(u)
    return out


def _stranded(u, households, neighbours, lower, upper, max_sets) -> bool:  # noqa: ANN001, PLR0913
    start = frozenset([u])
    seen, stack = {start}, [(start, float(households[u]))]
    while stack:
        members, total = stack.pop()
        if lower <= total <= upper:
            return False
        if len(seen) > max_sets:
            return False  # undecided: claim nothing
        frontier = {v for x in members for v in neighbours[x]} - members
        for v in sorted(frontier):
            grown = total + float(households[v])
            if grown > upper:
                continue
            bigger = members | {v}
            if bigger not in seen:
                seen.add(bigger)
                stack.append((bigger, grown))
    return True


def _count_bound(group, households, graph, params):  # noqa: ANN001, ANN202
    """(grids of ``group`` that must be out of band, flag, drawing all in band or None)."""
    hh = households[group]
    bound = fewest_out_of_band(hh, params.lower, params.upper)
    if bound.grids_out > 0:
        return bound.grids_out, SIZES, None
    counts = band_counts(float(hh.sum()), params.lower, params.upper)
    tried = bound.proven and counts and len(group) <= MAX_LAYOUT_UNITS
    if tried:
        verdicts = []
        for k in counts:
            drawable = band_drawable(group, households, graph, k, params, node_limit=LAYOUT_NODES)
            if drawable.possible:
                return 0, "", drawable.labels
            verdicts.append(drawable.possible)
            if drawable.possible is None:
                break
        if all(v is False for v in verdicts):
            return 1, LAYOUT, None
    clusters = [c for c in band_clusters(group, households, graph, params) if len(c) < len(group)]
    if any(cluster_cannot_fill(c, households, graph, params) for c in clusters):
        return 1, LAYOUT, None
    return 0, "", None


def band_clusters(
    group: np.ndarray, households: np.ndarray, graph: UnitGraph, params: PartitionParams
) -> list[np.ndarray]:
    """The units of ``group`` split where two neighbours hold more than the band together.

    A grid in band holds at most ``params.upper`` households, so it never holds both
    ends of such an edge (households are never negative), and its units are connected
    through the other edges: every grid in band lies within one cluster.
    """
    inside = np.zeros(graph.n, dtype=bool)
    inside[group] = True
    light = inside[graph.i] & inside[graph.j]
    light &= households[graph.i] + households[graph.j] <= params.upper
    cut = UnitGraph(
        graph.n, graph.i[light], graph.j[light], graph.length[light], graph.barrier[light]
    )
    return components(graph.n, cut, group)


def cluster_cannot_fill(
    cluster: np.ndarray, households: np.ndarray, graph: UnitGraph, params: PartitionParams
) -> bool:
    """Whether the units of ``cluster`` cannot all lie in grids in band (then one grid is out).

    Grids in band lie within one cluster each (:func:`band_clusters`), so if every unit
    of the cluster were in a grid in band, those grids would split the cluster into
    connected groups in band. Proven impossible by the households alone
    (:func:`fewest_out_of_band`, no grid count with its mean in band, up to
    ``MAX_UNITS`` units) or by the flow programme on the cluster's adjacency (up to
    ``MAX_LAYOUT_UNITS`` units, ``LAYOUT_NODES`` nodes per grid count); undecided is False.

    Examples
    --------
    >>> from gis.partition.params import PartitionParams
    >>> h = np.array([150, 150, 150])  # a triangle: two make a grid, the third is left over
    >>> g = UnitGraph(3, np.array([0, 0, 1]), np.array([1, 2, 2]), np.ones(3), np.zeros(3))
    >>> cluster_cannot_fill(np.arange(3), h, g, PartitionParams())
    True
    """
    hh = households[cluster]
    if hh.sum() <= 0:
        return False
    if len(cluster) == 1:
        return not params.lower <= hh[0] <= params.upper
    bound = fewest_out_of_band(hh, params.lower, params.upper)
    if bound.grids_out > 0:
        return True
    if not bound.proven or len(cluster) > MAX_LAYOUT_UNITS:
        return False
    for k in band_counts(float(hh.sum()), params.lower, params.upper):
        drawable = band_drawable(cluster, households, graph, k, params, node_limit=LAYOUT_NODES)
        if drawable.possible is not False:
            return False
    return True
