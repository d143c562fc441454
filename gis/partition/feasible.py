"""Whether whole units can fill grids within the band at all: a bound for lumpy communities.

A community made of a few whole compounds of 150–340 households may leave no way to put
every grid in the band: seven units of 219–334 households for seven grids cannot give the
219 one a partner (219 + 255 > 345) nor reach 255 alone. Ignoring contiguity and the
position of the units is a relaxation of the partition problem: if no grouping of the
households into ``k`` grids puts every grid in the band, no contiguous one does either.

:func:`fewest_out_of_band` computes, by an integer programme (HiGHS through
:func:`scipy.optimize.milp`), the fewest grids out of band any grouping of the units into
``k`` grids must have, for every ``k`` whose mean lies in the band. That minimum is a lower
bound for the partitioner: grids out of band up to that number are forced by the units'
sizes, and any beyond it are the search's own failure.

Examples
--------
>>> bound = fewest_out_of_band([219, 261, 275, 290, 301, 320, 334], 255, 345)
>>> bound.grids_out, bound.counts
(1, (6, 7))
>>> fewest_out_of_band([150, 150, 300, 300], 255, 345).grids_out
0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

MAX_UNITS = 40  # larger groups are left unproven: the programme grows as units × grids
NODE_LIMIT = 2_000  # per grid count: a work limit, so a busy machine gives the same bound
SAFETY_TIME_S = 30.0  # a safety net only; on either limit the dual bound is used (still sound)


@dataclass(frozen=True)
class BandBound:
    """The fewest grids out of band that whole units allow.

    Attributes
    ----------
    grids_out : int
        Lower bound on the grids out of band, over every grid count in ``counts``
        (0: some grouping puts every grid in the band; unknown groups give 0; 1 when no
        grid count puts the mean in the band).
    counts : tuple of int
        The grid counts considered: those whose mean households lie in the band (for any
        other count, some grid is out of band).
    best_count : int or None
        A grid count reaching ``grids_out`` when it was solved exactly, else None.
    grouping : ndarray of int or None
        For ``best_count``: the grid (0…k-1) of each unit in a grouping that reaches the
        bound, contiguity ignored; a seed for the search.
    proven : bool
        Whether the bound was found (False: too many units, or nothing in the band).
    """

    grids_out: int
    counts: tuple[int, ...]
    best_count: int | None = None
    grouping: np.ndarray | None = None
    proven: bool = False


def band_counts(total: float, lower: float, upper: float) -> tuple[int, ...]:
    """Grid counts ``k`` whose mean ``total / k`` lies in ``[lower, upper]``.

    Examples
    --------
    >>> band_counts(2000, 255, 345)
    (6, 7)
    """
    if total <= 0:
        return ()
    return tuple(range(max(1, math.ceil(total / upper)), math.floor(total / lower) + 1))


def fewest_out_of_band(
    households, lower: float, upper: float, *, max_units: int = MAX_UNITS
) -> BandBound:  # noqa: ANN001
    """Fewest grids out of ``[lower, upper]`` any grouping of whole units must leave.

    Parameters
    ----------
    households : array-like of int
        Households of each unit (units without households are left out: they can join any
        grid). Every unit is indivisible.
    lower, upper : float
        The band, in households.
    max_units : int
        Groups with more units with households than this are not solved (``proven``
        False, ``grids_out`` 0): a bound must never claim what it has not shown.

    Returns
    -------
    BandBound
        The bound, the smallest over the grid counts whose mean lies in the band.
    """
    h = np.asarray(households, dtype=float)
    counts = band_counts(float(h.sum()), lower, upper)
    units = np.flatnonzero(h > 0)
    if not counts and h.sum() > 0:
        # no k puts the mean in band: for every k some grid holds at most (or at least) it
        return BandBound(1, counts, proven=True)
    if len(units) > max_units:
        return BandBound(0, counts)
    best: BandBound | None = None
    for k in counts:
        out, grouping = _fewest_for_count(h[units], k, lower, upper)
        if best is None or out < best.grids_out:
            full = None
            if grouping is not None:
                full = np.full(len(h), -1, dtype=int)
                full[units] = grouping
            best = BandBound(out, counts, k if grouping is not None else None, full, True)
        if best.grids_out == 0:
            break
    assert best is not None
    return best


def _fewest_for_count(h: np.ndarray, k: int, lower: float, upper: float):  # noqa: ANN202
    """(lower bound on grids out of band with ``k`` grids, grouping if solved exactly).

    Variables: ``x[u, b]`` (unit u in grid b) and ``y[b]`` (grid b in band); maximise
    Σ y. A grid with ``y[b] = 1`` holds between ``lower`` and ``upper`` households; a grid
    out of band is unconstrained. Symmetry among grids is broken by giving unit ``u`` (units
    sorted by size, largest first) a grid numbered ``u`` at most: any grouping can be
    renumbered so, by its units' first members.
    """
    n = len(h)
    order = np.argsort(-h, kind="stable")
    hs = h[order]
    nx = n * k
    big = float(hs.sum())
    c = np.concatenate([np.zeros(nx), -np.ones(k)])
    rows: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []
    for u in range(n):  # every unit in one grid
        row = np.zeros(nx + k)
        row[u * k : (u + 1) * k] = 1
        rows.append(row)
        lo.append(1)
        hi.append(1)
    for b in range(k):  # in band if y[b]: Σ h x - lower y >= 0 and Σ h x + big y <= upper + big
        load = np.zeros(nx + k)
        load[np.arange(n) * k + b] = hs
        row = load.copy()
        row[nx + b] = -lower
        rows.append(row)
        lo.append(0)
        hi.append(np.inf)
        row = load.copy()
        row[nx + b] = big
        rows.append(row)
        lo.append(-np.inf)
        hi.append(upper + big)
    upper_x = np.ones(nx + k)
    for u in range(n):
        upper_x[u * k + min(u, k - 1) + 1 : (u + 1) * k] = 0
    res = milp(
        c,
        constraints=LinearConstraint(np.array(rows), lo, hi),
        integrality=np.ones(nx + k),
        bounds=Bounds(np.zeros(nx + k), upper_x),
        options={"node_limit": NODE_LIMIT, "time_limit": SAFETY_TIME_S},
    )
    if res.status == 0 and res.x is not None:
        in_band = int(round(-res.fun))
        x = np.round(res.x[:nx]).reshape(n, k)
        grouping = np.empty(n, dtype=int)
        grouping[order] = x.argmax(axis=1)
        return k - in_band, grouping
    # stopped at a limit: the dual bound caps the grids in band, so the bound holds
    dual = getattr(res, "mip_dual_bound", None)
    if dual is None or not np.isfinite(dual):
        return 0, None
    return max(0, k - math.floor(-dual + 1e-6)), None
