"""Assigning units to grids: grid counts, a balanced contiguous start, and local search.

Pure functions on arrays: no geometry here. The start is METIS (pymetis, contiguous
partitioning) on the unit graph with households as vertex weights and shared boundary
length as edge weights (cheap across main roads, dear inside a split compound). Local
search then moves boundary units between neighbouring grids, keeping every grid in one
piece, under simulated annealing that ends greedy; it minimises

    Σ_g balance(h_g) + w_cut · cut length / L + w_bar · main road inside grids / L
    + w_split · extra grids per split compound,

where balance is the squared relative deviation from the target, with a steep wall
outside the band, and L is the side of a typical grid (√(area / grids)).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass, field

import numpy as np
import pymetis
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gis.partition.params import PartitionParams
from gis.partition.units import UnitGraph

_WALL = 50.0  # weight of the squared excess outside the band
_BARRIER_CUT_FACTOR = 0.1  # METIS edge weight factor along main roads
_COMPOUND_CUT_FACTOR = 4.0  # METIS edge weight factor inside a split compound

OVERSIZED = "oversized_building"
SMALL_COMMUNITY = "small_community"
SMALL_PART = "small_part"
NO_HOUSEHOLDS = "no_households"


@dataclass
class Assignment:
    """Grid label per unit (0…k-1) and the flags of special grids."""

    labels: np.ndarray
    flags: dict[int, list[str]] = field(default_factory=dict)


def choose_grid_count(households: float, params: PartitionParams) -> int:
    """Number of grids for ``households``: the k whose mean is closest to the target.

    Ties go to fewer grids. At least 1.

    Examples
    --------
    >>> choose_grid_count(3000, PartitionParams())
    10
    >>> choose_grid_count(400, PartitionParams())
    1
    """
    if households <= 0:
        return 1
    base = households / params.target
    candidates = {max(1, math.floor(base)), max(1, math.ceil(base))}
    return min(candidates, key=lambda k: (abs(households / k - params.target), k))


def grid_count_options(households: float, params: PartitionParams) -> list[int]:
    """Grid counts worth trying: the best one, then the other neighbour of H/target if its
    mean households also fall in the band.

    Examples
    --------
    >>> grid_count_options(4359, PartitionParams())
    [15, 14]
    """
    best = choose_grid_count(households, params)
    options = [best]
    for k in (best - 1, best + 1):
        if k >= 1 and params.lower <= households / k <= params.upper:
            options.append(k)
    return sorted(options, key=lambda k: (abs(households / k - params.target), k))[:2]


def balance_penalty(h: float, params: PartitionParams) -> float:
    """Squared relative deviation from the target, plus a steep wall outside the band."""
    d = (h - params.target) / params.target
    excess = max(0.0, abs(d) - 0.97 * params.tolerance)
    return d * d + _WALL * excess * excess


def components(n: int, graph: UnitGraph, members: np.ndarray) -> list[np.ndarray]:
    """Connected components among the units in ``members`` (indices into 0…n-1)."""
    keep = np.zeros(n, dtype=bool)
    keep[members] = True
    mask = keep[graph.i] & keep[graph.j]
    adj = coo_matrix((np.ones(mask.sum()), (graph.i[mask], graph.j[mask])), shape=(n, n)).tocsr()
    _, comp = connected_components(adj, directed=False)
    groups: dict[int, list[int]] = defaultdict(list)
    for u in members:
        groups[int(comp[u])].append(int(u))
    return [np.array(sorted(g)) for g in sorted(groups.values(), key=min)]


def _csr(units: np.ndarray, graph: UnitGraph, compound: np.ndarray):  # noqa: ANN202
    """METIS arrays (xadj, adjncy, eweights) of the subgraph on ``units``."""
    local = {int(u): i for i, u in enumerate(units)}
    rows: list[list[tuple[int, int]]] = [[] for _ in units]
    for a, b, length, bar in zip(graph.i, graph.j, graph.length, graph.barrier, strict=True):
        if a in local and b in local:
            factor = _BARRIER_CUT_FACTOR if bar > 0.5 * length else 1.0
            if compound[a] is not None and compound[a] == compound[b]:
                factor *= _COMPOUND_CUT_FACTOR
            w = max(1, round(length * factor))
            rows[local[a]].append((local[b], w))
            rows[local[b]].append((local[a], w))
    xadj, adjncy, eweights = [0], [], []
    for row in rows:
        for v, w in row:
            adjncy.append(v)
            eweights.append(w)
        xadj.append(len(adjncy))
    return xadj, adjncy, eweights


def _metis(units, households, graph, compound, k, seed) -> np.ndarray:  # noqa: ANN001
    xadj, adjncy, eweights = _csr(units, graph, compound)
    vweights = [max(1, int(h)) for h in households[units]]
    for contig in (True, False):
        options = pymetis.Options(seed=seed, contig=contig, ufactor=30)
        try:
            _, parts = pymetis.part_graph(
                k, xadj=xadj, adjncy=adjncy, vweights=vweights, eweights=eweights,
                options=options,
            )  # fmt: skip
            break
        except RuntimeError:
            continue
    _, labels = np.unique(np.asarray(parts), return_inverse=True)
    return labels


def metis_start(
    units: np.ndarray,
    households: np.ndarray,
    graph: UnitGraph,
    compound: np.ndarray,
    k: int,
    seed: int,
) -> np.ndarray:
    """A balanced contiguous k-way split of one connected component, by METIS.

    METIS with the contiguity option sometimes leaves parts empty; the heaviest part is
    then bisected again until there are ``k`` (or as many as units allow).

    Returns
    -------
    ndarray of int
        A label 0…k-1 per unit of ``units``.
    """
    k = min(k, len(units))
    if k <= 1:
        return np.zeros(len(units), dtype=int)
    labels = _metis(units, households, graph, compound, k, seed)
    labels = make_contiguous(units, labels, graph)
    while labels.max() + 1 < k:
        weight = np.bincount(labels, weights=households[units])
        sizes = np.bincount(labels)
        weight[sizes < 2] = -1
        heavy = int(np.argmax(weight))
        if weight[heavy] < 0:
            break
        members = np.flatnonzero(labels == heavy)
        halves = _metis(units[members], households, graph, compound, 2, seed)
        labels[members[halves == 1]] = labels.max() + 1
        labels = make_contiguous(units, labels, graph)
    return labels


def make_contiguous(units: np.ndarray, labels: np.ndarray, graph: UnitGraph) -> np.ndarray:
    """Give stray pieces of a grid to the neighbouring grid they share most boundary with.

    Each grid keeps its largest connected piece (by unit count); the other pieces join a
    neighbour, repeatedly, until every grid is in one piece. Labels are compacted to 0…k'-1.

    Parameters
    ----------
    units : ndarray of int
        The units labelled (one connected component of the unit graph).
    labels : ndarray of int
        Grid of each unit of ``units``.
    graph : UnitGraph
        Adjacency of all units.
    """
    labels = labels.copy()
    local = {int(u): i for i, u in enumerate(units)}
    nbrs: list[list[tuple[int, float]]] = [[] for _ in units]
    for a, b, length in zip(graph.i, graph.j, graph.length, strict=True):
        if a in local and b in local:
            nbrs[local[a]].append((local[b], length))
            nbrs[local[b]].append((local[a], length))
    while True:
        stray = _stray_pieces(labels, nbrs)
        if not stray:
            break
        for piece in stray:
            shared: dict[int, float] = defaultdict(float)
            for u in piece:
                for v, length in nbrs[u]:
                    if labels[v] != labels[u]:
                        shared[int(labels[v])] += length
            if shared:
                labels[piece] = max(sorted(shared), key=shared.get)
    _, labels = np.unique(labels, return_inverse=True)
    return labels


def _stray_pieces(labels: np.ndarray, nbrs: list[list[tuple[int, float]]]) -> list[list[int]]:
    """Pieces of grids that are not their grid's largest piece."""
    seen = np.zeros(len(labels), dtype=bool)
    pieces: dict[int, list[list[int]]] = defaultdict(list)
    for start in range(len(labels)):
        if seen[start]:
            continue
        piece, queue = [start], deque([start])
        seen[start] = True
        while queue:
            v = queue.popleft()
            for x, _ in nbrs[v]:
                if not seen[x] and labels[x] == labels[start]:
                    seen[x] = True
                    piece.append(x)
                    queue.append(x)
        pieces[int(labels[start])].append(piece)
    stray = []
    for group in pieces.values():
        group.sort(key=len, reverse=True)
        stray += group[1:]
    return stray
