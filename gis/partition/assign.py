"""From units to grids: special grids first, then METIS and local search per component."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gis.partition.blocks import road_blocks
from gis.partition.forced import flag_forced
from gis.partition.local_search import LocalSearch
from gis.partition.params import PartitionParams
from gis.partition.recom import Recombiner
from gis.partition.repair import repair_far_grids
from gis.partition.search import (
    NO_HOUSEHOLDS,
    OVERSIZED,
    SMALL_COMMUNITY,
    SMALL_PART,
    Assignment,
    balance_penalty,
    components,
    grid_count_options,
)
from gis.partition.treepart import tree_start
from gis.partition.units import UnitGraph, Units

ROAD_THROUGH_M = 20.0  # main road inside a grid beyond this runs through it (as in metrics)


def assign_units(
    units: Units,
    graph: UnitGraph,
    area_m2: float,
    params: PartitionParams,
    rng: np.random.Generator,
) -> Assignment:
    """Best of several independent runs of :func:`assign_once`, fewest grids out of band first.

    Runs stop as soon as one puts every regular grid in the band; each run draws its own
    stream from ``rng``, so the result depends on ``rng`` alone. The runs after the first
    charge ``params.retry_out_of_band_cost`` per grid out of band, so the extra effort
    and the compactness it costs go only to communities the first run left out of band.
    If the best run leaves a grid with a main road running through it, runs with the
    main-road weight raised by ``params.barrier_retry_factors`` follow, and one is kept
    when it has fewer such grids and no more grids out of band. Grids still out of band
    are flagged when the units provably force them
    (:func:`gis.partition.forced.flag_forced`), only as many as the proof shows; an
    unflagged grid still beyond ±25% is then drawn again with its neighbours when they
    can all come within ±25% (:func:`gis.partition.repair.repair_far_grids`).
    """
    best, best_key = None, None
    retry = replace(
        params, out_of_band_cost=max(params.out_of_band_cost, params.retry_out_of_band_cost)
    )
    for attempt, stream in enumerate(rng.spawn(params.restarts)):
        run_params = params if attempt == 0 else retry
        result = assign_once(units, graph, area_m2, run_params, stream, alternative=attempt % 2)
        key = _quality(result, units, graph, area_m2, params)
        if best_key is None or key < best_key:
            best, best_key = result, key
        if key[0] == 0:
            break
    assert best is not None and best_key is not None  # restarts ≥ 1
    best = _fewer_crossings(best, best_key[0], units, graph, area_m2, retry, rng)
    if _quality(best, units, graph, area_m2, params)[0] > 0:
        best = flag_forced(best, units.households, graph, params)
        best = repair_far_grids(best, units.households, graph, params)
    return best


def _fewer_crossings(best, out, units, graph, area_m2, params, rng) -> Assignment:  # noqa: ANN001
    """Runs with a heavier main-road weight, while the best still has a road through a grid.

    The default weight lets a grid keep a main road inside it when that buys balance or
    a shorter boundary; where a drawing without it exists at no cost in balance, these
    runs find it. Each draws its own stream from ``rng`` after the restarts.
    """
    crossed = road_through(best.labels, graph)
    if crossed == 0:
        return best
    for factor, stream in zip(
        params.barrier_retry_factors, rng.spawn(len(params.barrier_retry_factors)), strict=True
    ):
        heavy = replace(params, barrier_weight=params.barrier_weight * factor)
        result = assign_once(units, graph, area_m2, heavy, stream)
        result_out = _quality(result, units, graph, area_m2, params)[0]
        result_crossed = road_through(result.labels, graph)
        if result_out <= out and result_crossed < crossed:
            best, out, crossed = result, result_out, result_crossed
        if crossed == 0:
            break
    return best


def road_through(labels: np.ndarray, graph: UnitGraph) -> int:
    """Grids with more than ``ROAD_THROUGH_M`` of main road between their own units.

    The unit-graph counterpart of :func:`gis.metrics.grids_crossing_main_roads` (metres).
    """
    same = labels[graph.i] == labels[graph.j]
    inside = np.bincount(labels[graph.i][same], weights=graph.barrier[same])
    return int((inside > ROAD_THROUGH_M).sum())


def _quality(result: Assignment, units: Units, graph: UnitGraph, area_m2: float, params):  # noqa: ANN001, ANN202
    """(regular grids out of band, objective) of an assignment; lower is better."""
    labels = result.labels
    h = np.bincount(labels, weights=units.households)
    regular = np.array([g not in result.flags for g in range(len(h))])
    out = int(((h < params.lower) | (h > params.upper))[regular].sum())
    side = float(np.sqrt(area_m2 / max(1, len(h))))
    differ = labels[graph.i] != labels[graph.j]
    score = sum(balance_penalty(x, params) for x in h[regular])
    score += params.cut_weight / side * graph.length[differ].sum()
    score += params.barrier_weight / side * graph.barrier[~differ].sum()
    return out, score


def assign_once(
    units: Units,
    graph: UnitGraph,
    area_m2: float,
    params: PartitionParams,
    rng: np.random.Generator,
    alternative: int = 0,
) -> Assignment:
    """Assign every unit of one community to a grid.

    Rules, in order: a unit above the band's upper bound (a single large building, since
    compounds that large are split by building) is a grid of its own, flagged
    ``oversized_building``; the remaining units fall into connected components; a
    component without households joins a neighbouring oversized grid if it has one; a
    component with fewer households than the band's lower bound is one grid, flagged
    (``small_community`` when it is the whole community); any other component gets the
    grid count closest to the target, a METIS start and local search.

    Parameters
    ----------
    units : Units
        Units with households and regions (metric CRS).
    graph : UnitGraph
        Their adjacency.
    area_m2 : float
        Area of the community, m², to scale boundary lengths.
    params : PartitionParams
        Target, band and weights.
    rng : numpy.random.Generator
        The only source of randomness.
    alternative : int
        Which of the grid counts whose mean falls in the band to use (0 = the closest to
        the target); lumpy high-rise communities sometimes fit only the other.
    """
    n = len(units)
    labels = np.full(n, -1, dtype=int)
    movable = np.zeros(n, dtype=bool)
    flags: dict[int, list[str]] = {}
    forced = np.flatnonzero(units.households > params.upper)
    for u in forced:
        flags[len(flags)] = [OVERSIZED]
        labels[u] = len(flags) - 1
    rest = np.setdiff1d(np.arange(n), forced)
    groups = components(n, graph, rest) if len(rest) else []
    nbrs = graph.neighbours()
    whole = len(forced) == 0 and len(groups) == 1
    groups = [
        block for group in groups for block in road_blocks(group, graph, units.households, params)
    ]
    next_label = len(flags)
    for group in groups:
        total = float(units.households[group].sum())
        if total == 0 and _join_neighbour(group, labels, nbrs, forced):
            continue
        if total < params.lower:
            flag = NO_HOUSEHOLDS if total == 0 else SMALL_COMMUNITY if whole else SMALL_PART
            labels[group] = next_label
            flags[next_label] = [flag]
            next_label += 1
            continue
        options = grid_count_options(total, params)
        k = options[alternative % len(options)]
        start = tree_start(group, units.households, graph, k, params, rng)
        labels[group] = start + next_label
        movable[group] = True
        next_label += int(start.max()) + 1
    side = float(np.sqrt(area_m2 / max(1, next_label)))
    recombiner = Recombiner(graph, units.households, units.compound, side, params, rng)
    labels = recombiner.run(labels, movable)
    search = LocalSearch(labels, units.households, nbrs, units.compound, movable, side, params, rng)
    best = search.run()
    _, compact = np.unique(best, return_inverse=True)
    return Assignment(compact, _relabel_flags(flags, best, compact))


def _join_neighbour(group, labels, nbrs, forced) -> bool:  # noqa: ANN001
    """Attach a household-free component to the oversized grid it shares most edge with."""
    shared: dict[int, float] = {}
    oversized = set(forced.tolist())
    for u in group:
        for v, length, _ in nbrs[u]:
            if v in oversized:
                shared[int(labels[v])] = shared.get(int(labels[v]), 0.0) + length
    if not shared:
        return False
    labels[group] = max(sorted(shared), key=lambda g: shared[g])
    return True


def _relabel_flags(flags, before, after) -> dict[int, list[str]]:  # noqa: ANN001
    mapping = {int(b): int(a) for b, a in zip(before, after, strict=True)}
    return {mapping[g]: f for g, f in flags.items() if g in mapping}
