"""Emerging hotspots: Gi* per period plus a Mann–Kendall trend of each cell's z-scores.

A simplified version of ArcGIS's *Emerging Hot Spot Analysis*. Incidents are counted per
H3 cell and period (a week or a month) on one study area for all periods (see
:mod:`gis.hotspots.area`); Gi* (:func:`gis.hotspots.gistar.gi_star`, FDR within each
period) says in which periods a cell is a significant hotspot (``gi_z > 0`` and
``gi_p_fdr <= 0.10``, any "hot" class); a Mann–Kendall test on the cell's series of
z-scores says whether its hotness rises or falls. A period without any incident, or in
which every cell holds the same count, gives every cell ``z = 0`` and no hotspot.

Categories, checked in this order (``share`` is the fraction of periods hot, ``final``
whether the last period is hot, ``trend`` the MK result at ``trend_alpha``):

==============  =====================================================================
not a hotspot   never hot
new             hot in the final period and in no earlier one
intensifying    ``share >= 0.9``, final hot, z-scores increasing
diminishing     ``share >= 0.9``, z-scores decreasing
persistent      ``share >= 0.9``, otherwise (no significant trend)
sporadic        hot in some periods, on and off, fitting none of the above
==============  =====================================================================

Simplifications against ArcGIS: cold spots get no categories of their own (they are
"not a hotspot"), and ArcGIS's *consecutive*, *oscillating* and *historical* hotspots
are all *sporadic* here.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from gis.errors import InputError
from gis.hotspots.area import contiguity_weights, study_cells
from gis.hotspots.cells import cell_ids, cells_frame
from gis.hotspots.gistar import gi_star
from gis.hotspots.trend import MannKendall, mann_kendall

__all__ = ["EMERGING_CATEGORIES", "classify_emerging", "emerging_hotspots", "period_counts"]

EMERGING_CATEGORIES = (
    "new", "intensifying", "persistent", "diminishing", "sporadic", "not a hotspot"
)  # fmt: skip
PERSISTENT_SHARE = 0.9
HOT_LEVEL = 0.10


def period_counts(
    incidents: gpd.GeoDataFrame,
    resolution: int,
    *,
    freq: Literal["W", "M"] = "W",
    time_field: str = "reported_at",
) -> pd.DataFrame:
    """Incidents per H3 cell and period.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Points in EPSG:4326 with a datetime column ``time_field`` (e.g. from
        :func:`gis.hotspots.incidents.prepare_incidents`); rows without a time are
        ignored.
    resolution : int
        H3 resolution.
    freq : {"W", "M"}
        Weeks (Monday to Sunday) or calendar months.
    time_field : str, default "reported_at"

    Returns
    -------
    pandas.DataFrame
        Counts (int64), one row per cell holding an incident (``uint64`` index, sorted),
        one column per period (``pandas.Period``) from the first to the last, empty
        periods included.
    """
    dated = incidents.loc[incidents[time_field].notna().to_numpy()]
    if dated.empty:
        raise InputError("no incident has a report time", fix="give --time-field")
    periods = pd.DatetimeIndex(dated[time_field]).to_period("W-SUN" if freq == "W" else "M")
    xy = dated.geometry.get_coordinates()
    cells = cell_ids(xy["x"].to_numpy(), xy["y"].to_numpy(), resolution)
    table = pd.crosstab(pd.Index(cells, name="cell"), pd.Index(periods, name="period"))
    span = pd.period_range(periods.min(), periods.max(), freq=periods.freq)
    return table.reindex(columns=span, fill_value=0).astype(np.int64)


def classify_emerging(
    hot: NDArray[np.bool_], trend: MannKendall, *, trend_alpha: float = 0.05
) -> NDArray[np.str_]:
    """Emerging-hotspot category of each cell from its hot periods and z-score trend.

    Parameters
    ----------
    hot : numpy.ndarray of bool, shape (cells, periods)
        Whether the cell is a significant hotspot in each period, in time order.
    trend : MannKendall
        Mann–Kendall results of each cell's z-scores.
    trend_alpha : float, default 0.05
        Two-sided level of the trend test.

    Returns
    -------
    numpy.ndarray of str
        One of :data:`EMERGING_CATEGORIES` per cell (see the module's table).
    """
    hot = np.asarray(hot, dtype=bool)
    direction = trend.trend(trend_alpha)
    share = hot.mean(axis=1)
    final = hot[:, -1]
    ever = hot.any(axis=1)
    earlier = hot[:, :-1].any(axis=1)
    mostly = share >= PERSISTENT_SHARE
    out = np.full(hot.shape[0], "not a hotspot", dtype=object)
    out[ever] = "sporadic"
    out[mostly] = "persistent"
    out[mostly & (direction == "decreasing")] = "diminishing"
    out[mostly & final & (direction == "increasing")] = "intensifying"
    out[final & ~earlier] = "new"
    return out.astype(str)


def emerging_hotspots(
    counts: pd.DataFrame,
    *,
    rng: np.random.Generator,
    ring: int = 1,
    boundary: BaseGeometry | None = None,
    permutations: int = 999,
    n_jobs: int = 1,
    trend_alpha: float = 0.05,
) -> gpd.GeoDataFrame:
    """Emerging-hotspot categories of H3 cells from incident counts per period.

    Parameters
    ----------
    counts : pandas.DataFrame
        Incidents per cell (``uint64`` index) and period (columns in time order, at
        least 3), e.g. from :func:`period_counts`.
    rng : numpy.random.Generator
        One permutation seed is drawn from it per period.
    ring, boundary
        Study area, as for :func:`gis.hotspots.gistar.hotspots`; the same for every
        period.
    permutations : int, default 999
        Gi* permutations per cell and period.
    n_jobs : int, default 1
        Worker processes for the permutations.
    trend_alpha : float, default 0.05
        Level of the Mann–Kendall test.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per study-area cell: ``h3``, ``count`` (all periods),
        ``hot_periods``, ``periods``, ``final_z`` (Gi* z of the last period),
        ``mk_tau``, ``mk_z``, ``mk_p`` (trend of the z-scores), ``category`` and the
        hexagon ``geometry``.
    """
    if counts.shape[1] < 3:
        raise InputError(
            f"{counts.shape[1]} periods: a trend needs at least 3",
            fix="use a longer time range or weeks instead of months",
        )
    observed = counts.index[counts.sum(axis=1).to_numpy() > 0]
    cells = study_cells(observed, ring=ring, boundary=boundary)
    table = counts.reindex(cells, fill_value=0).to_numpy(dtype=float)
    weights = contiguity_weights(cells)
    z = np.zeros(table.shape)
    hot = np.zeros(table.shape, dtype=bool)
    for t in range(table.shape[1]):
        if table[:, t].sum() == 0:
            continue
        result = gi_star(table[:, t], weights, rng=rng, permutations=permutations, n_jobs=n_jobs)
        z[:, t] = result.z
        hot[:, t] = (result.z > 0) & (result.p_fdr <= HOT_LEVEL)
    trend = mann_kendall(z)
    frame = pd.DataFrame(
        {
            "count": table.sum(axis=1).astype(np.int64),
            "hot_periods": hot.sum(axis=1),
            "periods": table.shape[1],
            "final_z": z[:, -1],
            "mk_tau": trend.tau,
            "mk_z": trend.z,
            "mk_p": trend.p,
            "category": classify_emerging(hot, trend, trend_alpha=trend_alpha),
        },
        index=pd.Index(cells, name="cell"),
    )
    return cells_frame(frame)
