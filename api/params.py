"""Query-parameter groups as dependency dataclasses: bbox, paging, tile z/x/y, point, search.

Each group parses and checks its values in one place and raises
:class:`gis.errors.InputError` (422 through ``api.errors``) with a message that says what
is wrong and what is accepted. Routers take them with ``Annotated[Paging, Depends()]``.

This module does not use ``from __future__ import annotations``: FastAPI reads the field
annotations of these classes at run time.
"""

import math
import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Path, Query

from gis.errors import InputError

#: Largest zoom level served as vector tiles.
MAX_ZOOM = 22
#: Most features one page of GeoJSON may hold.
MAX_LIMIT = 10_000
#: Most results one search answers with.
MAX_SEARCH = 100

_CODES = {
    "community_code": (re.compile(r"^[0-9]{12}$"), "a 12-digit community code"),
    "class_code": (re.compile(r"^[0-9]{4}$"), "a 4-digit facility class code"),
    "grid_code": (re.compile(r"^[0-9]{15}$"), "a 15-digit grid code"),
}


@dataclass(frozen=True)
class BBox:
    """A bounding box in EPSG:4326 longitude/latitude degrees.

    Raises
    ------
    InputError
        If a value is not finite, min is not below max, or a value is outside ±180/±90.

    Examples
    --------
    >>> BBox.parse("118.78,32.04,118.80,32.05").maxx
    118.8
    """

    minx: float
    miny: float
    maxx: float
    maxy: float

    def __post_init__(self) -> None:
        values = (self.minx, self.miny, self.maxx, self.maxy)
        if not all(math.isfinite(v) for v in values):
            raise InputError("bbox values must be finite numbers", fix=_BBOX_FIX)
        if not (self.minx < self.maxx and self.miny < self.maxy):
            raise InputError(
                f"bbox {self.text} is empty: minx must be below maxx and miny below maxy",
                fix=_BBOX_FIX,
            )
        if not (-180 <= self.minx and self.maxx <= 180 and -90 <= self.miny and self.maxy <= 90):
            raise InputError(
                f"bbox {self.text} is outside longitude ±180 / latitude ±90", fix=_BBOX_FIX
            )

    @property
    def text(self) -> str:
        """The box as ``minx,miny,maxx,maxy``."""
        return ",".join(f"{v:g}" for v in (self.minx, self.miny, self.maxx, self.maxy))

    @classmethod
    def parse(cls, text: str) -> "BBox":
        """Read ``minx,miny,maxx,maxy``.

        Raises
        ------
        InputError
            If there are not four numbers, or they do not make a box (see the class).
        """
        parts = [p.strip() for p in text.split(",")]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4:
            raise InputError(f"bbox {text!r} is not four numbers", fix=_BBOX_FIX)
        return cls(*values)


_BBOX_FIX = "give bbox=minx,miny,maxx,maxy in WGS84 degrees, e.g. bbox=118.78,32.04,118.80,32.05"


def bbox_query(
    bbox: Annotated[
        str | None,
        Query(
            description="minx,miny,maxx,maxy in WGS84 (EPSG:4326) degrees",
            examples=["118.78,32.04,118.80,32.05"],
        ),
    ] = None,
) -> BBox | None:
    """Dependency: the ``bbox`` query parameter, parsed, or ``None`` when not given."""
    return None if bbox is None else BBox.parse(bbox)


@dataclass
class Paging:
    """Dependency: ``limit`` (1–10,000, default 100) and ``offset`` (≥ 0) of a page."""

    limit: Annotated[int, Query(description=f"features per page, 1–{MAX_LIMIT}")] = 100
    offset: Annotated[int, Query(description="features to skip")] = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InputError(
                f"limit {self.limit} is out of range", fix=f"give a limit from 1 to {MAX_LIMIT}"
            )
        if self.offset < 0:
            raise InputError(f"offset {self.offset} is negative", fix="give an offset of 0 or more")


@dataclass
class TileXYZ:
    """Dependency: the ``z/x/y`` of a web-mercator tile (0 ≤ z ≤ 22, 0 ≤ x, y < 2^z)."""

    z: Annotated[int, Path(description=f"zoom level, 0–{MAX_ZOOM}")]
    x: Annotated[int, Path(description="column, 0 to 2^z − 1, west to east")]
    y: Annotated[int, Path(description="row, 0 to 2^z − 1, north to south")]

    def __post_init__(self) -> None:
        if not 0 <= self.z <= MAX_ZOOM:
            raise InputError(
                f"zoom {self.z} is out of range", fix=f"give a zoom level from 0 to {MAX_ZOOM}"
            )
        top = 2**self.z - 1
        if not (0 <= self.x <= top and 0 <= self.y <= top):
            raise InputError(
                f"tile {self.z}/{self.x}/{self.y} does not exist",
                fix=f"at zoom {self.z}, x and y run from 0 to {top}",
            )


@dataclass
class LonLat:
    """Dependency: a point given as ``lon`` and ``lat`` in WGS84 degrees."""

    lon: Annotated[float, Query(description="longitude, WGS84 degrees", examples=[118.79])]
    lat: Annotated[float, Query(description="latitude, WGS84 degrees", examples=[32.045])]

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lon) and -180 <= self.lon <= 180):
            raise InputError(f"lon {self.lon} is not a longitude", fix="give -180 ≤ lon ≤ 180")
        if not (math.isfinite(self.lat) and -90 <= self.lat <= 90):
            raise InputError(f"lat {self.lat} is not a latitude", fix="give -90 ≤ lat ≤ 90")


@dataclass
class PropertyFilters:
    """Dependency: property filters of a layer's items; a layer refuses those it lacks."""

    community_code: Annotated[
        str | None, Query(description="12-digit community code (社区编码)")
    ] = None
    class_code: Annotated[
        str | None, Query(description="4-digit facility class code (facilities only)")
    ] = None
    grid_code: Annotated[
        str | None, Query(description="15-digit grid code (buildings and grids)")
    ] = None

    def __post_init__(self) -> None:
        for name, value in self.given().items():
            pattern, what = _CODES[name]
            if not pattern.match(value):
                raise InputError(f"{name} {value!r} is not {what}", fix=f"give {what}")

    def given(self) -> dict[str, str]:
        """The filters given, by name."""
        values = {
            "community_code": self.community_code,
            "class_code": self.class_code,
            "grid_code": self.grid_code,
        }
        return {k: v for k, v in values.items() if v is not None}


@dataclass
class SearchQuery:
    """Dependency: search text ``q`` (partial, any case) and ``limit`` (1–100, default 20)."""

    q: Annotated[str, Query(description="part of a name, address or code", max_length=100)]
    limit: Annotated[int, Query(description=f"results, 1–{MAX_SEARCH}")] = 20

    def __post_init__(self) -> None:
        self.q = self.q.strip()
        if not self.q:
            raise InputError("the search text q is empty", fix="give part of a name or code")
        if not 1 <= self.limit <= MAX_SEARCH:
            raise InputError(
                f"limit {self.limit} is out of range", fix=f"give a limit from 1 to {MAX_SEARCH}"
            )


#: A stored row's id in a path (PostgreSQL ``integer``): out-of-range ids are a 422, not a
#: database error.
RowId = Annotated[int, Path(ge=1, le=2_147_483_647, description="the id as listed")]
