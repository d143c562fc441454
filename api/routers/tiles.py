"""Vector tiles: ``GET /tiles/{layer}/{z}/{x}/{y}.mvt`` and ``GET /tiles/{layer}.json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from sqlalchemy.engine import Engine

from api import features
from api.deps import get_engine
from api.params import TileXYZ
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
def tile(
    layer: str,
    xyz: Annotated[TileXYZ, Depends()],
    if_none_match: Annotated[str | None, Header()] = None,
    coords: Annotated[
        Literal["wgs84", "gcj02"],
        Query(description="wgs84 (default), or gcj02 to match a GCJ-02 (AMap-style) basemap"),
    ] = "wgs84",
    engine: Engine = Depends(get_engine),
) -> MVTResponse:
    """The layer's features in tile ``z/x/y`` (web mercator), with ETag and Cache-Control."""
    body = features.tile(engine, layer, xyz, gcj02=coords == "gcj02")
    return MVTResponse(body, if_none_match=if_none_match)


@router.get("/tiles/{layer}.json", summary="TileJSON 3.0.0 of a layer's vector tiles")
def tilejson(layer: str, request: Request, engine: Engine = Depends(get_engine)) -> dict:
    """Tile URL template, zoom range, bounds of the data and the fields of the layer."""
    template = request.url_for("tile", layer=layer, z="{z}", x="{x}", y="{y}")
    return features.tilejson(engine, layer, str(template))
