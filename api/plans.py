"""Grid plans in PostGIS: partition the stored layers into a draft, check it, publish it.

A plan is one partitioner run over some communities, stored with its grids, the grid of
every building and the run's quality measures. Publishing checks the draft (every
building of its communities in exactly one grid; each grid one polygon; the grids tile
their community; households in band unless flagged or excused), supersedes the plans it
replaces and keeps the code registry: codes kept stay active, codes no longer present are
withdrawn with a date and a reason, new codes are entered, and a withdrawn code is never
issued again (DB11/T 2157-2023: 有效/作废).

Dates: a plan is in force from ``effective_from`` up to, not including, ``effective_to``;
a withdrawn code's ``valid_to`` is likewise the first day it is no longer valid.

The geometry work is done by :mod:`gis`; this module moves frames in and out of the
database with SQLAlchemy Core and bound values.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api import models as m
from gis.crs import metric_crs
from gis.errors import ConflictError, InputError, NotFoundError
from gis.metrics import Band, coverage, partition_metrics
from gis.partition import GridPartitioner, PartitionParams

#: Reason recorded for a code withdrawn because its community was partitioned again.
REASON_REPARTITION = "重新划分"
#: Gaps, overlaps and area outside the community below this (m²) are float noise.
SLIVER_M2 = 1.0
_PUBLISH_LOCK = 0x77616E67  # one publication at a time: plans and registry change together
_LISTED = 10  # items named in one failure line


# ------------------------------------------------------------------------ reading layers
@dataclass(frozen=True)
class StoredLayers:
    """The partitioner's inputs read from the database, in EPSG:4326.

    Attributes
    ----------
    communities : GeoDataFrame
        ``code``, ``name``.
    buildings : GeoDataFrame
        ``key`` (= ``building.id``), ``households``, ``compound`` (the compound's
        ``source_key``, or the building's unmatched compound reference), ``community_code``.
    compounds : GeoDataFrame
        ``source_id`` (= ``compound.source_key``, the key buildings refer to), ``name``.
    """

    communities: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame


def _frame(conn: Connection, query: sa.Select) -> gpd.GeoDataFrame:
    """Run ``query`` (whose ``geometry`` column is WKB) into a GeoDataFrame in EPSG:4326."""
    names = [c.name for c in query.selected_columns]
    data = pd.DataFrame(conn.execute(query).all(), columns=names)
    wkb = data.pop("geometry").to_numpy()
    return gpd.GeoDataFrame(data, geometry=shapely.from_wkb(wkb), crs=m.SRID)


def _wkb(column: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.ST_AsBinary(column, type_=sa.LargeBinary).label("geometry")


def select_communities(conn: Connection, requested: Iterable[str] | None = None) -> list[str]:
    """The community codes to partition: the requested ones, or every stored one.

    Raises
    ------
    InputError
        If no community is stored.
    NotFoundError
        If a requested code is not stored.
    """
    query = sa.select(m.community.c.code).order_by(m.community.c.code)
    stored = list(conn.execute(query).scalars())
    if not stored:
        raise InputError(
            "there are no communities in the database to partition",
            fix="import the community boundaries first: wangge import communities FILE",
        )
    wanted = sorted(set(requested or ()))
    if not wanted:
        return stored
    missing = sorted(set(wanted) - set(stored))
    if missing:
        raise NotFoundError(
            f"no community with code {', '.join(missing[:_LISTED])} in the database",
            fix="give 12-digit codes of imported communities (see /api/summary)",
        )
    return wanted


def load_layers(conn: Connection, codes: list[str]) -> StoredLayers:
    """Read communities ``codes``, their buildings and the compounds they stand in."""
    k, b, c = m.community, m.building, m.compound
    communities = _frame(
        conn, sa.select(k.c.code, k.c.name, _wkb(k.c.boundary)).where(k.c.code.in_(codes))
        .order_by(k.c.code),
    )  # fmt: skip
    compound_key = sa.func.coalesce(c.c.source_key, sa.literal("ref:") + b.c.compound_ref)
    buildings = _frame(
        conn,
        sa.select(
            b.c.id.label("key"), b.c.households, compound_key.label("compound"),
            b.c.community_code, _wkb(b.c.footprint),
        )
        .select_from(b.outerjoin(c, c.c.id == b.c.compound_id))
        .where(b.c.community_code.in_(codes))
        .order_by(b.c.id),
    )  # fmt: skip
    used = sa.select(b.c.compound_id).where(b.c.community_code.in_(codes))
    compounds = _frame(
        conn,
        sa.select(c.c.source_key.label("source_id"), c.c.name, _wkb(c.c.outline))
        .where(sa.or_(c.c.community_code.in_(codes), c.c.id.in_(used)))
        .order_by(c.c.id),
    )
    return StoredLayers(communities, buildings, compounds)


def _require_households(layers: StoredLayers) -> None:
    """Refuse communities without buildings or households: nothing to partition."""
    households = layers.buildings.groupby("community_code")["households"].sum()
    empty = [c for c in layers.communities["code"] if households.get(c, 0) <= 0]
    if empty:
        raise InputError(
            f"community {', '.join(empty[:_LISTED])} has no buildings with households",
            fix="import its buildings with households (户数) or floors (层数) first: "
            "wangge import buildings FILE; or leave it out with --community",
        )


def _published_plans(conn: Connection, codes: list[str]) -> sa.Select:
    p = m.grid_plan
    return sa.select(p.c.id).where(p.c.status == "published", p.c.community_codes.overlap(codes))


def code_history(
    conn: Connection, codes: list[str]
) -> tuple[dict[str, dict[int, frozenset]], dict[str, set[int]]]:
    """What the partitioner needs to keep codes stable and never reuse one.

    Returns
    -------
    previous, used
        Per community: ``{sequence: building ids}`` of its published grids, and every
        sequence number in the code registry.
    """
    g, a, r = m.grid, m.grid_assignment, m.grid_code_registry
    rows = conn.execute(
        sa.select(g.c.community_code, g.c.seq, a.c.building_id)
        .join(a, a.c.grid_id == g.c.id)
        .where(g.c.plan_id.in_(_published_plans(conn, codes)), g.c.community_code.in_(codes))
    )
    members: dict[str, dict[int, set]] = defaultdict(lambda: defaultdict(set))
    for community, seq, building in rows:
        members[community][seq].add(building)
    previous = {c: {s: frozenset(k) for s, k in seqs.items()} for c, seqs in members.items()}
    used: dict[str, set[int]] = defaultdict(set)
    for community, seq in conn.execute(
        sa.select(r.c.community_code, r.c.seq).where(r.c.community_code.in_(codes))
    ):
        used[community].add(seq)
    return previous, dict(used)


# ------------------------------------------------------------------------ drafts
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
    _require_households(layers)
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
        "name": name or f"partition of {len(codes)} communities, {datetime.now():%Y-%m-%d %H:%M}",
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


# ------------------------------------------------------------------------ checks
def _plan_row(conn: Connection, plan_id: int, *, lock: bool = False) -> sa.Row:
    query = sa.select(m.grid_plan).where(m.grid_plan.c.id == plan_id)
    row = conn.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise NotFoundError(f"there is no plan {plan_id}", fix="list the plans: GET /plans")
    return row


def _grid_frame(conn: Connection, plan_id: int) -> gpd.GeoDataFrame:
    g = m.grid
    return _frame(
        conn,
        sa.select(
            g.c.code, g.c.community_code, g.c.kind, g.c.households, g.c.flags,
            g.c.exception_reason, _wkb(g.c.geometry),
        ).where(g.c.plan_id == plan_id).order_by(g.c.code),
    )  # fmt: skip


def out_of_band(grids: pd.DataFrame, band: Band) -> pd.DataFrame:
    """Basic grids outside the band that are neither flagged nor given an exception reason."""
    excused = (
        grids["flags"].fillna("").astype(str).ne("")
        | grids["exception_reason"].fillna("").astype(str).str.strip().ne("")
        | grids["kind"].eq("dedicated")
    )
    deviation = (grids["households"] - band.target).abs() / band.target
    return grids[~excused & (deviation > band.tolerance + 1e-9)]


def geometry_failures(grids: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> list[str]:
    """Grids not in one valid piece, and communities their grids do not tile.

    Measured in the data's metric CRS (m²); gaps, overlaps and area outside below
    :data:`SLIVER_M2` are float noise.
    """
    crs = metric_crs(communities)
    g = grids.to_crs(crs)
    boundaries = communities.to_crs(crs).set_index("code").geometry
    out = [
        f"grid {code} is in {n} pieces, not one polygon"
        for code, n in zip(g["code"], g.geometry.count_geometries(), strict=True)
        if n != 1
    ]
    out += [f"grid {code} has an invalid polygon" for code in g.loc[~g.is_valid, "code"]]
    for community, boundary in boundaries.items():
        part = g[g["community_code"] == community]
        if part.empty:
            out.append(f"community {community} has no grids")
            continue
        cover = coverage(part.geometry, boundary)
        if cover["outside_m2"] > SLIVER_M2:
            for code, geom in zip(part["code"], part.geometry, strict=True):
                outside = coverage(gpd.GeoSeries([geom], crs=crs), boundary)["outside_m2"]
                if outside > SLIVER_M2:
                    out.append(f"grid {code} reaches {outside:.1f} m² outside its community")
        if cover["gap_m2"] > SLIVER_M2:
            out.append(f"community {community}: {cover['gap_m2']:.1f} m² lie in no grid")
        if cover["overlap_m2"] > SLIVER_M2:
            out.append(f"community {community}: its grids overlap by {cover['overlap_m2']:.1f} m²")
    return out


def _band(plan: sa.Row) -> Band:
    return Band(plan.params["target"], plan.params["tolerance"])


def publication_failures(conn: Connection, plan: sa.Row) -> list[str]:
    """Every reason ``plan`` cannot be published, one line each (empty when it can)."""
    b, a, r = m.building, m.grid_assignment, m.grid_code_registry
    codes = list(plan.community_codes)
    failures = []
    unplaced = conn.execute(
        sa.select(b.c.id).where(
            b.c.community_code.in_(codes),
            ~sa.exists().where(a.c.plan_id == plan.id, a.c.building_id == b.c.id),
        ).order_by(b.c.id)
    ).scalars().all()  # fmt: skip
    if unplaced:
        failures.append(
            f"{len(unplaced)} buildings of these communities are in no grid "
            f"(building ids {', '.join(map(str, unplaced[:_LISTED]))}); "
            "buildings imported after the draft need a new partition"
        )
    grids = _grid_frame(conn, plan.id)
    communities = _frame(
        conn, sa.select(m.community.c.code, _wkb(m.community.c.boundary))
        .where(m.community.c.code.in_(codes)),
    )  # fmt: skip
    failures += geometry_failures(grids, communities)
    band = _band(plan)
    lower, upper = band.target * (1 - band.tolerance), band.target * (1 + band.tolerance)
    failures += [
        f"grid {code} has {h} households, outside {lower:.0f}–{upper:.0f}, and is neither "
        "flagged nor given an exception reason"
        for code, h in out_of_band(grids, band)[["code", "households"]].itertuples(index=False)
    ]
    withdrawn = conn.execute(
        sa.select(r.c.code).where(r.c.status == "withdrawn", r.c.code.in_(list(grids["code"])))
    ).scalars().all()  # fmt: skip
    failures += [f"code {c} was withdrawn and is never issued again" for c in withdrawn]
    return failures


# ------------------------------------------------------------------------ publishing
def publish(
    engine: Engine,
    plan_id: int,
    *,
    effective_from: date | None = None,
    exceptions: Mapping[str, str] | None = None,
) -> dict:
    """Check a draft and publish it, in one transaction.

    Parameters
    ----------
    engine : Engine
        The database.
    plan_id : int
        The draft.
    effective_from : date, optional
        The day the grids take effect (default today).
    exceptions : mapping, optional
        ``{grid code: reason}``: grids accepted outside the household band.

    Returns
    -------
    dict
        The published plan's summary (see :func:`get_plan`).

    Raises
    ------
    NotFoundError
        No such plan.
    ConflictError
        The plan is not a draft, or a plan of its communities was published after it
        was drawn (partition again).
    InputError
        The draft fails its checks (every failure listed), an exception names a grid the
        plan does not have, or the date precedes the plans it replaces.
    """
    day = effective_from or date.today()
    with engine.begin() as conn:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PUBLISH_LOCK)))
        plan = _plan_row(conn, plan_id, lock=True)
        if plan.status != "draft":
            raise ConflictError(
                f"plan {plan_id} is {plan.status}; only a draft can be published",
                fix="partition again to make a new draft",
            )
        _refuse_stale(conn, plan)
        _record_exceptions(conn, plan_id, exceptions or {})
        failures = publication_failures(conn, plan)
        if failures:
            raise InputError(
                f"plan {plan_id} cannot be published ({len(failures)} problems): "
                + "; ".join(failures[:20]),
                fix="partition again, or accept grids outside the band with a reason "
                "(--exception CODE=REASON)",
            )
        _supersede(conn, plan, day)
        _update_registry(conn, plan, day)
        conn.execute(
            m.grid_plan.update().where(m.grid_plan.c.id == plan_id)
            .values(status="published", published_at=sa.func.now(), effective_from=day)
        )  # fmt: skip
    return get_plan(engine, plan_id)


def _refuse_stale(conn: Connection, plan: sa.Row) -> None:
    p = m.grid_plan
    newer = conn.execute(
        sa.select(p.c.id).where(
            p.c.id != plan.id, p.c.published_at > plan.created_at,
            p.c.community_codes.overlap(list(plan.community_codes)),
        ).order_by(p.c.id)
    ).scalars().all()  # fmt: skip
    if newer:
        raise ConflictError(
            f"plan {plan.id} is stale: plan {', '.join(map(str, newer))} of the same "
            "communities was published after it was drawn",
            fix="partition again, so that kept grids keep their codes",
        )


def _record_exceptions(conn: Connection, plan_id: int, exceptions: Mapping[str, str]) -> None:
    g = m.grid
    for code, reason in exceptions.items():
        if not str(reason).strip():
            raise InputError(f"the exception for grid {code} gives no reason", fix="say why")
        done = conn.execute(
            g.update().where(g.c.plan_id == plan_id, g.c.code == code)
            .values(exception_reason=str(reason).strip())
        ).rowcount  # fmt: skip
        if not done:
            raise InputError(f"plan {plan_id} has no grid {code}", fix="see GET /plans/{id}/grids")


def _supersede(conn: Connection, plan: sa.Row, day: date) -> None:
    """Mark the published plans of ``plan``'s communities superseded.

    A replaced plan's other communities are carried into ``plan`` (their grids, building
    assignments and metrics), so that every community stays in exactly one published plan.
    """
    p = m.grid_plan
    codes = list(plan.community_codes)
    metrics = dict(plan.metrics or {})
    carried: list[str] = []
    for old in conn.execute(sa.select(p).where(p.c.id.in_(_published_plans(conn, codes)))):
        if day < old.effective_from:
            raise InputError(
                f"the effective date {day} precedes {old.effective_from}, when plan {old.id} "
                "took effect",
                fix=f"give an effective date on or after {old.effective_from}",
            )
        extra = [c for c in old.community_codes if c not in codes and c not in carried]
        if extra:
            _carry_over(conn, old.id, plan.id, extra)
            old_per = (old.metrics or {}).get("communities", {})
            metrics.setdefault("communities", {}).update(
                {c: old_per[c] for c in extra if c in old_per}
            )
            metrics.setdefault("carried", {}).update({c: old.id for c in extra})
            carried += extra
        conn.execute(p.update().where(p.c.id == old.id)
                     .values(status="superseded", effective_to=day))  # fmt: skip
    if carried:
        conn.execute(
            p.update().where(p.c.id == plan.id)
            .values(community_codes=sorted(codes + carried), metrics=metrics)
        )  # fmt: skip


def _carry_over(conn: Connection, old_id: int, new_id: int, codes: list[str]) -> None:
    g, a = m.grid, m.grid_assignment
    columns = [c.name for c in g.columns if c.name not in ("id", "plan_id")]
    conn.execute(
        g.insert().from_select(
            ["plan_id", *columns],
            sa.select(sa.literal(new_id), *(g.c[c] for c in columns))
            .where(g.c.plan_id == old_id, g.c.community_code.in_(codes)),
        )
    )  # fmt: skip
    old, new = g.alias("old_grid"), g.alias("new_grid")
    conn.execute(
        a.insert().from_select(
            ["plan_id", "building_id", "grid_id"],
            sa.select(sa.literal(new_id), a.c.building_id, new.c.id)
            .select_from(
                a.join(old, old.c.id == a.c.grid_id)
                .join(new, sa.and_(new.c.plan_id == new_id, new.c.code == old.c.code))
            )
            .where(a.c.plan_id == old_id, old.c.community_code.in_(codes)),
        )
    )  # fmt: skip


def _update_registry(conn: Connection, plan: sa.Row, day: date) -> None:
    """Withdraw the codes the plan drops, enter the codes it introduces."""
    g, r = m.grid, m.grid_code_registry
    present = sa.select(g.c.code).where(g.c.plan_id == plan.id)
    conn.execute(
        r.update()
        .where(r.c.community_code.in_(list(plan.community_codes)), r.c.status == "active",
               r.c.code.not_in(present))
        .values(status="withdrawn", valid_to=day, reason=REASON_REPARTITION)
    )  # fmt: skip
    new = sa.select(
        g.c.code, g.c.community_code, g.c.seq, sa.literal("active"), sa.literal(plan.id),
        sa.literal(day, sa.Date),
    ).where(g.c.plan_id == plan.id)  # fmt: skip
    names = ["code", "community_code", "seq", "status", "first_plan_id", "valid_from"]
    stmt = sa.dialects.postgresql.insert(r).from_select(names, new)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["code"]))


# ------------------------------------------------------------------------ reading plans
def _summary_query() -> sa.Select:
    p, g = m.grid_plan, m.grid
    counts = (
        sa.select(
            g.c.plan_id, sa.func.count().label("grids"),
            sa.func.sum(g.c.households).label("households"),
        ).group_by(g.c.plan_id).subquery()
    )  # fmt: skip
    columns = [c for c in p.c if c.name != "metrics"]
    return sa.select(
        *columns,
        sa.func.coalesce(counts.c.grids, 0).label("grids"),
        sa.func.coalesce(counts.c.households, 0).label("households"),
    ).select_from(p.outerjoin(counts, counts.c.plan_id == p.c.id))


def list_plans(engine: Engine, status: str | None = None) -> list[dict]:
    """Every plan, newest first, without metrics; only those of ``status`` if given."""
    query = _summary_query().order_by(m.grid_plan.c.id.desc())
    if status:
        query = query.where(m.grid_plan.c.status == status)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def get_plan(engine: Engine, plan_id: int) -> dict:
    """One plan's summary with its metrics.

    Raises
    ------
    NotFoundError
        No such plan.
    """
    p = m.grid_plan
    query = _summary_query().add_columns(p.c.metrics).where(p.c.id == plan_id)
    with engine.connect() as conn:
        row = conn.execute(query).one_or_none()
    if row is None:
        raise NotFoundError(f"there is no plan {plan_id}", fix="list the plans: GET /plans")
    return dict(row._mapping)


GRID_PROPERTIES = (
    "code", "community_code", "seq", "kind", "households", "buildings", "area_m2", "flags",
    "exception_reason",
)  # fmt: skip


def _features(conn: Connection, query: sa.Select) -> dict:
    rows = conn.execute(query).mappings().all()
    features = [
        {
            "type": "Feature",
            "id": row["code"],
            "properties": {k: v for k, v in row.items() if k != "geojson"},
            "geometry": json.loads(row["geojson"]),
        }
        for row in rows
    ]
    return {"type": "FeatureCollection", "features": features}


def _grid_columns() -> list[sa.ColumnElement]:
    g = m.grid
    geojson = sa.func.ST_AsGeoJSON(g.c.geometry, 7, type_=sa.Text).label("geojson")
    return [*(g.c[name] for name in GRID_PROPERTIES), geojson]


def plan_grids(engine: Engine, plan_id: int) -> dict:
    """A plan's grids as a GeoJSON FeatureCollection (EPSG:4326).

    Raises
    ------
    NotFoundError
        No such plan.
    """
    g = m.grid
    with engine.connect() as conn:
        _plan_row(conn, plan_id)
        query = sa.select(*_grid_columns()).where(g.c.plan_id == plan_id).order_by(g.c.code)
        return _features(conn, query)


def grids_in_force(engine: Engine, at: date) -> dict:
    """The published grids in force on day ``at``, as a GeoJSON FeatureCollection."""
    g, p = m.grid, m.grid_plan
    query = (
        sa.select(*_grid_columns(), g.c.plan_id)
        .join(p, p.c.id == g.c.plan_id)
        .where(
            p.c.status.in_(("published", "superseded")), p.c.effective_from <= at,
            sa.or_(p.c.effective_to.is_(None), p.c.effective_to > at),
        )
        .order_by(g.c.code)
    )  # fmt: skip
    with engine.connect() as conn:
        return _features(conn, query)


def band_exceptions(engine: Engine, plan_id: int) -> list[str]:
    """Codes of the plan's grids that publishing would refuse for their households."""
    with engine.connect() as conn:
        plan = _plan_row(conn, plan_id)
        grids = _grid_frame(conn, plan_id)
    return list(out_of_band(grids, _band(plan))["code"])
