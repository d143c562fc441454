"""OGC API – Features documents: landing page, conformance, collections, queryables, links.

The documents are built here from :data:`api.features.LAYERS` and URLs the router passes
in; the router only parses, queries and encodes. Part 2 (CRS by reference) is served for
CRS84 (longitude, latitude), EPSG:4326 and EPSG:4490 (CGCS2000), the last two latitude
first as their EPSG definitions say. CGCS2000 and WGS84 agree within centimetres (PROJ
converts between them with a null transformation), so coordinates are not transformed,
only their axes swapped.

Collection extents are kept by :class:`ExtentCache` until the data change, so that the
collections document costs one small query instead of an extent scan per layer.

This module does not use ``from __future__ import annotations``: FastAPI reads the field
annotations of :class:`OgcOptions` at run time.
"""

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import Query
from sqlalchemy.engine import Engine
from starlette.datastructures import URL

from api import features
from api import models as m
from api.features import Layer
from api.params import BBox
from api.responses import MediaType
from gis.errors import InputError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
#: CRS offered for every collection → whether its first axis is latitude.
CRS_LAT_FIRST: dict[str, bool] = {CRS84: False, EPSG_4326: True, EPSG_4490: True}

_CONF = "http://www.opengis.net/spec/ogcapi-features-{part}/1.0/conf/{name}"
#: Conformance classes implemented.
CONFORMANCE = [
    _CONF.format(part=1, name="core"),
    _CONF.format(part=1, name="geojson"),
    _CONF.format(part=1, name="oas30"),
    _CONF.format(part=2, name="crs"),
]

OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_JSON = "application/schema+json"
ENGLISH = {
    "streets": "Streets",
    "communities": "Communities",
    "compounds": "Residential compounds",
    "buildings": "Buildings",
    "grids": "Grids (in force)",
    "facilities": "Facilities (urban components)",
}
_JSON_SCHEMA_TYPES = {"String": "string", "Number": "number", "Boolean": "boolean"}
_GEOMETRY_FORMAT = {"Polygon": "geometry-multipolygon", "Point": "geometry-point"}
_FORMATS = {"json": MediaType.json, "geojson": MediaType.geojson}


def link(href: object, rel: str, media_type: str, title: str | None = None) -> dict:
    """A link object (``href``, ``rel``, ``type`` and an optional ``title``)."""
    out = {"href": str(href), "rel": rel, "type": media_type}
    if title:
        out["title"] = title
    return out


def parse_crs(uri: str | None, parameter: str = "crs") -> str:
    """The CRS URI named by a ``crs`` or ``bbox-crs`` parameter (CRS84 when not given).

    Raises
    ------
    InputError
        If the CRS is not one offered.
    """
    if uri is None:
        return CRS84
    uri = uri.strip().strip("<>")
    if uri not in CRS_LAT_FIRST:
        raise InputError(
            f"{parameter} {uri!r} is not offered", fix=f"give one of: {', '.join(CRS_LAT_FIRST)}"
        )
    return uri


@dataclass
class OgcOptions:
    """Dependency: the output format ``f`` and Part 2's ``crs`` and ``bbox-crs``."""

    f: Annotated[str | None, Query(description="output format: json (default) or geojson")] = None
    crs: Annotated[
        str | None, Query(description="CRS of the coordinates returned (default CRS84)")
    ] = None
    bbox_crs: Annotated[
        str | None, Query(alias="bbox-crs", description="CRS of bbox (default CRS84)")
    ] = None

    def __post_init__(self) -> None:
        if self.f is not None and self.f not in _FORMATS:
            raise InputError(f"format f={self.f!r} is not offered", fix="give f=json or f=geojson")
        self.crs = parse_crs(self.crs)
        self.bbox_crs = parse_crs(self.bbox_crs, "bbox-crs")

    @property
    def lat_first(self) -> bool:
        """Whether coordinates are returned latitude first."""
        return CRS_LAT_FIRST[str(self.crs)]

    def bbox(self, text: str | None) -> BBox | None:
        """The ``bbox`` parameter in CRS84 degrees, read in the axis order of ``bbox-crs``."""
        if text is None:
            return None
        parts = text.split(",")
        if CRS_LAT_FIRST[str(self.bbox_crs)] and len(parts) == 4:
            text = ",".join(parts[i] for i in (1, 0, 3, 2))
        return BBox.parse(text)


def timestamp() -> str:
    """Now, in UTC, as the ``timeStamp`` of a feature collection."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def landing(root: str, openapi: str, docs: str) -> dict:
    """The landing page, from the URLs of the API root, its OpenAPI document and docs."""
    root = root.rstrip("/")
    return {
        "title": "wangge 网格 OGC API – Features",
        "description": "社区网格化管理图层 (streets, communities, compounds, buildings, grids, "
        "facilities) as OGC API – Features",
        "links": [
            link(root, "self", MediaType.json, "this document"),
            link(openapi, "service-desc", OPENAPI_JSON, "the API definition"),
            link(docs, "service-doc", MediaType.html, "the API documentation"),
            link(f"{root}/conformance", "conformance", MediaType.json, "conformance classes"),
            link(f"{root}/collections", "data", MediaType.json, "collections"),
        ],
    }


def conformance() -> dict:
    """The conformance declaration."""
    return {"conformsTo": CONFORMANCE}


def collection(layer: Layer, bounds: tuple[float, float, float, float] | None, url: str) -> dict:
    """A collection's description.

    Parameters
    ----------
    layer : Layer
        The layer.
    bounds : tuple of float, optional
        Its extent in CRS84 (minx, miny, maxx, maxy); ``None`` when it has no features.
    url : str
        The collection's URL.
    """
    doc: dict = {
        "id": layer.name,
        "title": f"{layer.title} {ENGLISH.get(layer.name, layer.name)}",
        "itemType": "feature",
        "crs": list(CRS_LAT_FIRST),
        "storageCrs": CRS84,
        "links": [
            link(url, "self", MediaType.json, layer.title),
            link(f"{url}/items", "items", MediaType.geojson, f"{layer.title} features"),
            link(
                f"{url}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA_JSON,
                "queryables",
            ),
        ],
    }
    if bounds is not None:
        doc["extent"] = {"spatial": {"bbox": [list(bounds)], "crs": CRS84}}
    return doc


def collections(docs: list[dict], url: str) -> dict:
    """The collections document, from each collection's description."""
    return {"links": [link(url, "self", MediaType.json, "collections")], "collections": docs}


def queryables(layer: Layer, url: str) -> dict:
    """A collection's queryables as a JSON Schema: its filters and its geometry."""
    properties: dict = {
        name: {"title": name, "type": _JSON_SCHEMA_TYPES[layer.fields[column]]}
        for name, column in layer.filters.items()
    }
    properties["geometry"] = {"format": _GEOMETRY_FORMAT[layer.geometry_type]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": layer.title,
        "properties": properties,
        "additionalProperties": False,
    }


def items_links(self_url: URL, collection_url: str, limit: int, offset: int, more: bool) -> list:
    """``self``, ``collection``, and ``next``/``prev`` links of a page of items.

    Paging links keep the other parameters of ``self_url`` (the request's URL) and change
    ``offset`` and ``limit``.
    """

    def page(rel: str, to: int) -> dict:
        href = self_url.include_query_params(offset=to, limit=limit)
        return link(href, rel, MediaType.geojson, f"{rel} page")

    links = [
        link(self_url, "self", MediaType.geojson, "this page"),
        link(collection_url, "collection", MediaType.json, "the collection"),
    ]
    if more:
        links.append(page("next", offset + limit))
    if offset > 0:
        links.append(page("prev", max(offset - limit, 0)))
    return links


def content_crs(uri: str) -> dict[str, str]:
    """The ``Content-Crs`` header of a response in ``uri``."""
    return {"Content-Crs": f"<{uri}>"}


Bounds = tuple[float, float, float, float]


def data_version() -> sa.Select:
    """One row that changes whenever a layer's extent may have changed.

    Every import writes an ``import_log`` row (its count, last id and time change, also
    after a ``TRUNCATE … RESTART IDENTITY`` and a new import); every publication sets a
    plan's ``published_at`` and the plans in force change with the day, which
    :meth:`ExtentCache.get` adds. Both tables are small, so this is cheap.
    """
    log, p = m.import_log, m.grid_plan
    live = p.c.status.in_(("published", "superseded"))
    return sa.select(
        sa.select(sa.func.count()).select_from(log).scalar_subquery(),
        sa.select(sa.func.max(log.c.id)).scalar_subquery(),
        sa.select(sa.func.max(log.c.imported_at)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(p).where(live).scalar_subquery(),
        sa.select(sa.func.max(p.c.published_at)).scalar_subquery(),
        sa.select(sa.func.max(p.c.effective_from)).where(live).scalar_subquery(),
        sa.select(sa.func.max(p.c.effective_to)).where(live).scalar_subquery(),
    )


class ExtentCache:
    """Extents of the layers, computed once per version of the data.

    :meth:`get` asks the database for :func:`data_version` (one round trip) and computes
    the extents again only when it differs from the version they were computed at. The
    version is read *before* the extents, so data that change in between give extents
    newer than their version, which the next call replaces: never stale ones.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._bounds: dict[str, Bounds | None] = {}

    def get(self, engine: Engine, name: str) -> Bounds | None:
        """The extent of layer ``name`` (minx, miny, maxx, maxy in CRS84), ``None`` if empty.

        Raises
        ------
        NotFoundError
            Unknown layer.
        """
        layer = features.get_layer(name)
        return self._extent(engine, self._current(engine), layer.name)

    def all(self, engine: Engine) -> dict[str, Bounds | None]:
        """The extent of every layer, by name: one version query, a scan only for changes."""
        version = self._current(engine)
        return {name: self._extent(engine, version, name) for name in features.LAYERS}

    @staticmethod
    def _current(engine: Engine) -> tuple:
        with features.read_connection(engine) as conn:
            return (date.today(), *conn.execute(data_version()).one())

    def _extent(self, engine: Engine, version: tuple, name: str) -> Bounds | None:
        with self._lock:
            if version == self._version and name in self._bounds:
                return self._bounds[name]
        bounds = features.extent(engine, name)
        with self._lock:
            if version != self._version:
                self._version, self._bounds = version, {}
            self._bounds[name] = bounds
        return bounds
