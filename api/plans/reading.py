"""Reading plans and their grids (GeoJSON) back out."""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api import models as m
from api.plans.checks import grid_frame, plan_band, plan_row
from gis.errors import NotFoundError
from gis.partition.checks import out_of_band


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
    "exception_reason", "locked",
)  # fmt: skip


def _features(conn: Connection, query: sa.Select, key: str = "code") -> dict:
    """A FeatureCollection of ``query``'s rows (``geojson`` column), feature ``id`` = ``key``."""
    rows = conn.execute(query).mappings().all()
    features = [
        {
            "type": "Feature",
            "id": row[key],
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
        plan_row(conn, plan_id)
        query = (
            sa.select(*_grid_columns(), g.c.id.label("grid_id"))
            .where(g.c.plan_id == plan_id)
            .order_by(g.c.code)
        )
        return _features(conn, query)


def plan_buildings(engine: Engine, plan_id: int) -> dict:
    """Every building of a plan's communities as GeoJSON (EPSG:4326), with its grid.

    Feature ``id`` is the building id; properties ``building_id``, ``grid_id`` (None when
    the building is in no grid of the plan), ``households``, ``households_estimated``
    (the count was estimated from footprint and floors at import, as stored in
    ``building.households_estimated``), ``compound_id``, ``community_code`` and ``name``.

    Raises
    ------
    NotFoundError
        No such plan.
    """
    b, a = m.building, m.grid_assignment
    with engine.connect() as conn:
        plan = plan_row(conn, plan_id)
        query = (
            sa.select(
                b.c.id.label("building_id"), a.c.grid_id, b.c.households,
                b.c.households_estimated, b.c.compound_id, b.c.community_code, b.c.name,
                sa.func.ST_AsGeoJSON(b.c.footprint, 7, type_=sa.Text).label("geojson"),
            )
            .select_from(
                b.outerjoin(a, sa.and_(a.c.building_id == b.c.id, a.c.plan_id == plan_id))
            )
            .where(b.c.community_code.in_(list(plan.community_codes)))
            .order_by(b.c.id)
        )  # fmt: skip
        return _features(conn, query, "building_id")


def grid_features(conn: Connection, plan_id: int, grid_ids: list[int]) -> dict:
    """Grids ``grid_ids`` of a plan (those still there) as GeoJSON, with ``grid_id``."""
    g = m.grid
    query = (
        sa.select(*_grid_columns(), g.c.id.label("grid_id"))
        .where(g.c.plan_id == plan_id, g.c.id.in_(grid_ids))
        .order_by(g.c.code)
    )
    return _features(conn, query)


def in_force(at: date | sa.ColumnElement) -> sa.ColumnElement[bool]:
    """Condition on ``grid_plan``: the plan's grids are in force on day ``at``.

    A plan is in force from ``effective_from`` up to, not including, ``effective_to``; a
    superseded plan stays in force until the day its successor takes effect.
    """
    p = m.grid_plan
    return sa.and_(
        p.c.status.in_(("published", "superseded")), p.c.effective_from <= at,
        sa.or_(p.c.effective_to.is_(None), p.c.effective_to > at),
    )  # fmt: skip


def grids_in_force(engine: Engine, at: date) -> dict:
    """The published grids in force on day ``at``, as a GeoJSON FeatureCollection."""
    g, p = m.grid, m.grid_plan
    query = (
        sa.select(*_grid_columns(), g.c.plan_id)
        .join(p, p.c.id == g.c.plan_id)
        .where(in_force(at))
        .order_by(g.c.code)
    )
    with engine.connect() as conn:
        return _features(conn, query)


def band_exceptions(engine: Engine, plan_id: int) -> list[str]:
    """Codes of the plan's grids that publishing would refuse for their households."""
    with engine.connect() as conn:
        plan = plan_row(conn, plan_id)
        grids = grid_frame(conn, plan_id)
    return list(out_of_band(grids, plan_band(plan))["code"])
