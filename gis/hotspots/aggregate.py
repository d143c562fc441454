"""Counts and rates of incidents per H3 cell, for a choropleth: the heat-map layer's data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.errors import SchemaError
from gis.hotspots.cells import cells_frame, count_cells, from_h3_strings
from gis.hotspots.incidents import in_window

__all__ = ["aggregate", "rates"]


def aggregate(
    incidents: gpd.GeoDataFrame,
    resolution: int,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    categories: Sequence[str] = (),
    time_field: str = "reported_at",
    category_field: str = "category",
    denominator: pd.Series | None = None,
    per: float = 100.0,
) -> gpd.GeoDataFrame:
    """Incidents per H3 cell, optionally in a time window, of some categories, as rates.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Points in EPSG:4326 (polygons count at their centroid) with, when filtering,
        a datetime column ``time_field`` and a text column ``category_field``, as
        :func:`gis.hotspots.incidents.prepare_incidents` returns them.
    resolution : int
        H3 resolution (see :func:`gis.hotspots.cells.resolution_for_zoom`).
    start, end : datetime.date or datetime.datetime, optional
        Window, both ends included (a date covers its whole day, see
        :func:`gis.hotspots.incidents.in_window`); incidents without a time are left out
        when a window is given.
    categories : sequence of str
        Keep only these exact category values; all when empty.
    time_field, category_field : str
        Column names.
    denominator : pandas.Series, optional
        Per-cell denominator (e.g. households, from ``count_cells(buildings, res,
        weights=buildings.households)``), indexed by cell (``uint64`` or hex string).
    per : float, default 100.0
        Rates are incidents per ``per`` units of the denominator.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per cell holding an incident, sorted by cell: ``h3``,
        ``count``; with a denominator also ``denominator`` and ``rate`` (NaN where the
        denominator is 0 or unknown); hexagon ``geometry``.
    """
    keep = np.ones(len(incidents), dtype=bool)
    if start is not None or end is not None:
        _require(incidents, time_field)
        keep &= in_window(incidents[time_field], start, end)
    if categories:
        _require(incidents, category_field)
        keep &= incidents[category_field].isin(list(categories)).to_numpy()
    selected = incidents.loc[keep]
    if selected.empty:
        return cells_frame(pd.DataFrame({"count": pd.Series(dtype=np.int64)}))
    counts = count_cells(selected, resolution)
    table = counts.to_frame() if denominator is None else rates(counts, denominator, per=per)
    return cells_frame(table)


def rates(counts: pd.Series, denominator: pd.Series, *, per: float = 100.0) -> pd.DataFrame:
    """Counts, denominator and rate (``count / denominator · per``) per cell.

    Parameters
    ----------
    counts, denominator : pandas.Series
        Indexed by cell (``uint64`` or hex string); cells missing from ``denominator``
        get NaN.
    per : float, default 100.0
        E.g. 100 for incidents per 100 households.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``counts`` (``uint64``), columns ``count``, ``denominator``,
        ``rate``; the rate is NaN where the denominator is 0 or missing.
    """
    index = pd.Index(from_h3_strings(counts.index), name="cell")
    base = pd.Series(denominator.to_numpy(dtype=float), index=from_h3_strings(denominator.index))
    base = base.groupby(level=0).sum().reindex(index)
    rate = counts.to_numpy() / base.where(base > 0).to_numpy() * per
    return pd.DataFrame(
        {"count": counts.to_numpy(), "denominator": base.to_numpy(), "rate": rate}, index=index
    )


def _require(frame: pd.DataFrame, column: str) -> None:
    if column not in frame.columns:
        raise SchemaError(
            f"incidents have no column {column!r} to filter on",
            fix="the columns are: " + ", ".join(map(str, frame.columns)),
        )
