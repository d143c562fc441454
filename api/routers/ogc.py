"""OGC API – Features Part 1 (and Part 2 CRS) at ``/ogc``, over the map layers.

Items come from the same queries as ``/collections/{layer}/items``
(:func:`api.features.feature_page`); the documents are built in :mod:`api.ogc`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine
from starlette.background import BackgroundTask

from api import features, ogc
from api.deps import get_engine
from api.errors import error_body
from api.ogc import OgcOptions
from api.params import Paging, PropertyFilters
from api.responses import (
    GeoJSONResponse,
    GeoJSONStreamingResponse,
    MediaType,
    chunked,
    feature_collection,
)
from gis.errors import InputError


class OgcRoute(APIRoute):
    """A route that answers invalid parameters with 400, as OGC API – Features requires.

    The rest of the app answers them with 422; the body is the same JSON error.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The usual handler, with parameter errors turned into 400."""
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except InputError as exc:
                return JSONResponse(error_body(exc), status_code=400)
            except RequestValidationError as exc:
                answer = await request.app.exception_handlers[RequestValidationError](request, exc)
                answer.status_code = 400
                return answer

        return route


router = APIRouter(prefix="/ogc", tags=["OGC API – Features"], route_class=OgcRoute)

_Responses = dict[int | str, dict[str, Any]]
_JSON: _Responses = {200: {"content": {MediaType.json.value: {}}}}
_NOT_FOUND: _Responses = {404: {"description": "unknown collection"}}


def _collection_url(request: Request, collection_id: str) -> str:
    return str(request.url_for("ogc_collection", collection_id=collection_id))


def extent_cache(request: Request) -> ogc.ExtentCache:
    """The app's cache of layer extents, made on first use."""
    state = request.app.state
    cache = getattr(state, "ogc_extents", None)
    if cache is None:
        cache = state.ogc_extents = ogc.ExtentCache()
    return cache


@router.get("", name="ogc_landing", summary="Landing page", responses=_JSON)
def landing(request: Request, options: Annotated[OgcOptions, Depends()]) -> JSONResponse:
    """The landing page: links to the API definition, conformance and collections."""
    base = str(request.base_url).rstrip("/")
    app = request.app
    doc = ogc.landing(
        str(request.url_for("ogc_landing")), f"{base}{app.openapi_url}", f"{base}{app.docs_url}"
    )
    return JSONResponse(doc)


@router.get("/conformance", summary="Conformance classes", responses=_JSON)
def conformance(options: Annotated[OgcOptions, Depends()]) -> JSONResponse:
    """The conformance classes implemented: Part 1 core, GeoJSON, OpenAPI 3.0; Part 2 CRS."""
    return JSONResponse(ogc.conformance())


@router.get("/collections", name="ogc_collections", summary="Collections", responses=_JSON)
def collections(
    request: Request,
    options: Annotated[OgcOptions, Depends()],
    engine: Engine = Depends(get_engine),
    extents: ogc.ExtentCache = Depends(extent_cache),
) -> JSONResponse:
    """Every layer as a collection, with its extent in CRS84."""
    bounds = extents.all(engine)
    docs = [
        ogc.collection(layer, bounds[name], _collection_url(request, name))
        for name, layer in features.LAYERS.items()
    ]
    return JSONResponse(ogc.collections(docs, str(request.url_for("ogc_collections"))))


@router.get(
    "/collections/{collection_id}",
    name="ogc_collection",
    summary="A collection",
    responses={**_JSON, **_NOT_FOUND},
)
def collection(
    collection_id: str,
    request: Request,
    options: Annotated[OgcOptions, Depends()],
    engine: Engine = Depends(get_engine),
    extents: ogc.ExtentCache = Depends(extent_cache),
) -> JSONResponse:
    """One layer's description: title, extent, CRS offered and links to its items."""
    layer = features.get_layer(collection_id)
    bounds = extents.get(engine, layer.name)
    return JSONResponse(ogc.collection(layer, bounds, _collection_url(request, layer.name)))


@router.get(
    "/collections/{collection_id}/queryables",
    summary="A collection's queryables",
    responses={200: {"content": {ogc.SCHEMA_JSON: {}}}, **_NOT_FOUND},
)
def queryables(
    collection_id: str, request: Request, options: Annotated[OgcOptions, Depends()]
) -> JSONResponse:
    """The properties a collection's items can be filtered by, as a JSON Schema."""
    layer = features.get_layer(collection_id)
    return JSONResponse(ogc.queryables(layer, str(request.url)), media_type=ogc.SCHEMA_JSON)


@router.get(
    "/collections/{collection_id}/items",
    response_class=GeoJSONStreamingResponse,
    summary="A collection's features",
    responses={
        200: {"content": {MediaType.geojson.value: {}}, "description": "a FeatureCollection"},
        **_NOT_FOUND,
        400: {"description": "bad bbox, paging, filter or CRS"},
    },
)
def items(
    collection_id: str,
    request: Request,
    options: Annotated[OgcOptions, Depends()],
    paging: Annotated[Paging, Depends()],
    filters: Annotated[PropertyFilters, Depends()],
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in bbox-crs")] = None,
    engine: Engine = Depends(get_engine),
) -> GeoJSONStreamingResponse:
    """Features of a collection, by bbox, page and properties, with ``next`` links."""
    page = features.feature_page(
        engine,
        collection_id,
        bbox=options.bbox(bbox),
        paging=paging,
        filters=filters.given(),
        flip_axes=options.lat_first,
    )
    links = ogc.items_links(
        request.url, _collection_url(request, collection_id), paging.limit, paging.offset, page.more
    )
    members = {"numberMatched": page.matched, "timeStamp": ogc.timestamp(), "links": links}
    return GeoJSONStreamingResponse(
        chunked(feature_collection(page.features(), members)),
        headers=ogc.content_crs(str(options.crs)),
        background=BackgroundTask(page.close),
    )


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    response_class=GeoJSONResponse,
    summary="One feature",
    responses={
        200: {"content": {MediaType.geojson.value: {}}, "description": "a Feature"},
        404: {"description": "unknown collection or feature"},
    },
)
def item(
    collection_id: str,
    feature_id: str,
    request: Request,
    options: Annotated[OgcOptions, Depends()],
    engine: Engine = Depends(get_engine),
) -> GeoJSONResponse:
    """One feature of a collection, by its id."""
    text = features.feature(engine, collection_id, feature_id, flip_axes=options.lat_first)
    doc = json.loads(text)
    collection_url = _collection_url(request, collection_id)
    doc["links"] = [
        ogc.link(request.url, "self", MediaType.geojson, "this feature"),
        ogc.link(collection_url, "collection", MediaType.json, "the collection"),
    ]
    return GeoJSONResponse(doc, headers=ogc.content_crs(str(options.crs)))
