"""What a printed sheet needs, read from the database and handed to :mod:`map_ui.print`.

One grid's sheet: the grid in force, its community and street names, the grids in force
around it, the buildings (with whether each is assigned to the grid), compounds and
facilities within a margin of it, and its staff. A community's overview: its boundary,
grids in force, buildings and staff. Geometries come out as WKB in EPSG:4326; all
measuring and drawing happens in ``map_ui``. Roads are not stored in the database: a roads
file may be named in ``WANGGE_PRINT_ROADS`` (read once per file version).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import shapely
import sqlalchemy as sa
from geoalchemy2 import Geography, Geometry
from sqlalchemy.engine import Connection, Engine

from api import models as m
from api.plans.reading import in_force
from api.settings import Settings
from gis.errors import NotFoundError
from map_ui.print.content import CommunitySheet, GridSheet, SheetOptions

#: Distance around a grid within which layers are read, in metres.
MARGIN_M = 400.0


def _frame(conn: Connection, query: sa.Select, geom: str = "geom") -> gpd.GeoDataFrame:
    """Rows of ``query`` with WKB column ``geom`` as a GeoDataFrame in EPSG:4326."""
    rows = conn.execute(query).mappings().all()
    data = [{k: v for k, v in row.items() if k != geom} for row in rows]
    shapes = shapely.from_wkb([bytes(row[geom]) for row in rows]) if rows else []
    return gpd.GeoDataFrame(data, geometry=list(shapes), crs="EPSG:4326")


def _wkb(column: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.ST_AsBinary(column, type_=sa.LargeBinary).label("geom")


def _grid_row(conn: Connection, code: str, at: date) -> sa.RowMapping:
    g, p = m.grid, m.grid_plan
    query = (
        sa.select(g.c.id, g.c.plan_id, g.c.code, g.c.seq, g.c.community_code, g.c.households,
                  g.c.buildings, g.c.area_m2, _wkb(g.c.geometry))
        .join(p, p.c.id == g.c.plan_id).where(in_force(at), g.c.code == code)
    )  # fmt: skip
    row = conn.execute(query).mappings().one_or_none()
    if row is None:
        raise NotFoundError(
            f"there is no grid {code} in force", fix="give the code of a grid in force (GET /grids)"
        )
    return row


def _community(conn: Connection, code: str) -> sa.RowMapping:
    c = m.community
    query = sa.select(c.c.code, c.c.name, c.c.street_name, c.c.street_code, _wkb(c.c.boundary))
    row = conn.execute(query.where(c.c.code == code)).mappings().one_or_none()
    if row is None:
        raise NotFoundError(f"there is no community {code}", fix="give a 12-digit community code")
    return row


def _street_name(conn: Connection, community: sa.RowMapping) -> str:
    if community["street_name"]:
        return str(community["street_name"])
    s = m.street
    name = conn.execute(sa.select(s.c.name).where(s.c.code == community["street_code"]))
    return str(name.scalar_one_or_none() or "")


def _reach(grid_id: int) -> sa.ScalarSelect:
    """The grid's envelope grown by :data:`MARGIN_M` metres (on the spheroid), EPSG:4326."""
    g = m.grid
    grown = sa.func.ST_Buffer(sa.cast(g.c.geometry, Geography(srid=m.SRID)), MARGIN_M,
                              type_=Geography(srid=m.SRID))  # fmt: skip
    envelope = sa.func.ST_Envelope(sa.cast(grown, Geometry(srid=m.SRID)))
    return sa.select(envelope).where(g.c.id == grid_id).scalar_subquery()


def _staff(conn: Connection, codes: list[str]) -> dict[str, list[dict]]:
    s = m.grid_staff
    query = (
        sa.select(s.c.grid_code, s.c.name, s.c.post, s.c.duties, s.c.phone, s.c.photo_path)
        .where(s.c.grid_code.in_(codes)).order_by(s.c.post, s.c.name, s.c.id)
    )  # fmt: skip
    found: dict[str, list[dict]] = {code: [] for code in codes}
    for row in conn.execute(query).mappings():
        found[row["grid_code"]].append(dict(row))
    return found


def _with_photos(people: list[dict], photos: Path | None) -> list[dict]:
    """Staff with ``photo``: the file of their ``photo_path`` under ``photos``, if it exists."""
    for person in people:
        path = photos / person["photo_path"] if photos and person.get("photo_path") else None
        person["photo"] = str(path) if path is not None and path.is_file() else None
    return people


def grid_sheet(
    engine: Engine,
    code: str,
    at: date,
    roads: gpd.GeoDataFrame | None = None,
    photos: Path | None = None,
) -> GridSheet:
    """The sheet of grid ``code`` as in force on day ``at``.

    Staff photos are read from ``photos`` (their ``photo_path`` is relative to it).

    Raises
    ------
    NotFoundError
        No grid with this code is in force on that day.
    """
    g, p, b, a = m.grid, m.grid_plan, m.building, m.grid_assignment
    with engine.connect() as conn:
        grid = _grid_row(conn, code, at)
        community = _community(conn, grid["community_code"])
        reach = _reach(grid["id"])
        assigned = sa.exists().where(
            a.c.building_id == b.c.id, a.c.grid_id == grid["id"]
        ).label("inside")  # fmt: skip
        buildings = _frame(conn, sa.select(
            b.c.name, b.c.households, b.c.households_estimated, assigned, _wkb(b.c.footprint),
        ).where(sa.func.ST_Intersects(b.c.footprint, reach)))  # fmt: skip
        c = m.compound
        compounds = _frame(conn, sa.select(c.c.name, _wkb(c.c.outline)).where(
            sa.func.ST_Intersects(c.c.outline, reach)))  # fmt: skip
        f, fc = m.facility, m.facility_class
        facilities = _frame(conn, sa.select(
            f.c.class_code, fc.c.name.label("class_name"), f.c.name, _wkb(f.c.location),
        ).join(fc, fc.c.code == f.c.class_code).where(
            sa.func.ST_Intersects(f.c.location, reach), f.c.status != "removed",
        ))  # fmt: skip
        cm = m.community
        neighbours = _frame(conn, sa.select(
            g.c.code, g.c.seq, cm.c.name.label("community_name"), _wkb(g.c.geometry),
        ).join(p, p.c.id == g.c.plan_id).outerjoin(cm, cm.c.code == g.c.community_code).where(
            in_force(at), g.c.code != code, sa.func.ST_Intersects(g.c.geometry, reach),
        ))  # fmt: skip
        staff = _with_photos(_staff(conn, [code])[code], photos)
        street = _street_name(conn, community)
    inside = buildings[buildings["inside"]] if not buildings.empty else buildings
    return GridSheet(
        code=code, seq=grid["seq"], street_name=street, community_name=community["name"],
        geometry=shapely.from_wkb(bytes(grid["geom"])), households=grid["households"],
        buildings=grid["buildings"], area_m2=grid["area_m2"], buildings_layer=buildings,
        neighbours=neighbours, community=shapely.from_wkb(bytes(community["geom"])),
        compounds=compounds, facilities=facilities, roads=roads, staff=staff,
        households_estimated=bool(len(inside) and inside["households_estimated"].any()),
        community_code=grid["community_code"],
    )  # fmt: skip


def community_sheet(
    engine: Engine, code: str, at: date, roads: gpd.GeoDataFrame | None = None
) -> CommunitySheet:
    """The overview of community ``code``: its grids in force on day ``at`` and their staff.

    Raises
    ------
    NotFoundError
        No such community, or it has no grid in force.
    """
    g, p, b = m.grid, m.grid_plan, m.building
    with engine.connect() as conn:
        community = _community(conn, code)
        grids = _frame(conn, sa.select(
            g.c.code, g.c.seq, g.c.households, g.c.buildings, g.c.area_m2, _wkb(g.c.geometry),
        ).join(p, p.c.id == g.c.plan_id).where(
            in_force(at), g.c.community_code == code).order_by(g.c.seq))  # fmt: skip
        if grids.empty:
            raise NotFoundError(
                f"community {code} has no grid in force", fix="publish a plan covering it"
            )
        boundary = m.community.c.boundary
        outline = sa.select(boundary).where(m.community.c.code == code).scalar_subquery()
        buildings = _frame(conn, sa.select(b.c.name, _wkb(b.c.footprint)).where(
            sa.func.ST_Intersects(b.c.footprint, outline)))  # fmt: skip
        staff = _staff(conn, list(grids["code"]))
        street = _street_name(conn, community)
    return CommunitySheet(
        code=code, name=community["name"], street_name=street,
        boundary=shapely.from_wkb(bytes(community["geom"])), grids=grids, buildings=buildings,
        roads=roads, staff=staff,
    )  # fmt: skip


def grid_codes(engine: Engine, area: str, at: date) -> list[str]:
    """Codes of the grids in force on day ``at`` within a street or community code, in order."""
    g, p = m.grid, m.grid_plan
    query = (
        sa.select(g.c.code).join(p, p.c.id == g.c.plan_id)
        .where(in_force(at), g.c.code.startswith(area, autoescape=True)).order_by(g.c.code)
    )  # fmt: skip
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


@lru_cache(maxsize=4)
def _roads_file(path: str, mtime: float) -> gpd.GeoDataFrame:
    return gpd.read_file(path).to_crs("EPSG:4326")


def roads(settings: Settings) -> gpd.GeoDataFrame | None:
    """The roads named by ``WANGGE_PRINT_ROADS``, or ``None``."""
    path = settings.prints.print_roads
    if path is None or not Path(path).is_file():
        return None
    return _roads_file(str(path), Path(path).stat().st_mtime)


def sheet_options(settings: Settings, paper: str = "A4", orientation: str = "auto") -> SheetOptions:
    """Print options from the settings: QR address, mapping unit, attribution."""
    return SheetOptions(
        paper=paper, orientation=orientation, public_url=settings.prints.public_url,
        mapping_unit=settings.prints.mapping_unit,
        attribution=settings.prints.print_attribution or settings.server.map_attribution,
    )  # fmt: skip


def atlas_sheets(
    engine: Engine, settings: Settings, code: str, at: date | None = None
) -> tuple[CommunitySheet, list[GridSheet]]:
    """The overview and every grid's sheet of community ``code``, as in force on ``at``.

    Raises
    ------
    NotFoundError
        No such community, or no grid of it in force.
    """
    at = at or date.today()
    road_layer = roads(settings)
    overview = community_sheet(engine, code, at, road_layer)
    folder = photo_dir(settings)
    return overview, [grid_sheet(engine, c, at, road_layer, folder) for c in overview.grids["code"]]


def photo_dir(settings: Settings) -> Path:
    """The folder staff photos' ``photo_path`` is relative to: ``<data_dir>/photos``."""
    return settings.db.data_dir / "photos"


def street_atlas(
    engine: Engine, settings: Settings, street: str, at: date | None = None
) -> list[tuple[CommunitySheet, list[GridSheet]]]:
    """Each community of street ``street`` with grids in force: its overview and sheets.

    Raises
    ------
    NotFoundError
        No grid of that street is in force.
    """
    at = at or date.today()
    communities = sorted({code[:12] for code in grid_codes(engine, street, at)})
    if not communities:
        raise NotFoundError(
            f"street {street} has no grid in force", fix="give a 9-digit street code"
        )
    return [atlas_sheets(engine, settings, code, at) for code in communities]
