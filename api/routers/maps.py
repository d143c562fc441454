"""The web map pages, their summaries and their static files.

Pages: ``/map`` (every street and community, listed with links), ``/map/streets/{code}`` and
``/map/communities/{code}``. They are built by :mod:`map_ui.page`; their data come from the
GeoJSON and tile API, so a page handler only finds the extent to fit the view to. Two small
JSON answers serve the page's script: facility counts clustered by cell
(``/map/facility-clusters``) and a grid's facilities by class (``/map/grids/{code}/facilities``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp

from api import features, map_queries
from api.deps import get_engine
from api.params import BBox
from map_ui.assets import static_dir
from map_ui.page import BBox as BBoxTuple
from map_ui.page import MapConfig, render_page

router = APIRouter(tags=["maps"])

#: Where ``map_ui/static`` is mounted.
STATIC_PATH = "/static/map"


def static_files() -> ASGIApp:
    """The vendored Leaflet, its plugins and the map's own files, gzipped (STATIC_PATH)."""
    return GZipMiddleware(StaticFiles(directory=static_dir()), minimum_size=1000)


def _static_url(request: Request) -> str:
    return request.scope.get("root_path", "") + STATIC_PATH


def _page(request: Request, title: str, bounds: BBoxTuple | None, **config: object) -> HTMLResponse:
    settings = request.app.state.settings
    full = MapConfig(
        attribution=settings.server.map_attribution, basemap=settings.map.tile_layers(),
        coords=settings.map.basemap_crs, **config,  # type: ignore[arg-type]
    )  # fmt: skip
    return HTMLResponse(render_page(title, bounds, full, _static_url(request)))


@router.get("/map", response_class=HTMLResponse, summary="The web map of every street")
def start_page(request: Request, engine: Engine = Depends(get_engine)) -> HTMLResponse:
    """Every street and community, listed with links, the view fitted to their extent."""
    title = f"{request.app.state.settings.server.title} · 网格地图"
    bounds = features.extent(engine, "communities")
    return _page(request, title, bounds, directory=map_queries.directory(engine))


@router.get(
    "/map/streets/{code}", response_class=HTMLResponse, summary="The web map of a street",
    responses={404: {"description": "no street with this code"}},
)  # fmt: skip
def street_page(code: str, request: Request, engine: Engine = Depends(get_engine)) -> HTMLResponse:
    """One street's communities, grids, buildings and facilities, the view fitted to it."""
    place = map_queries.street_place(engine, code)
    communities = map_queries.street_communities(engine, code)
    return _page(
        request, f"{place.name} · 网格地图", place.bounds, street=code, communities=communities
    )


@router.get(
    "/map/communities/{code}", response_class=HTMLResponse, summary="The web map of a community",
    responses={404: {"description": "no community with this code"}},
)  # fmt: skip
def community_page(
    code: str, request: Request, engine: Engine = Depends(get_engine)
) -> HTMLResponse:
    """One community's grids, buildings and facilities, the view fitted to it."""
    place = map_queries.community_place(engine, code)
    return _page(request, f"{place.name} · 网格地图", place.bounds, community=code)


@router.get(
    "/map/facility-clusters", summary="Facility counts by class, clustered in screen cells",
    responses={422: {"description": "bad bbox, zoom or area code"}},
)  # fmt: skip
def facility_clusters(
    bbox: Annotated[str, Query(description="minx,miny,maxx,maxy in WGS84 degrees")],
    zoom: Annotated[int, Query(description="the map's zoom level, 0–22")],
    area: Annotated[
        str | None, Query(description="a 9-digit street or 12-digit community code")
    ] = None,
    engine: Engine = Depends(get_engine),
) -> dict[str, list[dict]]:
    """``cells``: ``{lon, lat, count}`` per 32-pixel cell (WGS84); ``classes``: class counts."""
    return map_queries.facility_clusters(engine, BBox.parse(bbox), zoom, area)


@router.get(
    "/map/grids/{code}/facilities", summary="A grid's facilities, counted by class",
    responses={404: {"description": "no grid in force with this code"}},
)  # fmt: skip
def grid_facilities(code: str, engine: Engine = Depends(get_engine)) -> list[dict]:
    """``{class_code, class_name, count}`` per facility class inside the grid."""
    return map_queries.grid_facilities(engine, code)
