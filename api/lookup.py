"""Finding things: which street, community and grid a point lies in; search by name or code.

The point lookup is one statement, built once and executed with bound values, that uses the
GiST indexes of ``community`` and ``grid``: it is the question a hotline operator asks all
day, so it is kept to a single round trip. Search matches part of a name, address or code
with ``ILIKE '%…%'`` (trigram indexes from migration 0003 serve it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import cache

import sqlalchemy as sa
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Engine

from api import models as m
from api.database import fetch_one
from api.features import read_connection
from api.params import LonLat, SearchQuery
from api.plans.reading import in_force
from gis.errors import NotFoundError

#: Staff fields shown with a grid.
STAFF_FIELDS = ("id", "name", "post", "duties", "phone", "photo_path")
#: Search result kinds, in the order they are listed when equally good.
KINDS = ("grid", "compound", "building", "facility")
_GRID_BY_NUMBER = re.compile(r"^(?P<name>.*?)\s*第?\s*(?P<seq>[0-9]{1,3})\s*号?\s*(?:网格)?$")


def grid_label(community_name: sa.ColumnElement, seq: sa.ColumnElement) -> sa.ColumnElement:
    """A grid's name as people say it: ``金色路社区第3网格``."""
    return sa.func.concat(community_name, "第", seq, "网格")


def staff_json(grid_code: sa.ColumnElement) -> sa.ScalarSelect:
    """The staff of a grid as a JSON array (A posts first), ``NULL`` when there are none."""
    s = m.grid_staff
    person = sa.func.json_build_object(*(p for f in STAFF_FIELDS for p in (f, s.c[f])))
    return (
        sa.select(sa.func.json_agg(aggregate_order_by(person, s.c.post, s.c.name, s.c.id)))
        .where(s.c.grid_code == grid_code)
        .scalar_subquery()
    )


@cache
def _lookup_statement() -> sa.Select:
    c, s, g, p = m.community, m.street, m.grid, m.grid_plan
    lon, lat = sa.bindparam("lon", type_=sa.Float), sa.bindparam("lat", type_=sa.Float)
    point = sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), m.SRID)
    grid = (
        sa.select(g.c.code, g.c.seq, g.c.households, g.c.buildings, g.c.area_m2, g.c.plan_id)
        .join(p, p.c.id == g.c.plan_id)
        .where(
            in_force(sa.bindparam("day", type_=sa.Date)),
            g.c.community_code == c.c.code,
            sa.func.ST_Intersects(g.c.geometry, point),
        )
        .order_by(g.c.code)
        .limit(1)
        .lateral("in_grid")
    )
    return (
        sa.select(
            c.c.street_code, sa.func.coalesce(s.c.name, c.c.street_name).label("street_name"),
            c.c.code.label("community_code"), c.c.name.label("community_name"),
            grid.c.code.label("grid_code"), grid.c.seq, grid.c.households, grid.c.buildings,
            grid.c.area_m2, grid.c.plan_id, staff_json(grid.c.code).label("staff"),
        )
        .select_from(c)
        .outerjoin(s, s.c.code == c.c.street_code)
        .outerjoin(grid, sa.true())
        .where(sa.func.ST_Intersects(c.c.boundary, point))
        .order_by(c.c.code)
        .limit(1)
    )  # fmt: skip


def lookup(engine: Engine, point: LonLat, day: date | None = None) -> dict:
    """The street, community and grid in force that contain ``point``, with the grid's staff.

    A point on a shared boundary is given to the community (and grid) with the lowest code.

    Returns
    -------
    dict
        ``point``, ``street`` and ``community`` (``code``, ``name``), and ``grid``
        (``code``, ``name``, ``seq``, ``households``, ``buildings``, ``area_m2``,
        ``plan_id``, ``staff``), or ``grid`` ``None`` where no plan in force covers it.

    Raises
    ------
    NotFoundError
        If no community contains the point.
    """
    with read_connection(engine) as conn:
        row = conn.execute(_lookup_statement(), _lookup_params(point, day)).one_or_none()
    if row is None:
        raise NotFoundError(
            f"no community contains the point lon {point.lon}, lat {point.lat}",
            fix="give WGS84 longitude and latitude (not GCJ-02 or BD-09) of a place inside "
            "the imported communities",
        )
    return lookup_answer(row._mapping, point)


async def lookup_async(pool: AsyncConnectionPool, point: LonLat) -> dict | None:
    """:func:`lookup` on an async psycopg pool, ``None`` where no community holds ``point``.

    The same statement, compiled once to psycopg's SQL; the serving loop waits on the
    database without a thread of its own (see :mod:`api.fast_lookup`).
    """
    row = await fetch_one(pool, _lookup_statement(), _lookup_params(point, None))
    return None if row is None else lookup_answer(row, point)


def lookup_answer(row: Mapping, point: LonLat) -> dict:
    """The answer of :func:`lookup` from a row of the lookup statement."""
    grid = None
    if row["grid_code"] is not None:
        grid = {
            "code": row["grid_code"], "name": f"{row['community_name']}第{row['seq']}网格",
            "seq": row["seq"], "households": row["households"], "buildings": row["buildings"],
            "area_m2": row["area_m2"], "plan_id": row["plan_id"], "staff": row["staff"] or [],
        }  # fmt: skip
    return {
        "point": {"lon": point.lon, "lat": point.lat},
        "street": {"code": row["street_code"], "name": row["street_name"]},
        "community": {"code": row["community_code"], "name": row["community_name"]},
        "grid": grid,
    }


def _lookup_params(point: LonLat, day: date | None) -> dict:
    return {"lon": point.lon, "lat": point.lat, "day": day or date.today()}


def _like(text: str, *, prefix: bool = False) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix else f"%{escaped}%"


def _rank(text: str, field: sa.ColumnElement) -> sa.ColumnElement[int]:
    """0 for an exact match of ``field``, 1 for a prefix, 2 for anything else."""
    return sa.case(
        (sa.func.lower(field) == text.lower(), 0),
        (field.ilike(_like(text, prefix=True), escape="\\"), 1),
        else_=2,
    )


def _hit(
    kind: str, id_: sa.ColumnElement | None, code: sa.ColumnElement | None,
    label: sa.ColumnElement, detail: sa.ColumnElement | None, rank: sa.ColumnElement,
    geom: sa.ColumnElement,
) -> list[sa.ColumnElement]:  # fmt: skip
    none_text = sa.null().cast(sa.Text)
    return [
        sa.literal(kind, sa.Text).label("kind"),
        (id_ if id_ is not None else sa.null()).cast(sa.Integer).label("id"),
        (code if code is not None else none_text).cast(sa.Text).label("code"),
        label.cast(sa.Text).label("label"),
        (detail if detail is not None else none_text).cast(sa.Text).label("detail"),
        rank.label("rank"),
        geom.label("geom"),
    ]


def _search_branches(q: str, day: date) -> list[sa.Select]:
    b, c, k, f, fc = m.building, m.compound, m.community, m.facility, m.facility_class
    g, p = m.grid, m.grid_plan
    like = _like(q)
    building_label = sa.func.coalesce(
        sa.func.nullif(sa.func.concat_ws(" ", c.c.name, b.c.name), ""), b.c.address
    )
    buildings = (
        sa.select(*_hit("building", b.c.id, None, building_label, b.c.address,
                        _rank(q, sa.func.coalesce(b.c.name, b.c.address)), b.c.footprint))
        .select_from(b).outerjoin(c, c.c.id == b.c.compound_id)
        .where(sa.or_(b.c.name.ilike(like, escape="\\"), b.c.address.ilike(like, escape="\\")))
    )  # fmt: skip
    compounds = (
        sa.select(*_hit("compound", c.c.id, None, c.c.name, k.c.name, _rank(q, c.c.name),
                        c.c.outline))
        .select_from(c).outerjoin(k, k.c.code == c.c.community_code)
        .where(c.c.name.ilike(like, escape="\\"))
    )  # fmt: skip
    label = grid_label(k.c.name, g.c.seq)
    grid_match: list[sa.ColumnElement[bool]] = [
        g.c.code.ilike(like, escape="\\"),
        label.ilike(like, escape="\\"),
    ]
    by_number = _GRID_BY_NUMBER.match(q)
    if by_number and by_number["name"].strip():
        grid_match.append(sa.and_(k.c.name.ilike(_like(by_number["name"].strip()), escape="\\"),
                                  g.c.seq == int(by_number["seq"])))  # fmt: skip
    grids = (
        sa.select(*_hit("grid", None, g.c.code, label, k.c.name,
                        sa.func.least(_rank(q, g.c.code), _rank(q, label)), g.c.geometry))
        .select_from(g).join(p, p.c.id == g.c.plan_id)
        .outerjoin(k, k.c.code == g.c.community_code)
        .where(in_force(day), sa.or_(*grid_match))
    )  # fmt: skip
    facility_label = sa.func.coalesce(f.c.name, fc.c.name)
    facilities = (
        sa.select(*_hit("facility", f.c.id, f.c.code, facility_label, fc.c.name,
                        sa.func.least(_rank(q, facility_label), _rank(q, f.c.code)),
                        f.c.location))
        .select_from(f).join(fc, fc.c.code == f.c.class_code)
        .where(sa.or_(f.c.name.ilike(like, escape="\\"), f.c.code.ilike(like, escape="\\")))
    )  # fmt: skip
    return [grids, compounds, buildings, facilities]


def search(engine: Engine, query: SearchQuery, day: date | None = None) -> list[dict]:
    """Buildings, compounds, grids in force and facilities matching ``query.q``, best first.

    A building matches by name or address, a compound by name, a grid by code, by its name
    (``金色路社区第3网格``) or by community name and number (``金色路 3``), a facility by
    name or code; case is ignored. Exact matches come first, then prefixes, then shorter
    labels.

    Returns
    -------
    list of dict
        ``kind``, ``id`` (buildings, compounds, facilities), ``code`` (grids, facilities),
        ``label``, ``detail``, ``lon``/``lat`` of a point on the feature and its ``bbox``
        (minx, miny, maxx, maxy), all in EPSG:4326.
    """
    hits = sa.union_all(*_search_branches(query.q, day or date.today())).subquery("hit")
    point = sa.func.ST_PointOnSurface(hits.c.geom)
    # PostgreSQL computes the costly point and box after sorting, for the rows kept only.
    rows = (
        sa.select(
            hits.c.kind, hits.c.id, hits.c.code, hits.c.label, hits.c.detail,
            sa.func.ST_X(point).label("lon"), sa.func.ST_Y(point).label("lat"),
            sa.func.ST_XMin(hits.c.geom).label("minx"), sa.func.ST_YMin(hits.c.geom).label("miny"),
            sa.func.ST_XMax(hits.c.geom).label("maxx"), sa.func.ST_YMax(hits.c.geom).label("maxy"),
        )
        .order_by(
            hits.c.rank, sa.func.length(hits.c.label),
            sa.case({kind: i for i, kind in enumerate(KINDS)}, value=hits.c.kind),
            hits.c.label, hits.c.id, hits.c.code,
        )
        .limit(query.limit)
    )  # fmt: skip
    with read_connection(engine) as conn:
        result = conn.execute(rows).all()
    return [
        {
            "kind": r.kind, "id": r.id, "code": r.code, "label": r.label, "detail": r.detail,
            "lon": r.lon, "lat": r.lat, "bbox": [r.minx, r.miny, r.maxx, r.maxy],
        }
        for r in result
    ]  # fmt: skip
