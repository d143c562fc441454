"""Partitioning stored layers into a draft plan, and storing it in one transaction."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

import geopandas as gpd
import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api import models as m
from api.plans.layers import code_history, load_layers, require_households, select_communities
from api.plans.reading import get_plan
from gis.metrics import Band, partition_metrics
from gis.partition import GridPartitioner, PartitionParams


def create_draft(
    engine: Engine,
    *,
    communities: Iterable[str] | None = None,
    params: PartitionParams | None = None,
    seed: int = 0,
    roads: gpd.GeoDataFrame | None = None,
    roads_source: str | None = None,
    name: str | None = None,
    note: str | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Partition stored communities and store the result as a draft plan.

    Parameters
    ----------
    engine : Engine
        The database.
    communities : iterable of str, optional
        12-digit codes; every stored community when not given.
    params : PartitionParams, optional
        Target households and tolerance (default 300 ± 15%).
    seed : int
        Seed of the partitioner: same data and seed, same grids.
    roads : GeoDataFrame, optional
        Road lines with a boolean ``main`` column; ``roads_source`` names them in the plan.
    name, note : str, optional
        A name for the plan (a default is made) and a free note.
    jobs : int
        Worker processes of the partitioner.
    progress : callable, optional
        ``progress(done, total)`` after each community.

    Returns
    -------
    dict
        The new draft's summary (see :func:`get_plan`). Grids, building assignments and
        metrics are stored in one transaction.

    Raises
    ------
    InputError, NotFoundError
        No communities, unknown codes, or communities without households.
    """
    params = params or PartitionParams()
    with engine.connect() as conn:
        codes = select_communities(conn, communities)
        layers = load_layers(conn, codes)
        previous, used = code_history(conn, codes)
    require_households(layers)
    solver = GridPartitioner(params, rng=np.random.default_rng(seed), jobs=jobs)
    result = solver.solve(
        layers.communities, layers.buildings, compounds=layers.compounds, roads=roads,
        previous=previous, used=used, progress=progress,
    )  # fmt: skip
    metrics = partition_metrics(
        result.grids, layers.communities, result.buildings,
        band=Band(params.target, params.tolerance), roads=roads, crs=result.crs,
        seconds=result.seconds["total"],
    )  # fmt: skip
    plan = {
        "name": name or f"{len(codes)} 个社区自动划分 {datetime.now():%Y-%m-%d %H:%M}",
        "status": "draft",
        "params": {"target": params.target, "tolerance": params.tolerance, "seed": seed,
                   "roads": roads_source},
        "metrics": _plain(metrics),
        "community_codes": codes,
        "note": note,
    }  # fmt: skip
    with engine.begin() as conn:
        plan_id = conn.execute(m.grid_plan.insert().values(**plan).returning(m.grid_plan.c.id))
        plan_id = plan_id.scalar_one()
        _store_grids(conn, plan_id, result.grids, result.buildings)
    return get_plan(engine, plan_id)


def _store_grids(
    conn: Connection, plan_id: int, grids: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> None:
    g = m.grid
    wkb = sa.bindparam("wkb", type_=sa.LargeBinary)
    geometry = sa.func.ST_Multi(sa.func.ST_GeomFromWKB(wkb, m.SRID))  # stored as MultiPolygon
    rows = [
        {
            "plan_id": plan_id, "code": code, "community_code": community, "seq": int(seq),
            "households": int(households), "buildings": int(count), "area_m2": float(area),
            "flags": flag or None, "wkb": wkb,
        }
        for code, community, seq, households, count, area, flag, wkb in zip(
            grids["grid_code"], grids["community_code"], grids["seq"], grids["households"],
            grids["buildings"], grids["area_m2"], grids["flag"],
            shapely.to_wkb(grids.geometry.to_crs(m.SRID).values), strict=True,
        )
    ]  # fmt: skip
    if not rows:
        return
    stmt = (
        g.insert()
        .values(geometry=geometry)
        .returning(g.c.id, g.c.code, sort_by_parameter_order=True)
    )
    ids = {code: gid for gid, code in conn.execute(stmt, rows)}
    placed = buildings[buildings["grid_code"].notna()]
    assignments = [
        {"plan_id": plan_id, "building_id": int(key), "grid_id": ids[code]}
        for key, code in zip(placed["key"], placed["grid_code"], strict=True)
    ]
    if assignments:
        conn.execute(m.grid_assignment.insert(), assignments)


def _plain(value: object) -> object:
    """``value`` made JSON-ready: numpy scalars to Python, NaN and ±inf to None."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
