"""Re-running the partition of a draft for its unlocked grids only.

In each community of the draft the locked grids keep their polygon, buildings and code;
the rest of the community (its *free land*, :func:`gis.locking.free_land`) and the
buildings not in a locked grid are partitioned again by :class:`gis.partition.GridPartitioner`,
given the free land as if it were the community. New grids keep the code of the unlocked
grid whose buildings they mostly hold (as a partition keeps the published codes) and
otherwise get sequence numbers no grid of the plan and no registered code has used.

The partition runs on a snapshot of the draft without holding a lock; the result replaces
the unlocked grids and their assignments in one transaction, only if the draft is still
at the version the re-run was asked on (else the conflict message of an edit).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api import models as m
from api.plans.checks import plan_row
from api.plans.drafts import _store_grids
from api.plans.editing import _metrics, require_draft_version
from api.plans.layers import LISTED, StoredLayers, as_wkb, load_layers, read_frame
from api.plans.reading import get_plan
from gis.crs import metric_crs
from gis.errors import InputError
from gis.locking import free_land, place_leftovers
from gis.partition import GridPartitioner, PartitionParams, PartitionResult


@dataclass(frozen=True)
class _Snapshot:
    """The draft as read before the re-run: its layers, grids and assignments."""

    plan: sa.Row
    layers: StoredLayers
    grids: gpd.GeoDataFrame  # id, code, community_code, seq, locked; EPSG:4326
    grid_of: pd.Series  # building id → grid id
    registered: dict[str, set[int]]  # community → sequences in the code registry


def rerun(
    engine: Engine,
    plan_id: int,
    version: int,
    *,
    target: int | None = None,
    tolerance: float | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Partition the unlocked rest of a draft again, keeping its locked grids as they are.

    Parameters
    ----------
    engine : Engine
        The database.
    plan_id : int
        The draft.
    version : int
        The plan version the planner saw; the re-run is refused (and its result not
        stored) if the draft is at another version.
    target, tolerance, seed : optional
        Households per grid, allowed relative deviation and seed; the plan's own by
        default. The plan's parameters are updated to those used.
    progress : callable, optional
        ``progress(done, total)`` after each community re-partitioned.

    Returns
    -------
    dict
        The draft's summary with its new version (see :func:`api.plans.get_plan`).

    Raises
    ------
    NotFoundError
        No such plan.
    ConflictError
        Not a draft, or the version changed (before or during the run).
    InputError
        A community with unlocked land but no households outside its locked grids.
    """
    with engine.connect() as conn:
        snap = _snapshot(conn, plan_id, version)
    old = snap.plan.params or {}
    params = PartitionParams(
        target=target if target is not None else int(old.get("target", 300)),
        tolerance=tolerance if tolerance is not None else float(old.get("tolerance", 0.15)),
    )
    seed = seed if seed is not None else int(old.get("seed", 0))
    communities, buildings, previous, used = _inputs(snap)
    result = None
    if len(communities):
        solver = GridPartitioner(params, rng=np.random.default_rng(seed), jobs=1)
        result = solver.solve(
            communities, buildings, compounds=snap.layers.compounds, previous=previous,
            used=used, progress=progress,
        )  # fmt: skip
        result = _placed(result)
    with engine.begin() as conn:
        plan = plan_row(conn, plan_id, lock=True)
        require_draft_version(plan, version)
        g = m.grid
        conn.execute(g.delete().where(g.c.plan_id == plan_id, g.c.locked.is_(False)))
        if result is not None:
            _store_grids(conn, plan_id, result.grids, result.buildings)
        new_params = {**old, "target": params.target, "tolerance": params.tolerance,
                      "seed": seed}  # fmt: skip
        p = m.grid_plan
        conn.execute(p.update().where(p.c.id == plan_id).values(params=new_params))
        metrics = _metrics(conn, plan_row(conn, plan_id))
        metrics["rerun"] = True
        conn.execute(
            p.update().where(p.c.id == plan_id)
            .values(version=plan.version + 1, metrics=metrics)
        )  # fmt: skip
    return get_plan(engine, plan_id)


def _snapshot(conn: Connection, plan_id: int, version: int) -> _Snapshot:
    plan = plan_row(conn, plan_id)
    require_draft_version(plan, version)
    codes = list(plan.community_codes)
    g, a, r = m.grid, m.grid_assignment, m.grid_code_registry
    grids = read_frame(
        conn,
        sa.select(g.c.id, g.c.code, g.c.community_code, g.c.seq, g.c.locked,
                  as_wkb(g.c.geometry)).where(g.c.plan_id == plan_id),
    )  # fmt: skip
    grid_of = pd.Series(
        dict(
            conn.execute(
                sa.select(a.c.building_id, a.c.grid_id).where(a.c.plan_id == plan_id)
            ).all()
        ),
        dtype=float,
    )
    registered: dict[str, set[int]] = defaultdict(set)
    for community, seq in conn.execute(
        sa.select(r.c.community_code, r.c.seq).where(r.c.community_code.in_(codes))
    ):
        registered[community].add(seq)
    return _Snapshot(plan, load_layers(conn, codes), grids, grid_of, dict(registered))


def _inputs(snap: _Snapshot) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict, dict]:
    """The partitioner's input: free land per community, free buildings, previous, used."""
    grids, layers = snap.grids, snap.layers
    locked_ids = set(grids.loc[grids["locked"], "id"])
    held = snap.grid_of.reindex(layers.buildings["key"]).to_numpy()
    free = layers.buildings[~np.isin(held, list(locked_ids))]
    unlocked = grids[~grids["locked"]].set_index("id")
    members: dict[str, dict[int, set]] = defaultdict(lambda: defaultdict(set))
    for building, gid in snap.grid_of.items():
        if gid in unlocked.index:
            row = unlocked.loc[gid]
            members[row["community_code"]][int(row["seq"])].add(building)
    rows, previous, used, empty = [], {}, {}, []
    for community, boundary in zip(
        layers.communities["code"], layers.communities.geometry, strict=True
    ):
        mine = grids[grids["community_code"] == community]
        land = free_land(gpd.GeoSeries([boundary], crs=m.SRID), mine.geometry[mine["locked"]])
        if land.iloc[0].is_empty:
            continue
        if free.loc[free["community_code"] == community, "households"].sum() <= 0:
            empty.append(community)
            continue
        rows.append({"code": community, "geometry": land.iloc[0]})
        previous[community] = {s: frozenset(k) for s, k in members[community].items()}
        used[community] = set(mine["seq"]) | snap.registered.get(community, set())
    if empty:
        raise InputError(
            f"community {', '.join(empty[:LISTED])} has unlocked land but no households "
            "outside its locked grids",
            fix="unlock a grid of it, or lock all of its grids",
        )
    communities = gpd.GeoDataFrame(rows, columns=["code", "geometry"], crs=m.SRID)
    chosen = free[free["community_code"].isin(communities["code"])]
    return communities, chosen, previous, used


def _placed(result: PartitionResult) -> PartitionResult:
    """``result`` with buildings it left in no grid placed, and grid counts made again."""
    buildings, grids = result.buildings, result.grids
    if buildings["grid_code"].isna().any() and len(grids):
        crs = result.crs or metric_crs(grids)
        footprints = buildings.geometry.to_crs(crs)
        metric = grids.geometry.to_crs(crs)
        codes = buildings["grid_code"].copy()
        for community in buildings.loc[codes.isna(), "community_code"].unique():
            mine = (grids["community_code"] == community).to_numpy()
            shapes = dict(zip(grids.loc[mine, "grid_code"], metric[mine], strict=True))
            here = (buildings["community_code"] == community).to_numpy()
            codes[here] = place_leftovers(footprints[here], codes[here], shapes)
        buildings = buildings.assign(grid_code=codes)
        counts = buildings.groupby("grid_code").agg(
            households=("households", "sum"), buildings=("key", "size")
        )
        grids = grids.assign(
            households=grids["grid_code"].map(counts["households"]).fillna(0).astype(int),
            buildings=grids["grid_code"].map(counts["buildings"]).fillna(0).astype(int),
        )
    return PartitionResult(grids, buildings, result.seconds, result.crs)
