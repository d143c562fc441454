"""The map layers and their queries: GeoJSON pages, vector tiles and extents.

One registry (:data:`LAYERS`) says, for each layer served, which rows it holds, which
properties it shows in GeoJSON and in tiles, and which filters it takes. Grids are those
in force today (published plans, see :func:`api.plans.reading.in_force`), and a building's
``grid_code`` is its grid in those plans.

Every query is SQLAlchemy Core with bound values. Tiles follow the PostGIS recipe:
features ``&&`` the tile envelope (in EPSG:4326, so the GiST index serves),
``ST_AsMVTGeom`` in a CTE, ``ST_AsMVT`` over it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Literal

import sqlalchemy as sa
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.engine import Engine

from api import models as m
from api.database import fetch_one
from api.params import BBox, Paging, TileXYZ
from api.plans.reading import in_force
from gis.chinacoords import wgs84_to_gcj02
from gis.errors import InputError, NotFoundError

#: A day: a date, or a bound parameter giving one when the statement is run.
Day = date | sa.ColumnElement[date]

#: Side of the web-mercator square, in metres (EPSG:3857).
WORLD_M = 2 * 20037508.342789244
#: Vector tile extent (units per tile side) and buffer around it, in tile units.
EXTENT, BUFFER = 4096, 64
#: Polygons of simplifying layers are simplified below this zoom.
SIMPLIFY_BELOW = 14
#: Decimal places of GeoJSON coordinates (1e-7° ≈ 1 cm).
PRECISION = 7

FieldType = Literal["String", "Number", "Boolean"]


@dataclass(frozen=True)
class Layer:
    """A layer served as GeoJSON and vector tiles.

    Attributes
    ----------
    name, title : str
        The name in URLs, and a zh-CN title.
    geometry_type : {"Polygon", "Point"}
        Kind of geometry (polygons are stored as MultiPolygons).
    key : str
        The property that identifies a feature (its GeoJSON ``id``; pages are ordered by it).
    fields : dict
        GeoJSON properties: name → ``String``/``Number``/``Boolean``.
    tile_fields : tuple of str
        The properties carried in vector tiles.
    filters : dict
        Filter parameter → the property it compares.
    source : callable
        ``source(day)`` selects the properties and the geometry (as ``geom``) on ``day``.
    minzoom : int
        Below this zoom its tiles are empty (too many features to draw).
    simplify : bool
        Simplify polygons at low zoom before tiling.
    """

    name: str
    title: str
    geometry_type: Literal["Polygon", "Point"]
    key: str
    fields: dict[str, FieldType]
    tile_fields: tuple[str, ...]
    filters: dict[str, str]
    source: Callable[[Day], sa.Select] = field(repr=False)
    minzoom: int = 0
    simplify: bool = False

    def subquery(self, day: date | None = None) -> sa.Subquery:
        """The layer's rows on ``day`` (default today) as a subquery named ``src``."""
        return self.source(day or date.today()).subquery("src")


def _streets(day: Day) -> sa.Select:
    s = m.street
    return sa.select(s.c.code, s.c.name, s.c.boundary.label("geom"))


def _communities(day: Day) -> sa.Select:
    c = m.community
    return sa.select(c.c.code, c.c.name, c.c.street_code, c.c.street_name,
                     c.c.boundary.label("geom"))  # fmt: skip


def _compounds(day: Day) -> sa.Select:
    c = m.compound
    return sa.select(c.c.id, c.c.name, c.c.community_code, c.c.outline.label("geom"))


def assigned_grids(day: Day) -> sa.Subquery:
    """Each building's grid code in the plans in force on ``day``."""
    a, g, p = m.grid_assignment, m.grid, m.grid_plan
    return (
        sa.select(a.c.building_id, g.c.code.label("grid_code"))
        .join(g, g.c.id == a.c.grid_id)
        .join(p, p.c.id == a.c.plan_id)
        .where(in_force(day))
        .subquery("assigned")
    )


def _buildings(day: Day) -> sa.Select:
    b, c = m.building, m.compound
    assigned = assigned_grids(day)
    return (
        sa.select(
            b.c.id, b.c.name, b.c.address, b.c.use, b.c.residential, b.c.floors, b.c.households,
            b.c.households_estimated, b.c.community_code, b.c.compound_id,
            c.c.name.label("compound_name"), assigned.c.grid_code, b.c.footprint.label("geom"),
        )
        .select_from(b)
        .outerjoin(c, c.c.id == b.c.compound_id)
        .outerjoin(assigned, assigned.c.building_id == b.c.id)
    )  # fmt: skip


def _grids(day: Day) -> sa.Select:
    g, p, c = m.grid, m.grid_plan, m.community
    return (
        sa.select(
            g.c.code, g.c.community_code, c.c.name.label("community_name"), g.c.seq, g.c.kind,
            g.c.households, g.c.buildings, g.c.area_m2, g.c.plan_id, g.c.geometry.label("geom"),
        )
        .select_from(g)
        .join(p, p.c.id == g.c.plan_id)
        .outerjoin(c, c.c.code == g.c.community_code)
        .where(in_force(day))
    )  # fmt: skip


def _facilities(day: Day) -> sa.Select:
    f, k = m.facility, m.facility_class
    return (
        sa.select(
            f.c.id, f.c.code, f.c.class_code, k.c.name.label("class_name"), f.c.name, f.c.status,
            f.c.community_code, f.c.location.label("geom"),
        )
        .select_from(f)
        .join(k, k.c.code == f.c.class_code)
    )  # fmt: skip


S: FieldType = "String"
N: FieldType = "Number"
B: FieldType = "Boolean"
_COMMUNITY = {"community_code": "community_code"}

#: Every layer served, by URL name.
LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "streets", "街道", "Polygon", "code", {"code": S, "name": S}, ("code", "name"), {},
            _streets, simplify=True,
        ),
        Layer(
            "communities", "社区", "Polygon", "code",
            {"code": S, "name": S, "street_code": S, "street_name": S}, ("code", "name"),
            {"community_code": "code"}, _communities, simplify=True,
        ),
        Layer(
            "compounds", "小区", "Polygon", "id", {"id": N, "name": S, "community_code": S},
            ("id", "name", "community_code"), _COMMUNITY, _compounds, simplify=True,
        ),
        Layer(
            "buildings", "建筑", "Polygon", "id",
            {"id": N, "name": S, "address": S, "use": S, "residential": B, "floors": N,
             "households": N, "households_estimated": B, "community_code": S,
             "compound_id": N, "compound_name": S, "grid_code": S},
            ("id", "name", "households", "households_estimated", "community_code", "grid_code",
             "compound_name"),
            {**_COMMUNITY, "grid_code": "grid_code"}, _buildings, minzoom=13,
        ),
        Layer(
            "grids", "网格", "Polygon", "code",
            {"code": S, "community_code": S, "community_name": S, "seq": N, "kind": S,
             "households": N, "buildings": N, "area_m2": N, "plan_id": N},
            ("code", "seq", "households", "community_code"),
            {**_COMMUNITY, "grid_code": "code"}, _grids, simplify=True,
        ),
        Layer(
            "facilities", "部件设施", "Point", "id",
            {"id": N, "code": S, "class_code": S, "class_name": S, "name": S, "status": S,
             "community_code": S},
            ("id", "code", "class_code", "class_name", "name", "status", "community_code"),
            {**_COMMUNITY, "class_code": "class_code"}, _facilities, minzoom=13,
        ),
    )
}  # fmt: skip


def read_connection(engine: Engine) -> sa.Connection:
    """A pooled connection in autocommit, for one read-only query.

    Without a transaction a read is one round trip instead of three (BEGIN, the query,
    ROLLBACK): a point lookup takes about 0.3 ms instead of 1 ms on a local socket.
    """
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def get_layer(name: str) -> Layer:
    """The layer called ``name``.

    Raises
    ------
    NotFoundError
        If there is no such layer; the message lists those there are.
    """
    try:
        return LAYERS[name]
    except KeyError:
        raise NotFoundError(
            f"there is no layer {name!r}", fix=f"use one of: {', '.join(LAYERS)}"
        ) from None


def _conditions(
    layer: Layer, src: sa.Subquery, bbox: BBox | None, filters: dict[str, str]
) -> list[sa.ColumnElement[bool]]:
    unknown = sorted(set(filters) - set(layer.filters))
    if unknown:
        takes = ", ".join(layer.filters) or "no property filters"
        raise InputError(
            f"layer {layer.name} cannot be filtered by {', '.join(unknown)}",
            fix=f"layer {layer.name} takes {takes}",
        )
    where = [src.c[layer.filters[name]] == value for name, value in filters.items()]
    if bbox is not None:
        envelope = sa.func.ST_MakeEnvelope(bbox.minx, bbox.miny, bbox.maxx, bbox.maxy, m.SRID)
        where.append(sa.func.ST_Intersects(src.c.geom, envelope))
    return where


@dataclass
class FeaturePage:
    """One page of a layer's features, counted, and read from the database as it is sent.

    The page holds a database connection from :func:`feature_page` until its features
    have been read or :meth:`close` is called.

    Attributes
    ----------
    layer : Layer
        The layer.
    matched : int
        Features matching the bbox and filters, on every page.
    paging : Paging
        The page's limit and offset.
    """

    layer: Layer
    matched: int
    paging: Paging
    _conn: sa.Connection = field(repr=False)
    _query: sa.Select = field(repr=False)

    @property
    def more(self) -> bool:
        """Whether features remain after this page."""
        return self.paging.offset + self.paging.limit < self.matched

    def features(self) -> Iterator[str]:
        """Each feature as GeoJSON text, streamed from a server-side cursor."""
        try:
            options = {"stream_results": True, "max_row_buffer": 1000}
            yield from self._conn.execution_options(**options).execute(self._query).scalars()
        finally:
            self.close()

    def close(self) -> None:
        """Give the connection back (again is harmless)."""
        self._conn.close()


def _feature_json(layer: Layer, src: sa.Subquery, flip_axes: bool = False) -> sa.ColumnElement[str]:
    """One row as GeoJSON Feature text, built by PostgreSQL (latitude first if ``flip_axes``)."""
    properties = sa.func.json_build_object(
        *(part for name in layer.fields for part in (name, src.c[name]))
    )
    geom: sa.ColumnElement = src.c.geom
    if flip_axes:
        geom = sa.func.ST_FlipCoordinates(geom)
    geometry = sa.cast(sa.func.ST_AsGeoJSON(geom, PRECISION), JSON)
    feature = sa.func.json_build_object(
        "type", "Feature", "id", src.c[layer.key], "geometry", geometry, "properties", properties
    )
    return sa.cast(feature, sa.Text)


def feature_page(
    engine: Engine,
    name: str,
    *,
    bbox: BBox | None = None,
    paging: Paging | None = None,
    filters: dict[str, str] | None = None,
    flip_axes: bool = False,
) -> FeaturePage:
    """Count a layer's matching features and prepare to stream one page of them.

    Parameters
    ----------
    engine : Engine
        The database.
    name : str
        The layer (see :data:`LAYERS`).
    bbox : BBox, optional
        Only features intersecting it.
    paging : Paging, optional
        Limit and offset (default the first 100); features are ordered by the layer's key.
    filters : dict, optional
        Filter parameter → value; each must be one the layer takes.
    flip_axes : bool
        Write coordinates latitude first (the axis order of EPSG:4326 and EPSG:4490).

    Raises
    ------
    NotFoundError
        Unknown layer.
    InputError
        A filter the layer does not take.
    """
    layer = get_layer(name)
    paging = paging or Paging()
    src = layer.subquery()
    where = _conditions(layer, src, bbox, filters or {})
    count = sa.select(sa.func.count()).select_from(src).where(*where)
    query = (
        sa.select(_feature_json(layer, src, flip_axes))
        .where(*where)
        .order_by(src.c[layer.key])
        .limit(paging.limit)
        .offset(paging.offset)
    )
    conn = engine.connect()
    try:
        matched = conn.execute(count).scalar_one()
    except BaseException:
        conn.close()
        raise
    return FeaturePage(layer, matched, paging, conn, query)


def feature(engine: Engine, name: str, key: str, *, flip_axes: bool = False) -> str:
    """One feature of a layer, by its key, as GeoJSON text.

    Parameters
    ----------
    engine : Engine
        The database.
    name : str
        The layer.
    key : str
        The value of the layer's key (a number for layers keyed by ``id``).
    flip_axes : bool
        Write coordinates latitude first.

    Raises
    ------
    NotFoundError
        Unknown layer, or no feature with that key.
    """
    layer = get_layer(name)
    missing = NotFoundError(f"layer {name} has no feature {key!r}")
    value: str | int = key
    if layer.fields[layer.key] == "Number":
        if not (key.isascii() and key.isdigit() and len(key) <= 18):  # fits a bigint
            raise missing
        value = int(key)
    src = layer.subquery()
    query = sa.select(_feature_json(layer, src, flip_axes)).where(src.c[layer.key] == value)
    with read_connection(engine) as conn:
        text = conn.execute(query).scalar_one_or_none()
    if text is None:
        raise missing
    return text


def tile_margin(z: int) -> float:
    """The tile buffer at zoom ``z``, in EPSG:3857 metres."""
    return WORLD_M / 2**z * BUFFER / EXTENT


@cache
def tile_statement(name: str, *, simplify: bool, shifted: bool) -> sa.Select:
    """``ST_AsMVT`` of layer ``name``'s features in a tile: one bytea, empty when none.

    Built once per layer and variant, with the tile bound as parameters (see
    :func:`tile_params`): ``z``, ``x``, ``y``, ``margin`` (the buffer in EPSG:3857
    metres), ``day``, and ``tolerance`` (degrees) with ``simplify``, ``dx``/``dy``
    (degrees) with ``shifted``, which moves every feature before tiling and picks the
    features that land in the tile once moved (see :func:`gcj02_shift`).
    """
    layer = get_layer(name)
    src = layer.source(sa.bindparam("day", type_=sa.Date)).subquery("src")
    z, x, y = (sa.bindparam(k, type_=sa.Integer) for k in "zxy")
    envelope = sa.func.ST_TileEnvelope(z, x, y)
    margin = sa.bindparam("margin", type_=sa.Float)
    envelope_4326 = sa.func.ST_Transform(sa.func.ST_Expand(envelope, margin), m.SRID)
    geom: sa.ColumnElement = src.c.geom
    if shifted:
        dx, dy = sa.bindparam("dx", type_=sa.Float), sa.bindparam("dy", type_=sa.Float)
        geom = sa.func.ST_Translate(geom, dx, dy)
        envelope_4326 = sa.func.ST_Translate(envelope_4326, -dx, -dy)
    if simplify:
        # Douglas-Peucker in degrees before reprojecting: a quarter of a pixel's width in
        # longitude is under half a pixel in latitude below 60° N, and far cheaper (a third
        # of the time at z12) than simplifying in metres or preserving topology.
        geom = sa.func.ST_Simplify(geom, sa.bindparam("tolerance", type_=sa.Float), True)
    geom = sa.func.ST_Transform(geom, 3857)
    mvt_geom = sa.func.ST_AsMVTGeom(geom, envelope, EXTENT, BUFFER, True).label("geom")
    cte = (
        sa.select(mvt_geom, *(src.c[field] for field in layer.tile_fields))
        .where(src.c.geom.op("&&")(envelope_4326))
        .cte("mvtgeom")
    )
    # ST_AsMVT skips rows whose geometry vanished (NULL); filtering them here would make
    # PostgreSQL compute ST_AsMVTGeom twice.
    return sa.select(
        sa.func.ST_AsMVT(
            cte.table_valued(), layer.name, EXTENT, "geom", type_=sa.LargeBinary
        ).label("tile")
    )


def tile_params(
    layer: Layer, tile: TileXYZ, shift: tuple[float, float] | None = None, day: date | None = None
) -> tuple[sa.Select, dict]:
    """The statement of ``layer``'s ``tile`` (:func:`tile_statement`) and its parameters."""
    simplify = layer.simplify and tile.z < SIMPLIFY_BELOW
    params = {"z": tile.z, "x": tile.x, "y": tile.y, "margin": tile_margin(tile.z),
              "day": day or date.today()}  # fmt: skip
    if simplify:
        params["tolerance"] = 360 / 2**tile.z / EXTENT / 4
    if shift is not None:
        params["dx"], params["dy"] = shift
    return tile_statement(layer.name, simplify=simplify, shifted=shift is not None), params


def gcj02_shift(tile: TileXYZ) -> tuple[float, float]:
    """The WGS84 → GCJ-02 offset at the centre of ``tile``, in degrees (lon, lat).

    One offset per tile is enough: inside China the offset changes by under 7 mm per metre
    moved, so from a tile's centre to its edge (128 pixels) it drifts by under one pixel at
    every zoom, and a feature keeps its shape.
    """
    n = 2**tile.z
    lon = (tile.x + 0.5) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (tile.y + 0.5) / n))))
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    return float(gcj_lon) - lon, float(gcj_lat) - lat


async def tile_async(
    pool: AsyncConnectionPool, name: str, xyz: TileXYZ, *, gcj02: bool = False
) -> bytes:
    """The vector tile ``xyz`` of a layer (empty below the layer's minzoom or without features).

    With ``gcj02`` the features are shifted to GCJ-02 (AMap-style basemaps), so that the
    tile matches a basemap's tile ``xyz``. Run on an async psycopg pool: the serving loop
    waits for it without a thread.

    Raises
    ------
    NotFoundError
        Unknown layer.
    """
    layer = get_layer(name)
    if xyz.z < layer.minzoom:
        return b""
    statement, params = tile_params(layer, xyz, gcj02_shift(xyz) if gcj02 else None)
    row = await fetch_one(pool, statement, params, binary=True)
    return bytes(row["tile"] or b"") if row else b""


def extent(engine: Engine, name: str) -> tuple[float, float, float, float] | None:
    """A layer's extent (minx, miny, maxx, maxy in EPSG:4326), ``None`` when it is empty.

    Raises
    ------
    NotFoundError
        Unknown layer.
    """
    src = get_layer(name).subquery()
    box = sa.func.ST_Extent(src.c.geom)
    query = sa.select(
        sa.func.ST_XMin(box), sa.func.ST_YMin(box), sa.func.ST_XMax(box), sa.func.ST_YMax(box)
    )
    with read_connection(engine) as conn:
        row = conn.execute(query).one()
    if row[0] is None:
        return None
    minx, miny, maxx, maxy = (float(v) for v in row)
    return minx, miny, maxx, maxy


#: Highest zoom TileJSON advertises: past it clients enlarge the last tiles.
TILEJSON_MAXZOOM = 18
#: Web-mercator latitude limit, for the bounds of an empty layer.
MERCATOR_LAT = 85.0511287798066


def tilejson(engine: Engine, name: str, tiles_url: str) -> dict:
    """The TileJSON 3.0.0 document of a layer's tiles.

    Parameters
    ----------
    engine : Engine
        The database (for the data's bounds).
    name : str
        The layer.
    tiles_url : str
        The tile URL template, with ``{z}``, ``{x}`` and ``{y}``.

    Raises
    ------
    NotFoundError
        Unknown layer.
    """
    layer = get_layer(name)
    bounds = extent(engine, name) or (-180.0, -MERCATOR_LAT, 180.0, MERCATOR_LAT)
    zoom = max(layer.minzoom, 14)
    fields = {f: layer.fields[f] for f in layer.tile_fields}
    return {
        "tilejson": "3.0.0",
        "name": layer.name,
        "description": f"{layer.title} ({layer.name})",
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": layer.minzoom,
        "maxzoom": TILEJSON_MAXZOOM,
        "bounds": list(bounds),
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, zoom],
        "vector_layers": [
            {
                "id": layer.name,
                "description": layer.title,
                "minzoom": layer.minzoom,
                "maxzoom": TILEJSON_MAXZOOM,
                "fields": fields,
            }
        ],
    }
