"""``GET /lookup``: which street, community and grid a point lies in; ``GET /search``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.engine import Engine

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


@router.get(
    "/lookup",
    response_model=LookupAnswer,
    summary="Street, community and grid at a point, with the grid's staff",
    responses={404: {"description": "no community contains the point"}},
)
def lookup(point: Annotated[LonLat, Depends()], engine: Engine = Depends(get_engine)) -> dict:
    """The street, community and grid in force containing ``lon``/``lat`` (WGS84)."""
    return finding.lookup(engine, point)


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
