"""Vector tiles: ``GET /tiles/{layer}/{z}/{x}/{y}.mvt`` and ``GET /tiles/{layer}.json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from sqlalchemy.engine import Engine

from api import features
from api.deps import get_engine
from api.params import MAX_ZOOM, TileXYZ
from api.responses import MediaType, MVTResponse

router = APIRouter(tags=["tiles"])


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.mvt",
    name="tile",
    response_class=MVTResponse,
    status_code=200,
    summary="A Mapbox vector tile of a layer",
    responses={
        200: {"content": {MediaType.mvt.value: {}}, "description": "the tile"},
        204: {"description": "no features in this tile"},
        304: {"description": "the client's copy (If-None-Match) is current"},
        404: {"description": "unknown layer"},
        422: {"description": "no such tile"},
    },
)
async def tile(
    layer: str,
    z: Annotated[int, Path(description=f"zoom level, 0–{MAX_ZOOM}")],
    x: Annotated[int, Path(description="column, 0 to 2^z − 1, west to east")],
    y: Annotated[int, Path(description="row, 0 to 2^z − 1, north to south")],
    request: Request,
    if_none_match: Annotated[str | None, Header()] = None,
    coords: Annotated[
        Literal["wgs84", "gcj02"],
        Query(description="wgs84 (default), or gcj02 to match a GCJ-02 (AMap-style) basemap"),
    ] = "wgs84",
) -> MVTResponse:
    """The layer's features in tile ``z/x/y`` (web mercator), with ETag and Cache-Control."""
    # async all the way, on the app's async pool: a tile is asked for by the dozen, and
    # each thread hop (a sync handler or dependency) cost more CPU than the tile's own SQL
    xyz = TileXYZ(z=z, x=x, y=y)
    pool = request.app.state.async_pool
    body = await features.tile_async(pool, layer, xyz, gcj02=coords == "gcj02")
    return MVTResponse(body, if_none_match=if_none_match)


@router.get("/tiles/{layer}.json", summary="TileJSON 3.0.0 of a layer's vector tiles")
def tilejson(layer: str, request: Request, engine: Engine = Depends(get_engine)) -> dict:
    """Tile URL template, zoom range, bounds of the data and the fields of the layer."""
    template = request.url_for("tile", layer=layer, z="{z}", x="{x}", y="{y}")
    return features.tilejson(engine, layer, str(template))
