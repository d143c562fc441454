"""``GET /lookup``: which street, community and grid a point lies in; ``GET /search``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api import lookup as finding
from api.deps import get_engine
from api.params import LonLat, SearchQuery

router = APIRouter(tags=["lookup"])


class Point(BaseModel):
    """A WGS84 point."""

    lon: float
    lat: float


class Named(BaseModel):
    """A street or community."""

    code: str
    name: str | None


class Person(BaseModel):
    """A grid worker: post A (specialised duty) or B (the grid)."""

    id: int
    name: str
    post: Literal["A", "B"]
    duties: str
    phone: str
    photo_path: str | None


class GridFound(BaseModel):
    """The grid in force at the point, with its staff."""

    code: str
    name: str
    seq: int
    households: int
    buildings: int
    area_m2: float
    plan_id: int
    staff: list[Person]


class LookupAnswer(BaseModel):
    """Where a point lies: street, community and grid (``null`` if no grid is in force)."""

    point: Point
    street: Named
    community: Named
    grid: GridFound | None


class SearchHit(BaseModel):
    """A feature found by name, address or code, with where to show it."""

    kind: Literal["grid", "compound", "building", "facility"]
    id: int | None
    code: str | None
    label: str
    detail: str | None
    lon: float
    lat: float
    bbox: tuple[float, float, float, float]


# /lookup is the hotline's question, asked all day. A well-formed request is answered by
# api.fast_lookup before routing; this route documents it (OpenAPI) and answers the rest
# (errors above all). FastAPI runs every sync dependency and handler in its thread pool, one
# hop each, so the point and the engine come from async dependencies and the query takes
# the only hop.
Lon = Annotated[float, Query(description="longitude, WGS84 degrees", examples=[118.79])]
Lat = Annotated[float, Query(description="latitude, WGS84 degrees", examples=[32.045])]


async def point_query(lon: Lon, lat: Lat) -> LonLat:
    """Dependency: ``lon`` and ``lat`` as a checked :class:`LonLat`, without a thread hop."""
    return LonLat(lon=lon, lat=lat)


async def engine_now(request: Request) -> Engine:
    """Dependency: the app's engine, without a thread hop."""
    return request.app.state.engine


@router.get(
    "/lookup",
    response_model=LookupAnswer,
    summary="Street, community and grid at a point, with the grid's staff",
    responses={404: {"description": "no community contains the point"}},
)
async def lookup(
    point: Annotated[LonLat, Depends(point_query)], engine: Engine = Depends(engine_now)
) -> JSONResponse:
    """The street, community and grid in force containing ``lon``/``lat`` (WGS84)."""
    answer = await run_in_threadpool(finding.lookup, engine, point)
    # Sent as built: the model documents the answer (tests/api/test_lookup.py checks its
    # shape); validating and encoding it through the model again would only cost CPU.
    return JSONResponse(answer)


@router.get(
    "/search",
    response_model=list[SearchHit],
    summary="Find buildings, compounds, grids and facilities by part of a name or code",
)
def search(
    query: Annotated[SearchQuery, Depends()], engine: Engine = Depends(get_engine)
) -> list[dict]:
    """Partial, case-insensitive matches, best first, each with a point and a bbox."""
    return finding.search(engine, query)
