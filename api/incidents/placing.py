"""Placing an incident: its point, and the grid, community, building and facility there.

One statement per report: the community whose boundary covers the point, the grid in force
there today, the building under the point (or the one named, whose footprint centroid
becomes the point), and the nearest facility within :data:`NEAREST_FACILITY_M` metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api import models as m
from api.plans.reading import in_force
from gis.errors import InputError, NotFoundError

#: How far the nearest facility may be, in metres, to be linked to an incident.
NEAREST_FACILITY_M = 100.0


@dataclass(frozen=True)
class Place:
    """Where an incident is: lon/lat (EPSG:4326) and what lies there (codes may be None)."""

    lon: float
    lat: float
    community_code: str | None
    grid_code: str | None
    building_id: int | None
    facility_id: int | None


def building_point(conn: Connection, building_id: int) -> tuple[float, float]:
    """The footprint centroid (lon, lat, EPSG:4326) of building ``building_id``.

    Raises
    ------
    NotFoundError
        If there is no such building.
    """
    b = m.building
    centre = sa.func.ST_Centroid(b.c.footprint)
    row = conn.execute(
        sa.select(sa.func.ST_X(centre), sa.func.ST_Y(centre)).where(b.c.id == building_id)
    ).first()
    if row is None:
        raise NotFoundError(f"there is no building {building_id}", fix="search for it at /search")
    return float(row[0]), float(row[1])


def lookups(
    point: sa.ColumnElement, today: date | sa.ColumnElement[date]
) -> tuple[sa.ScalarSelect, ...]:
    """What lies at ``point`` (EPSG:4326), as four scalar subqueries on GiST indexes.

    The community whose boundary it touches (lowest code first), the grid of a plan in
    force on ``today`` there, the building under it, and the nearest facility within
    :data:`NEAREST_FACILITY_M` metres (on the sphere).

    ``point`` may be a literal point (one report) or a column (a set-based UPDATE of many).
    """
    c, g, p, b, f = m.community, m.grid, m.grid_plan, m.building, m.facility
    community = (
        sa.select(c.c.code).where(sa.func.ST_Intersects(c.c.boundary, point))
        .order_by(c.c.code).limit(1).scalar_subquery()
    )  # fmt: skip
    grid = (
        sa.select(g.c.code).join(p, p.c.id == g.c.plan_id)
        .where(in_force(today), sa.func.ST_Intersects(g.c.geometry, point))
        .order_by(g.c.code).limit(1).scalar_subquery()
    )  # fmt: skip
    building = (
        sa.select(b.c.id).where(sa.func.ST_Intersects(b.c.footprint, point))
        .order_by(b.c.id).limit(1).scalar_subquery()
    )  # fmt: skip
    near = sa.and_(  # degrees first, so the GiST index narrows; then metres on the sphere
        sa.func.ST_DWithin(f.c.location, point, NEAREST_FACILITY_M / 50_000),
        sa.func.ST_DWithin(
            sa.func.geography(f.c.location), sa.func.geography(point), NEAREST_FACILITY_M
        ),
    )
    facility = (
        sa.select(f.c.id).where(near)
        .order_by(f.c.location.op("<->")(point)).limit(1).scalar_subquery()
    )  # fmt: skip
    return community, grid, building, facility


def check_degrees(lon: float | None, lat: float | None) -> None:
    """Raise :class:`InputError` unless (``lon``, ``lat``) are longitude/latitude degrees."""
    if lon is None or lat is None:
        raise InputError("no place given", fix="give lon and lat, or a building_id")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(
            f"({lon}, {lat}) is not a longitude/latitude in degrees",
            fix="give lon and lat in EPSG:4326 (WGS84) degrees",
        )


def place(conn: Connection, lon: float, lat: float, building_id: int | None = None) -> Place:
    """What lies at (``lon``, ``lat``): community, grid in force today, building, facility.

    Raises
    ------
    InputError
        If the coordinates are not longitude/latitude degrees.
    """
    check_degrees(lon, lat)
    point = sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), m.SRID)
    community, grid, building, facility = lookups(point, date.today())
    row = conn.execute(sa.select(community, grid, building, facility)).one()
    return Place(lon, lat, row[0], row[1], building_id or row[2], row[3])
