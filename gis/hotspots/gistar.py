"""Getis-Ord Gi* hot and cold spots on H3 cells, with permutation inference and FDR.

The statistic is PySAL's ``esda.G_Local(y, w, transform="B", star=True)``: for each cell
the sum of the counts in it and its edge neighbours, against the study area's total.
Inference is by conditional permutation (the other cells' values relabelled
``permutations`` times around each cell), not by the analytical normal approximation,
which counts with many zeros do not follow. The reported ``gi_z`` is the observed G*
standardised by the mean and standard deviation of its own permutation distribution
(esda's ``z_sim``), and ``gi_p`` its two-sided normal p-value (``2 · esda p_z_sim``).

Why not esda's pseudo p-value ``p_sim = (extreme + 1) / (P + 1)``: it cannot go below
``1 / (P + 1)``, and Benjamini–Hochberg calls the ``k`` smallest of ``m`` p-values
significant at level ``α`` only if they are at most ``k α / m``. On a city's thousands
of cells with ``P = 999``, a cluster needs dozens of cells at the floor before any
survives the correction, and none at all with the 99 permutations of a quick look; the
permutation z keeps the permutation reference distribution without the floor. The
pseudo p-value is kept in :attr:`GiStar.p_sim` for whoever wants it.

``gi_p_fdr`` is ``gi_p`` adjusted by Benjamini–Hochberg over all cells of the study
area, and the class comes from the sign of ``gi_z`` and ``gi_p_fdr``: at most 0.01 →
99%, 0.05 → 95%, 0.10 → 90%.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

from gis.errors import InputError
from gis.hotspots.area import contiguity_weights, study_cells
from gis.hotspots.cells import cells_frame, from_h3_strings
from gis.hotspots.fdr import bh_adjust

__all__ = ["HOTSPOT_CLASSES", "GiStar", "classify", "gi_star", "hotspots", "MIN_CELLS"]

HOTSPOT_CLASSES = (
    "hot 99%", "hot 95%", "hot 90%", "not significant", "cold 90%", "cold 95%", "cold 99%"
)  # fmt: skip
"""Every ``hotspot_class`` value, from hottest to coldest (the legend's order)."""

MIN_CELLS = 7
"""Fewest cells Gi* is run on: one cell and its ring."""

_LEVELS = ((0.01, "99%"), (0.05, "95%"), (0.10, "90%"))


@dataclass(frozen=True)
class GiStar:
    """Gi* results, one value per cell, in the order of the input values.

    Attributes
    ----------
    z : numpy.ndarray
        Gi* z-score against the permutation distribution (``esda.G_Local.z_sim``);
        positive: more incidents around the cell than the area's average.
    p : numpy.ndarray
        Two-sided p-value of ``z``, ``2 · esda p_z_sim``.
    p_fdr : numpy.ndarray
        ``p`` adjusted by Benjamini–Hochberg over the cells.
    hotspot_class : numpy.ndarray of str
        One of :data:`HOTSPOT_CLASSES`, from the sign of ``z`` and ``p_fdr``.
    p_sim : numpy.ndarray
        esda's pseudo p-value (folded, one-sided), floor ``1 / (permutations + 1)``.
    """

    z: NDArray[np.float64]
    p: NDArray[np.float64]
    p_fdr: NDArray[np.float64]
    hotspot_class: NDArray[np.str_]
    p_sim: NDArray[np.float64]


def gi_star(
    values: ArrayLike,
    weights: libpysal.weights.W,
    *,
    rng: np.random.Generator,
    permutations: int = 999,
    n_jobs: int = 1,
) -> GiStar:
    """Gi* with permutation inference and FDR classes for values on contiguous cells.

    Parameters
    ----------
    values : array_like
        One non-negative value per observation of ``weights`` (incident counts or
        rates per cell), zeros included; in the weights' ``id_order``.
    weights : libpysal.weights.W
        Binary contiguity weights, e.g. :func:`gis.hotspots.area.contiguity_weights`;
        Gi* adds each cell's own weight of 1.
    rng : numpy.random.Generator
        Source of the permutation seed (one integer drawn). esda seeds NumPy's global
        generator with it; the global state is restored afterwards.
    permutations : int, default 999
        Conditional permutations per cell, at least 19.
    n_jobs : int, default 1
        Worker processes for esda's permutations (joblib); results do not depend on it.

    Returns
    -------
    GiStar

    Raises
    ------
    gis.errors.InputError
        Fewer than :data:`MIN_CELLS` cells, negative values, all values zero, or too few
        permutations.
    """
    y = np.asarray(values, dtype=float).ravel()
    _check_inputs(y, weights, permutations)
    if np.ptp(y) == 0:  # no variation: Gi* is undefined, nothing stands out
        ones = np.ones(y.size)
        return GiStar(np.zeros(y.size), ones, ones, np.full(y.size, "not significant"), ones)
    seed = int(rng.integers(0, 2**31 - 1))
    state = np.random.get_state()
    try:
        with warnings.catch_warnings():
            # separate patches of cells (several neighbourhoods) are expected, not a problem
            warnings.filterwarnings("ignore", "The weights matrix is not fully connected")
            # esda's p_sim will become two-sided; gi_p comes from z_sim and does not change
            warnings.filterwarnings("ignore", "The alternative hypothesis", DeprecationWarning)
            warnings.filterwarnings("ignore", "`row_stack` alias", DeprecationWarning)
            local = esda.G_Local(
                y, weights, transform="B", star=True, permutations=permutations,
                n_jobs=n_jobs, seed=seed, keep_simulations=True,
            )  # fmt: skip
    finally:
        np.random.set_state(state)
    z = np.asarray(local.z_sim, dtype=float)
    p = np.minimum(1.0, 2.0 * np.asarray(local.p_z_sim, dtype=float))
    p_fdr = bh_adjust(p)
    classes = classify(z, p_fdr)
    return GiStar(z=z, p=p, p_fdr=p_fdr, hotspot_class=classes, p_sim=np.asarray(local.p_sim))


def classify(z: ArrayLike, p: ArrayLike) -> NDArray[np.str_]:
    """Hot/cold class at 99/95/90% from z's sign and a two-sided (adjusted) p-value.

    Examples
    --------
    >>> classify([3.1, -2.0, 0.5, 2.0], [0.004, 0.03, 0.6, 0.08]).tolist()
    ['hot 99%', 'cold 95%', 'not significant', 'hot 90%']
    """
    zs = np.asarray(z, dtype=float)
    ps = np.asarray(p, dtype=float)
    out = np.full(zs.shape, "not significant", dtype=object)
    for level, label in reversed(_LEVELS):  # strictest last, so it wins
        hit = ps <= level
        out[hit & (zs > 0)] = f"hot {label}"
        out[hit & (zs < 0)] = f"cold {label}"
    return out.astype(str)


def hotspots(
    counts: pd.Series,
    *,
    rng: np.random.Generator,
    ring: int = 1,
    boundary: BaseGeometry | None = None,
    permutations: int = 999,
    n_jobs: int = 1,
) -> gpd.GeoDataFrame:
    """Gi* hot and cold spots of incident counts on H3 cells, ready to draw or save.

    The study area is every cell of ``counts`` (zeros included), the ``ring`` fill
    around the cells with incidents and the cells of ``boundary`` (see
    :mod:`gis.hotspots.area`); cells not in ``counts`` count 0.

    Parameters
    ----------
    counts : pandas.Series
        Incidents (or a rate) per cell, indexed by H3 cell (``uint64`` or hex string),
        e.g. from :func:`gis.hotspots.cells.count_cells`.
    rng : numpy.random.Generator
        For the permutations, see :func:`gi_star`.
    ring : int, default 1
        Ring fill of the study area, in cells.
    boundary : shapely geometry, optional
        Area covered by the data, EPSG:4326.
    permutations : int, default 999
        Conditional permutations per cell.
    n_jobs : int, default 1
        Worker processes for the permutations.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per study-area cell sorted by cell, columns ``h3`` (hex
        string), ``count``, ``gi_z``, ``gi_p``, ``gi_p_fdr``, ``hotspot_class`` and the
        hexagon ``geometry``.
    """
    observed = (
        pd.Series(np.asarray(counts, dtype=float), index=from_h3_strings(counts.index))
        .groupby(level=0)
        .sum()
    )
    positive = observed.index[observed.to_numpy() > 0]
    cells = np.union1d(study_cells(positive, ring=ring, boundary=boundary), observed.index)
    y = observed.reindex(cells, fill_value=0.0).to_numpy()
    result = gi_star(
        y, contiguity_weights(cells), rng=rng, permutations=permutations, n_jobs=n_jobs
    )
    integral = np.allclose(y, np.round(y))
    table = pd.DataFrame(
        {
            "count": y.astype(np.int64) if integral else y,
            "gi_z": result.z,
            "gi_p": result.p,
            "gi_p_fdr": result.p_fdr,
            "hotspot_class": result.hotspot_class,
        },
        index=pd.Index(cells, name="cell"),
    )
    return cells_frame(table)


def _check_inputs(y: NDArray[np.float64], weights: libpysal.weights.W, permutations: int) -> None:
    if y.size != weights.n:
        raise ValueError(f"{y.size} values for {weights.n} cells")
    if y.size < MIN_CELLS:
        raise InputError(
            f"only {y.size} cells: Gi* needs at least {MIN_CELLS}",
            fix="use a finer resolution or more incidents",
        )
    if not np.isfinite(y).all() or (y < 0).any():
        raise InputError("values per cell must be finite and not negative")
    if y.sum() == 0:
        raise InputError("every cell is empty: no incidents to find hotspots in")
    if permutations < 19:
        raise InputError(
            f"{permutations} permutations are too few for a p-value of 0.05 or below",
            fix="use 99 for a quick look, 999 (default) or more",
        )
