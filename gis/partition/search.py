"""The pieces of the assignment objective: grid counts, balance, components.

Pure functions on arrays: no geometry here. The search (:mod:`gis.partition.treepart`
for a balanced contiguous start, :mod:`gis.partition.recom` and
:mod:`gis.partition.local_search` to improve it) minimises

    Σ_g balance(h_g) + w_cut · cut length / L + w_bar · main road inside grids / L
    + w_split · extra grids per split compound,

where balance is the squared relative deviation from the target, with a steep wall
outside the band, and L is the side of a typical grid (√(area / grids)).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gis.partition.params import PartitionParams
from gis.partition.units import UnitGraph

_WALL = 50.0  # weight of the squared excess outside the band

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
    """Grid counts worth trying: the best one, then the other neighbour of H/target.

    The second is offered only when its mean households also fall in the band.

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
    """Squared relative deviation from the target, plus a steep wall outside the band.

    The wall alone is soft at the band's edge (347 households against an upper bound of
    345 cost 0.006, less than the boundary length one unit move saves), so a grid outside
    also pays ``params.out_of_band_cost`` (0 unless set; the restarts after a first run
    that left grids out of band set it).
    """
    d = (h - params.target) / params.target
    excess = max(0.0, abs(d) - 0.97 * params.tolerance)
    step = params.out_of_band_cost if h < params.lower or h > params.upper else 0.0
    return d * d + _WALL * excess * excess + step


def balance_penalties(h: np.ndarray, params: PartitionParams) -> np.ndarray:
    """:func:`balance_penalty` of every value of ``h``, element by element (the same floats)."""
    d = (h - params.target) / params.target
    excess = np.maximum(0.0, np.abs(d) - 0.97 * params.tolerance)
    out = (h < params.lower) | (h > params.upper)
    step = np.where(out, params.out_of_band_cost, 0.0)
    return d * d + _WALL * excess * excess + step


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
