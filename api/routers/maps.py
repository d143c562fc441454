"""The web map pages, ``/map`` and ``/map/communities/{code}``, and their static files.

The pages are built by :mod:`map_ui.page`; their data come from the GeoJSON API by viewport,
so a handler only finds the extent to fit the view to.
"""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from api import features
from api import models as m
from api.deps import get_engine
from gis.errors import NotFoundError
from map_ui.assets import static_dir
from map_ui.page import BBox, MapConfig, render_page

router = APIRouter(tags=["maps"])

#: Where ``map_ui/static`` is mounted.
STATIC_PATH = "/static/map"


def static_files() -> StaticFiles:
    """The vendored Leaflet and the map's own script and style, to mount at STATIC_PATH."""
    return StaticFiles(directory=static_dir())


def _static_url(request: Request) -> str:
    return request.scope.get("root_path", "") + STATIC_PATH


def community_extent(engine: Engine, code: str) -> tuple[str | None, BBox | None]:
    """Name and extent (minx, miny, maxx, maxy, EPSG:4326) of community ``code``.

    Raises
    ------
    NotFoundError
        If there is no community with this code.
    """
    c = m.community
    box = sa.func.ST_Envelope(c.c.boundary)
    query = sa.select(
        c.c.name, sa.func.ST_XMin(box), sa.func.ST_YMin(box), sa.func.ST_XMax(box),
        sa.func.ST_YMax(box),
    ).where(c.c.code == code)  # fmt: skip
    with features.read_connection(engine) as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFoundError(f"there is no community {code!r}", fix="see /map for the communities")
    name, minx, miny, maxx, maxy = row
    if minx is None:
        return name, None
    return name, (float(minx), float(miny), float(maxx), float(maxy))


@router.get("/map", response_class=HTMLResponse, summary="The web map of every community")
def start_page(request: Request, engine: Engine = Depends(get_engine)) -> HTMLResponse:
    """Every community, the view fitted to their extent."""
    title = f"{request.app.state.settings.server.title} · 网格地图"
    bounds = features.extent(engine, "communities")
    config = MapConfig(attribution=request.app.state.settings.server.map_attribution)
    return HTMLResponse(render_page(title, bounds, config, _static_url(request)))


@router.get(
    "/map/communities/{code}", response_class=HTMLResponse, summary="The web map of a community",
    responses={404: {"description": "no community with this code"}},
)  # fmt: skip
def community_page(
    code: str, request: Request, engine: Engine = Depends(get_engine)
) -> HTMLResponse:
    """One community's grids, buildings and facilities, the view fitted to it."""
    name, bounds = community_extent(engine, code)
    title = f"{name or code} · 网格地图"
    config = MapConfig(
        community=code, attribution=request.app.state.settings.server.map_attribution
    )
    return HTMLResponse(render_page(title, bounds, config, _static_url(request)))
