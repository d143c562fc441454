"""Incidents for the heat-map page: their points, H3 counts, Gi* hotspots, emerging hotspots.

The database gives the points of the caller's scope and filter; the statistics are
:mod:`gis.hotspots`'. The study area of the hotspot statistics is the union of the
communities in scope (empty cells count as zeros there), so that a cell is hot against
its surroundings, not only against other cells that happen to hold incidents.
"""

from __future__ import annotations

import json
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Engine

from api import models as m
from api.auth.roles import Principal
from api.incidents.store import IncidentFilter, scope_condition
from gis.hotspots import cells_frame, count_cells, emerging_hotspots, hotspots, period_counts

#: Most incidents one statistics request reads; beyond it the caller narrows the filter.
MAX_POINTS = 2_000_000


def points(
    engine: Engine, wanted: IncidentFilter, principal: Principal, *, times: bool = False
) -> gpd.GeoDataFrame:
    """The incidents in scope matching ``wanted``: points (EPSG:4326), times if asked.

    The database sends the points as one MultiPoint in WKB and the times as one array, not
    row by row: a million incidents arrive in about a second instead of tens.
    """
    i = m.incident
    matching = (
        sa.select(i.c.id, i.c.location, i.c.reported_at)
        .where(scope_condition(principal), *wanted.where()).limit(MAX_POINTS).subquery()
    )  # fmt: skip
    order = matching.c.id
    # points and times must come in the same order; without times, any order (no sort)
    located = aggregate_order_by(matching.c.location, order) if times else matching.c.location
    columns = [sa.func.ST_AsBinary(sa.func.ST_Collect(located))]
    if times:
        epoch = sa.extract("epoch", matching.c.reported_at)
        columns.append(sa.func.array_agg(aggregate_order_by(epoch, order)))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        row = conn.execute(sa.select(*columns)).one()
    if row[0] is None:
        return gpd.GeoDataFrame({"reported_at": []}, geometry=[], crs="EPSG:4326")
    geometry = shapely.get_parts(shapely.from_wkb(bytes(row[0])))
    data = {}
    if times:
        data["reported_at"] = pd.to_datetime(np.asarray(row[1], dtype=float), unit="s", utc=True)
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")


def study_area(engine: Engine, principal: Principal) -> BaseGeometry | None:
    """The union of the communities in the caller's scope (EPSG:4326), if any."""
    c = m.community
    query = sa.select(sa.func.ST_AsBinary(sa.func.ST_Union(c.c.boundary)))
    if principal.scope is not None:
        query = query.where(c.c.code.startswith(principal.scope[:12], autoescape=True))
    with engine.connect() as conn:
        wkb = conn.execute(query).scalar_one()
    return None if wkb is None else shapely.from_wkb(bytes(wkb))


def _geojson(frame: gpd.GeoDataFrame) -> dict:
    return json.loads(frame.to_json(drop_id=True, to_wgs84=False))


def h3_counts(
    engine: Engine, wanted: IncidentFilter, principal: Principal, resolution: int
) -> dict:
    """Incidents per H3 cell as a GeoJSON FeatureCollection (``h3``, ``count``)."""
    incidents = points(engine, wanted, principal)
    counts = count_cells(incidents, resolution)
    if counts.empty:
        return {"type": "FeatureCollection", "features": [], "resolution": resolution}
    body = _geojson(cells_frame(counts))
    body["resolution"] = resolution
    return body


def hotspot_cells(
    engine: Engine, wanted: IncidentFilter, principal: Principal, resolution: int, *,
    permutations: int, seed: int,
) -> dict:  # fmt: skip
    """Gi* hot and cold spots on H3 cells as GeoJSON; study area: the communities in scope.

    Each feature carries ``h3``, ``count``, ``gi_z``, ``gi_p``, ``gi_p_fdr`` and
    ``hotspot_class``.
    """
    incidents = points(engine, wanted, principal)
    counts = count_cells(incidents, resolution)
    if counts.empty:
        return {"type": "FeatureCollection", "features": [], "resolution": resolution}
    cells = hotspots(
        counts, rng=np.random.default_rng(seed), boundary=study_area(engine, principal),
        permutations=permutations,
    )  # fmt: skip
    body = _geojson(cells)
    body.update(resolution=resolution, permutations=permutations, seed=seed)
    return body


def emerging_cells(
    engine: Engine, wanted: IncidentFilter, principal: Principal, resolution: int, *,
    freq: Literal["W", "M"], permutations: int, seed: int,
) -> dict:  # fmt: skip
    """Emerging-hotspot categories per H3 cell (Gi* per period + Mann–Kendall) as GeoJSON."""
    incidents = points(engine, wanted, principal, times=True)
    table = period_counts(incidents, resolution, freq=freq) if len(incidents) else pd.DataFrame()
    if table.empty or table.shape[1] < 3:
        return {
            "type": "FeatureCollection", "features": [], "resolution": resolution,
            "note": "fewer than 3 periods with incidents: widen the time range",
        }  # fmt: skip
    cells = emerging_hotspots(
        table, rng=np.random.default_rng(seed), boundary=study_area(engine, principal),
        permutations=permutations,
    )  # fmt: skip
    body = _geojson(cells)
    body.update(resolution=resolution, periods=[str(p) for p in table.columns])
    return body
