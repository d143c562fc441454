"""``GET /collections/{layer}/items``: a layer's features as streamed GeoJSON pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.engine import Engine
from starlette.background import BackgroundTask

from api import features
from api.deps import get_engine
from api.params import BBox, Paging, PropertyFilters, bbox_query
from api.responses import GeoJSONStreamingResponse, MediaType, chunked, feature_collection

router = APIRouter(tags=["features"])


def page_links(request: Request, page: features.FeaturePage) -> list[dict]:
    """``self``, and ``next``/``prev`` links of a page, keeping the request's other parameters."""

    def link(rel: str, offset: int) -> dict:
        href = request.url.include_query_params(offset=offset, limit=page.paging.limit)
        return {"rel": rel, "type": MediaType.geojson.value, "href": str(href)}

    links = [{"rel": "self", "type": MediaType.geojson.value, "href": str(request.url)}]
    if page.more:
        links.append(link("next", page.paging.offset + page.paging.limit))
    if page.paging.offset > 0:
        links.append(link("prev", max(page.paging.offset - page.paging.limit, 0)))
    return links


@router.get(
    "/collections/{layer}/items",
    response_class=GeoJSONStreamingResponse,
    summary="A layer's features as GeoJSON, by bbox, page and properties",
    responses={
        200: {"content": {MediaType.geojson.value: {}}, "description": "a FeatureCollection"},
        404: {"description": "unknown layer"},
        422: {"description": "bad bbox, paging or filter"},
    },
)
def items(
    layer: str,
    request: Request,
    bbox: Annotated[BBox | None, Depends(bbox_query)],
    paging: Annotated[Paging, Depends()],
    filters: Annotated[PropertyFilters, Depends()],
    engine: Engine = Depends(get_engine),
) -> GeoJSONStreamingResponse:
    """Features of ``layer`` (streets, communities, compounds, buildings, grids, facilities).

    Grids are those in force today. The collection carries ``numberMatched``,
    ``numberReturned`` and a ``next`` link while features remain.
    """
    page = features.feature_page(engine, layer, bbox=bbox, paging=paging, filters=filters.given())
    members = {"numberMatched": page.matched, "links": page_links(request, page)}
    return GeoJSONStreamingResponse(
        chunked(feature_collection(page.features(), members)), background=BackgroundTask(page.close)
    )
