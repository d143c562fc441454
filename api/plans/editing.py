"""Editing a draft: move buildings between its grids, with a version check.

Each edit names the plan version the editor loaded; an edit on an older version is
refused, so two people editing one draft never overwrite each other silently. An edit
recomputes the affected grids (households, buildings, area, polygon) and the plan's
metrics, and bumps the version, in one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import cast

import geopandas as gpd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api import models as m
from api.plans.checks import plan_band, plan_row
from api.plans.drafts import _plain
from api.plans.layers import LISTED, as_wkb, building_table, read_frame
from api.plans.reading import grid_features
from gis.crs import metric_crs
from gis.errors import ConflictError, InputError
from gis.metrics import partition_metrics
from gis.partition.solver import wgs84
from gis.regrid import building_cells, reassign_land

#: Metrics that need the roads of the original run; an edit keeps their last value.
_ROAD_METRICS = ("crossing_main_roads",)


def require_draft_version(plan: sa.Row, version: int) -> None:
    """Refuse an edit of a plan that is not a draft, or of a version the editor did not load.

    Raises
    ------
    ConflictError
        Not a draft, or ``version`` is not the plan's current version.
    """
    if plan.status != "draft":
        raise ConflictError(
            f"plan {plan.id} is {plan.status}; only a draft can be edited",
            fix="partition again to make a new draft",
        )
    if plan.version != version:
        raise ConflictError(
            f"the draft changed since you loaded it (version {version}, now {plan.version}): "
            "reload",
            fix=f"reload plan {plan.id} and make the edit again",
        )


def move_buildings(engine: Engine, plan_id: int, version: int, moves: Iterable[Mapping]) -> dict:
    """Move buildings between grids of a draft, in one transaction.

    Parameters
    ----------
    engine : Engine
        The database.
    plan_id : int
        The draft.
    version : int
        The plan version the editor loaded.
    moves : iterable of mapping
        ``{"building_id": id, "grid_id": id}``, ``{"building_id": id, "grid_code": code}``
        or ``{"building_id": id, "new_grid": True}``: the buildings of an edit sent to a new
        grid form one new grid per community, numbered after every sequence the plan and
        the code registry have used.

    Returns
    -------
    dict
        ``plan_id``, the new ``version``, ``moved`` (buildings that changed grid) and
        ``grids``: the affected grids as a GeoJSON FeatureCollection (EPSG:4326).

    Raises
    ------
    NotFoundError
        No such plan.
    ConflictError
        Not a draft, or a stale version.
    InputError
        A building not in the plan, a grid the plan does not have, a grid of another
        community, a building named twice, or a new grid past sequence 999.
    """
    moves = list(moves)
    with engine.begin() as conn:
        plan = plan_row(conn, plan_id, lock=True)
        require_draft_version(plan, version)
        grids = _grids(conn, plan_id)
        wanted = _resolve(conn, plan_id, moves, grids)
        changed = {b: t for b, (f, t) in wanted.items() if f != t}
        if changed:
            _apply(conn, plan_id, {b: wanted[b] for b in changed}, grids)
            touched = {grids.at[x, "community_code"] for b in changed for x in wanted[b]
                       if x in grids.index}  # fmt: skip
            metrics = _metrics(conn, plan, touched)
        else:
            metrics = plan.metrics
        new_version = plan.version + 1
        conn.execute(
            m.grid_plan.update().where(m.grid_plan.c.id == plan_id)
            .values(version=new_version, metrics=metrics)
        )  # fmt: skip
        affected = sorted({g for pair in wanted.values() for g in pair})
        features = grid_features(conn, plan_id, affected)
    return {"plan_id": plan_id, "version": new_version, "moved": sorted(changed), "grids": features}


def _grids(conn: Connection, plan_id: int) -> gpd.GeoDataFrame:
    g = m.grid
    query = sa.select(g.c.id, g.c.code, g.c.community_code, g.c.locked, as_wkb(g.c.geometry))
    return read_frame(conn, query.where(g.c.plan_id == plan_id)).set_index("id")


def _resolve(
    conn: Connection, plan_id: int, moves: list[Mapping], grids: gpd.GeoDataFrame
) -> dict[int, tuple[int, int]]:
    """``{building id: (grid it is in, grid it goes to)}``, every move checked."""
    a = m.grid_assignment
    ids = [int(move["building_id"]) for move in moves]
    twice = sorted({b for b in ids if ids.count(b) > 1})
    if twice:
        raise InputError(
            f"building {', '.join(map(str, twice[:LISTED]))} is moved more than once",
            fix="name each building once per edit",
        )
    current = dict(
        conn.execute(
            sa.select(a.c.building_id, a.c.grid_id)
            .where(a.c.plan_id == plan_id, a.c.building_id.in_(ids))
        ).all()
    )  # fmt: skip
    missing = [b for b in ids if b not in current]
    if missing:
        raise InputError(
            f"building {', '.join(map(str, missing[:LISTED]))} is not in plan {plan_id}",
            fix="move only buildings of the plan's grids",
        )
    by_code = dict(zip(grids["code"], grids.index, strict=True))
    out: dict[int, tuple[int, int]] = {}
    created: dict[str, int] = {}
    for move, building in zip(moves, ids, strict=True):
        source = current[building]
        _require_unlocked(grids, source)
        if move.get("new_grid"):
            community = grids.at[source, "community_code"]
            if community not in created:
                created[community] = _new_grid(conn, plan_id, community)
            out[building] = (source, created[community])
            continue
        target = _target(move, grids, by_code, plan_id)
        _require_unlocked(grids, target)
        here, there = grids.at[source, "community_code"], grids.at[target, "community_code"]
        if here != there:
            raise InputError(
                f"building {building} lies in community {here}; grid "
                f"{grids.at[target, 'code']} is of community {there}",
                fix="move buildings only between grids of their own community",
            )
        out[building] = (source, target)
    return out


def _require_unlocked(grids: gpd.GeoDataFrame, grid_id: int) -> None:
    """Refuse a move into or out of a locked grid: a lock keeps the grid as it is."""
    if grids.at[grid_id, "locked"]:
        raise InputError(
            f"grid {grids.at[grid_id, 'code']} is locked; unlock it first",
            fix="PUT /plans/{id}/grids/{grid_id}/lock with locked false, then move",
        )


def _new_grid(conn: Connection, plan_id: int, community: str) -> int:
    """Insert an empty grid for ``community`` after every sequence used; return its id."""
    g, r = m.grid, m.grid_code_registry
    used = sa.union_all(
        sa.select(g.c.seq).where(g.c.plan_id == plan_id, g.c.community_code == community),
        sa.select(r.c.seq).where(r.c.community_code == community),
    ).subquery()
    seq = conn.execute(sa.select(sa.func.coalesce(sa.func.max(used.c.seq), 0) + 1)).scalar_one()
    if seq > 999:
        raise InputError(
            f"community {community} has used every grid number up to 999",
            fix="move the buildings into an existing grid",
        )
    empty = sa.func.ST_GeomFromText("MULTIPOLYGON EMPTY", m.SRID)
    return conn.execute(
        g.insert().values(
            plan_id=plan_id, code=f"{community}{seq:03d}", community_code=community, seq=seq,
            households=0, buildings=0, area_m2=0.0, geometry=empty,
        ).returning(g.c.id)
    ).scalar_one()  # fmt: skip


def _target(move: Mapping, grids: gpd.GeoDataFrame, by_code: dict, plan_id: int) -> int:
    if move.get("grid_id") is not None:
        target = int(move["grid_id"])
        if target not in grids.index:
            raise InputError(
                f"plan {plan_id} has no grid with id {target}", fix="see GET /plans/{id}/grids"
            )
        return target
    code = move.get("grid_code")
    if code not in by_code:
        raise InputError(f"plan {plan_id} has no grid {code}", fix="see GET /plans/{id}/grids")
    return by_code[code]


def _apply(
    conn: Connection, plan_id: int, moves: dict[int, tuple[int, int]], grids: gpd.GeoDataFrame
) -> None:
    """Reassign the buildings, then redraw and recount the grids they leave and join.

    The drawing is done in the grids' UTM zone (metres) and reprojected to EPSG:4326 as
    the partitioner does it (:func:`gis.partition.solver.wgs84`).
    """
    a, b = m.grid_assignment, m.building
    affected = sorted({x for pair in moves.values() for x in pair})
    crs = metric_crs(grids)
    metric = grids.geometry.to_crs(crs)
    leaving: dict[int, list[int]] = defaultdict(list)
    for building, (source, _) in moves.items():
        leaving[source].append(building)
    pieces = []
    for source, moved in leaving.items():
        members = read_frame(
            conn,
            sa.select(b.c.id, as_wkb(b.c.footprint)).join(a, a.c.building_id == b.c.id)
            .where(a.c.plan_id == plan_id, a.c.grid_id == source).order_by(b.c.id),
        ).set_index("id").geometry.to_crs(crs)  # fmt: skip
        cells = building_cells(metric[source], members, moved)
        pieces += [(source, moves[k][1], cell) for k, cell in cells.items()]
    empty = shapely.Polygon()  # a new grid has no land until its buildings bring theirs
    shapes = reassign_land({x: metric.get(x, empty) for x in affected}, pieces)
    for building, (_, target) in moves.items():
        conn.execute(
            a.update().where(a.c.plan_id == plan_id, a.c.building_id == building)
            .values(grid_id=target)
        )  # fmt: skip
    _store_shapes(conn, plan_id, gpd.GeoSeries(shapes, crs=crs))


def _store_shapes(conn: Connection, plan_id: int, shapes: gpd.GeoSeries) -> None:
    """Write the new polygons (given in metres), areas (m²) and counts of the grids."""
    g, a, b = m.grid, m.grid_assignment, m.building
    households = sa.func.coalesce(sa.func.sum(b.c.households), 0)
    counts = dict(
        (gid, (n, h))
        for gid, n, h in conn.execute(
            sa.select(a.c.grid_id, sa.func.count(), households)
            .join(b, b.c.id == a.c.building_id)
            .where(a.c.plan_id == plan_id, a.c.grid_id.in_([int(x) for x in shapes.index]))
            .group_by(a.c.grid_id)
        )
    )  # fmt: skip
    gone = shapes.isna()
    for gid in shapes.index[gone]:
        if counts.get(gid, (0, 0))[0]:  # a new grid of buildings without cells of their own
            raise InputError(
                f"the buildings moved into grid {gid} have no land of their own (slivers)",
                fix="move them together with a neighbouring building",
            )
        conn.execute(g.delete().where(g.c.id == int(gid)))
    kept = shapes[~gone]
    for gid, area, shape in zip(kept.index, kept.area, wgs84(kept).values, strict=True):
        n, h = counts.get(gid, (0, 0))
        wkb = sa.func.ST_Multi(sa.func.ST_GeomFromWKB(shapely.to_wkb(shape), m.SRID))
        conn.execute(
            g.update().where(g.c.id == int(gid))
            .values(households=int(h), buildings=int(n), area_m2=float(area), geometry=wkb)
        )  # fmt: skip


def _metrics(conn: Connection, plan: sa.Row, changed: Iterable[str] | None = None) -> dict:
    """The plan's metrics measured again; road measures keep the value of the original run.

    With ``changed`` (community codes), only those communities are measured again; the
    others keep their measures (their grids did not change), the overall ones cover all.
    """
    g, a, k = m.grid, m.grid_assignment, m.community
    codes = list(plan.community_codes)
    old = plan.metrics or {}
    kept = old.get("communities", {})
    measured = codes if changed is None else sorted(set(changed) | (set(codes) - set(kept)))
    communities = read_frame(
        conn, sa.select(k.c.code, as_wkb(k.c.boundary)).where(k.c.code.in_(measured)),
    )  # fmt: skip
    grids = read_frame(
        conn,
        sa.select(
            g.c.code.label("grid_code"), g.c.community_code, g.c.households,
            g.c.flags.label("flag"), as_wkb(g.c.geometry),
        ).where(g.c.plan_id == plan.id),
    )  # fmt: skip
    placed = dict(
        conn.execute(
            sa.select(a.c.building_id, g.c.code).join(g, g.c.id == a.c.grid_id)
            .where(a.c.plan_id == plan.id)
        ).all()
    )  # fmt: skip
    table = building_table(conn, codes)
    buildings = table.assign(grid_code=table["key"].map(placed))
    new = partition_metrics(
        grids, communities, buildings, band=plan_band(plan), only=measured, previous=kept,
    )  # fmt: skip
    for key in (*_ROAD_METRICS, "seconds"):
        if key in old.get("overall", {}):
            new["overall"][key] = old["overall"][key]
    for code, values in new["communities"].items():
        for key in _ROAD_METRICS:
            if key in old.get("communities", {}).get(code, {}):
                values[key] = old["communities"][code][key]
    new["edited"] = True
    return cast(dict, _plain(new))
