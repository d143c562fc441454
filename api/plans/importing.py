"""Importing a plan as a new draft: a CSV of building → grid, or a layer of grids.

The file says which grid each building is in (a grid layer: the grid holding the
building's representative point); the grids' polygons are then drawn by tessellation as
the partitioner draws them (:func:`gis.drawing.draw_grids`), so that they tile their
community exactly whatever lines the file had. Every building of the communities the
grids name must be in one grid of its own community, else nothing is stored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api import models as m
from api.plans.drafts import _plain, _store_grids
from api.plans.layers import LISTED, as_wkb, load_layers, read_frame
from api.plans.reading import get_plan
from gis.crs import metric_crs
from gis.drawing import draw_grids
from gis.errors import InputError
from gis.metrics import Band, partition_metrics
from gis.partition import PartitionParams
from gis.partition.solver import wgs84
from gis.plan_files import (
    assign_by_layer,
    community_mismatches,
    read_assignments,
    read_grid_layer,
)
from gis.uploads import sniff


@dataclass(frozen=True)
class PlanFile:
    """What a plan file assigns, checked against the stored buildings.

    Attributes
    ----------
    communities : list of str
        The communities its grids name, in order.
    assignments : DataFrame
        ``building_id`` and ``grid_code``: every building of those communities once.
    source : str
        The file's name and kind, for the plan's parameters.
    """

    communities: list[str]
    assignments: pd.DataFrame
    source: str


def read_plan_file(engine: Engine, path: str | os.PathLike, label: str) -> PlanFile:
    """Read and check a CSV of assignments or a grid layer.

    Raises
    ------
    InputError
        An unreadable file, unknown buildings or communities, a grid code of another
        community than its building's, a building in no grid, or buildings of the named
        communities left out (up to ten named).
    """
    with open(path, "rb") as stream:
        kind = sniff(stream.read(512))
    if kind == "text":
        assignments = read_assignments(path, label)
        communities = sorted(set(assignments["grid_code"].str[:12]))
        stored = _buildings(engine, communities, list(assignments["building_id"]))
        source = f"CSV {label}"
    else:
        grids = read_grid_layer(path)
        communities = sorted(set(grids["grid_code"].str[:12]))
        stored = _buildings(engine, communities, [])
        placed = assign_by_layer(stored.set_index("building_id"), grids)
        outside = placed.index[placed.isna()].tolist()
        if outside:
            raise InputError(
                f"{len(outside)} buildings lie in no grid of {label} (building ids "
                f"{', '.join(map(str, outside[:LISTED]))})",
                fix="draw the grids so that they cover every building of their communities",
            )
        assignments = pd.DataFrame({"building_id": placed.index, "grid_code": placed.values})
        source = f"grid layer {label}"
    _check(assignments, stored, communities, label)
    return PlanFile(communities, assignments, source)


def _buildings(engine: Engine, communities: list[str], listed: list[int]) -> pd.DataFrame:
    """Stored buildings of ``communities`` and of the ids ``listed``: id, community, shape."""
    b, k = m.building, m.community
    with engine.connect() as conn:
        known = set(conn.execute(sa.select(k.c.code).where(k.c.code.in_(communities))).scalars())
        missing = [c for c in communities if c not in known]
        if missing:
            raise InputError(
                f"the grid codes name community {', '.join(missing[:LISTED])}, which is not stored",
                fix="check the grid codes: the first 12 digits are the community's code",
            )
        where: sa.ColumnElement[bool] = b.c.community_code.in_(communities)
        if listed:
            where = sa.or_(where, b.c.id.in_([int(i) for i in listed]))
        return read_frame(
            conn,
            sa.select(b.c.id.label("building_id"), b.c.community_code, as_wkb(b.c.footprint))
            .where(where).order_by(b.c.id),
        )  # fmt: skip


def _check(
    assignments: pd.DataFrame, stored: pd.DataFrame, communities: list[str], label: str
) -> None:
    """Every listed building stored, in its own community's grid; none left out."""
    community_of = dict(zip(stored["building_id"], stored["community_code"], strict=True))
    unknown = [b for b in assignments["building_id"] if b not in community_of]
    if unknown:
        raise InputError(
            f"{label}: there is no building {', '.join(map(str, unknown[:LISTED]))}",
            fix="list only stored buildings (ids as GET /plans/{id}/buildings gives them)",
        )
    bad_seq = sorted({c for c in assignments["grid_code"] if c.endswith("000")})
    if bad_seq:
        raise InputError(
            f"{label}: grid code {', '.join(bad_seq[:LISTED])} ends in 000; sequences run 001–999",
            fix="number the grids of a community from 001",
        )
    with_community = assignments.assign(community_code=assignments["building_id"].map(community_of))
    wrong = community_mismatches(with_community)
    if wrong:
        raise InputError(
            f"{label}: a grid code must start with its building's community code: "
            f"{'; '.join(wrong[:LISTED])}",
            fix="put each building in a grid of its own community",
        )
    listed = set(assignments["building_id"])
    left_out = [
        b for b, c in community_of.items() if c in communities and b not in listed
    ]  # fmt: skip
    if left_out:
        raise InputError(
            f"{label}: {len(left_out)} buildings of communities {', '.join(communities)} are "
            f"in no grid (building ids {', '.join(map(str, sorted(left_out)[:LISTED]))})",
            fix="assign every building of the grids' communities",
        )


def store_imported(engine: Engine, plan: PlanFile, name: str | None = None) -> dict:
    """Draw the grids of ``plan`` by tessellation and store them as a new draft.

    Returns
    -------
    dict
        The new draft's summary (see :func:`api.plans.get_plan`).

    Raises
    ------
    InputError
        A grid whose buildings get no land of their own.
    """
    with engine.connect() as conn:
        layers = load_layers(conn, plan.communities)
    grid_of = dict(zip(plan.assignments["building_id"], plan.assignments["grid_code"], strict=True))
    buildings = layers.buildings.assign(grid_code=layers.buildings["key"].map(grid_of))
    crs = metric_crs(layers.communities)
    grids = _draw(layers.communities.to_crs(crs), buildings.to_crs(crs))
    params = PartitionParams()
    band = Band(params.target, params.tolerance)
    metrics = partition_metrics(grids, layers.communities, buildings, band=band, crs=crs)
    row = {
        "name": name or f"导入 {plan.source} {datetime.now():%Y-%m-%d %H:%M}",
        "status": "draft",
        "params": {"target": params.target, "tolerance": params.tolerance, "seed": None,
                   "roads": None, "imported": plan.source},
        "metrics": _plain(metrics),
        "community_codes": plan.communities,
    }  # fmt: skip
    with engine.begin() as conn:
        plan_id = conn.execute(
            m.grid_plan.insert().values(**row).returning(m.grid_plan.c.id)
        ).scalar_one()
        _store_grids(conn, plan_id, grids, buildings)
    return get_plan(engine, plan_id)


def _draw(communities: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Grid rows with polygons in EPSG:4326, drawn per community in metres."""
    rows = []
    for code, boundary in zip(communities["code"], communities.geometry, strict=True):
        mine = buildings[buildings["community_code"] == code]
        names = sorted(mine["grid_code"].unique())
        labels = np.searchsorted(names, mine["grid_code"].to_numpy())
        shapes = draw_grids(boundary, mine.geometry, labels)
        for pos, grid in enumerate(names):
            members = mine[mine["grid_code"] == grid]
            rows.append({
                "grid_code": grid, "community_code": code, "seq": int(grid[12:]),
                "households": int(members["households"].sum()), "buildings": len(members),
                "area_m2": float(shapes[pos].area), "flag": "", "geometry": shapes[pos],
            })  # fmt: skip
    grids = gpd.GeoDataFrame(rows, geometry="geometry", crs=communities.crs)
    return grids.set_geometry(wgs84(grids.geometry))
