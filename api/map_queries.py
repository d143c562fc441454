"""The queries only the web map asks: its directory, extents and facility counts.

The map pages draw features from the layers API (:mod:`api.features`); these are the few
summaries a page needs besides: the streets and communities to list on the start page, the
extent to fit a page to, facility counts by class clustered in screen-sized cells (what a
district view shows instead of 100,000 points), and one grid's facilities by class.

Every query is SQLAlchemy Core with bound values.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api import models as m
from api.features import WORLD_M, get_layer, read_connection
from api.params import BBox
from gis.errors import InputError, NotFoundError

BBoxTuple = tuple[float, float, float, float]
#: Side of a counting cell, in screen pixels at the zoom asked for.
CELL_PX = 32
#: Zoom levels the cluster counts are given for.
CLUSTER_ZOOMS = range(0, 23)


@dataclass(frozen=True)
class Place:
    """A street or a community: its code and name, and the extent to fit a map to."""

    code: str
    name: str
    bounds: BBoxTuple | None


def _bounds(row: sa.Row) -> BBoxTuple | None:
    values = row[-4:]
    if values[0] is None:
        return None
    minx, miny, maxx, maxy = (float(v) for v in values)
    return minx, miny, maxx, maxy


def _box(geom: sa.ColumnElement) -> list[sa.ColumnElement]:
    box = sa.func.ST_Extent(geom)
    return [sa.func.ST_XMin(box), sa.func.ST_YMin(box), sa.func.ST_XMax(box), sa.func.ST_YMax(box)]


def community_place(engine: Engine, code: str) -> Place:
    """Community ``code``, with the extent of its boundary.

    Raises
    ------
    NotFoundError
        If there is no community with this code.
    """
    c = m.community
    query = sa.select(c.c.code, c.c.name, *_box(c.c.boundary)).where(c.c.code == code)
    with read_connection(engine) as conn:
        row = conn.execute(query.group_by(c.c.code, c.c.name)).first()
    if row is None:
        raise NotFoundError(f"there is no community {code!r}", fix="see /map for the communities")
    return Place(row.code, row.name, _bounds(row))


def street_place(engine: Engine, code: str) -> Place:
    """Street ``code`` (9 digits), with the extent of its boundary.

    Raises
    ------
    NotFoundError
        If there is no street with this code.
    """
    s = m.street
    query = sa.select(s.c.code, s.c.name, *_box(s.c.boundary)).where(s.c.code == code)
    with read_connection(engine) as conn:
        row = conn.execute(query.group_by(s.c.code, s.c.name)).first()
    if row is None:
        raise NotFoundError(f"there is no street {code!r}", fix="see /map for the streets")
    return Place(row.code, row.name, _bounds(row))


def street_communities(engine: Engine, code: str) -> list[str]:
    """Codes of the communities of street ``code``, in order."""
    c = m.community
    query = sa.select(c.c.code).where(c.c.street_code == code).order_by(c.c.code)
    with read_connection(engine) as conn:
        return list(conn.execute(query).scalars())


def directory(engine: Engine) -> list[dict]:
    """Every street with its communities, by code: ``[{code, name, communities: [...]}]``.

    A community whose street is not loaded is listed under its street code with no name.
    """
    s, c = m.street, m.community
    with read_connection(engine) as conn:
        streets = conn.execute(sa.select(s.c.code, s.c.name).order_by(s.c.code)).all()
        communities = conn.execute(
            sa.select(c.c.code, c.c.name, c.c.street_code, c.c.street_name).order_by(c.c.code)
        ).all()
    listed: dict[str, dict] = {
        row.code: {"code": row.code, "name": row.name, "communities": []} for row in streets
    }
    for row in communities:
        street = listed.setdefault(
            row.street_code,
            {"code": row.street_code, "name": row.street_name or "", "communities": []},
        )
        street["communities"].append({"code": row.code, "name": row.name})
    return sorted(listed.values(), key=lambda street: street["code"])


def facility_clusters(
    engine: Engine, bbox: BBox, zoom: int, area_code: str | None = None
) -> dict[str, list[dict]]:
    """Facility counts in square cells of :data:`CELL_PX` pixels at ``zoom``, and by class.

    Cells are squares of web-mercator metres, so a cell is the same size on screen at
    every latitude; each count sits at the mean position of its facilities. A view holds at
    most a few hundred cells whatever the number of facilities in it, which is what keeps a
    district view light (100,000 facilities would be megabytes as points).

    Parameters
    ----------
    engine : Engine
        The database.
    bbox : BBox
        Only facilities inside it (EPSG:4326).
    zoom : int
        The map's zoom level, 0–22.
    area_code : str, optional
        Only facilities of the communities whose code starts with it (a 9-digit street or
        a 12-digit community).

    Returns
    -------
    dict
        ``cells``: ``{lon, lat, count}`` per cell; ``classes``: ``{class_code, class_name,
        count}`` per class in the box.

    Raises
    ------
    InputError
        A zoom out of range or an area code that is not 9 or 12 digits.
    """
    if zoom not in CLUSTER_ZOOMS:
        raise InputError(f"zoom {zoom} is out of range", fix="give a zoom level from 0 to 22")
    if area_code is not None and not (area_code.isdigit() and len(area_code) in (9, 12)):
        raise InputError(
            f"area {area_code!r} is not a street or community code",
            fix="give a 9-digit street code or a 12-digit community code",
        )
    f, k = m.facility, m.facility_class
    envelope = sa.func.ST_MakeEnvelope(bbox.minx, bbox.miny, bbox.maxx, bbox.maxy, m.SRID)
    where: list[sa.ColumnElement[bool]] = [f.c.location.op("&&")(envelope)]
    if area_code is not None:
        where.append(f.c.community_code.startswith(area_code, autoescape=True))
    cell = WORLD_M / 256 / 2**zoom * CELL_PX
    point = sa.func.ST_Transform(f.c.location, 3857)
    column = sa.func.floor(sa.func.ST_X(point) / cell)
    row = sa.func.floor(sa.func.ST_Y(point) / cell)
    cells = (
        sa.select(
            sa.func.avg(sa.func.ST_X(f.c.location)).label("lon"),
            sa.func.avg(sa.func.ST_Y(f.c.location)).label("lat"),
            sa.func.count().label("n"),
        )
        .where(*where)
        .group_by(column, row)
    )
    classes = (
        sa.select(f.c.class_code, k.c.name, sa.func.count())
        .select_from(f)
        .join(k, k.c.code == f.c.class_code)
        .where(*where)
        .group_by(f.c.class_code, k.c.name)
        .order_by(f.c.class_code)
    )
    with read_connection(engine) as conn:
        return {
            "cells": [
                {
                    "lon": round(float(r.lon), 6),
                    "lat": round(float(r.lat), 6),
                    "count": int(r.n),
                }
                for r in conn.execute(cells)
            ],
            "classes": [
                {"class_code": c, "class_name": n, "count": int(i)}
                for c, n, i in conn.execute(classes)
            ],
        }


def grid_facilities(engine: Engine, code: str) -> list[dict]:
    """Facilities in grid ``code`` (in force today) by class: ``{class_code, class_name, count}``.

    Raises
    ------
    NotFoundError
        If no grid in force has this code.
    """
    grids = get_layer("grids").subquery()
    f, k = m.facility, m.facility_class
    with read_connection(engine) as conn:
        found = conn.execute(sa.select(grids.c.code).where(grids.c.code == code)).first()
        if found is None:
            raise NotFoundError(f"there is no grid {code!r} in force")
        rows = conn.execute(
            sa.select(f.c.class_code, k.c.name, sa.func.count())
            .select_from(f)
            .join(k, k.c.code == f.c.class_code)
            .join(grids, sa.func.ST_Intersects(grids.c.geom, f.c.location))
            .where(grids.c.code == code)
            .group_by(f.c.class_code, k.c.name)
            .order_by(f.c.class_code)
        ).all()
    return [{"class_code": c, "class_name": n, "count": int(i)} for c, n, i in rows]
