"""Media types and the response classes that encode them.

One place names every media type the app answers in; routers pick a response class from
here instead of spelling content types. Vector tiles carry an ``ETag`` (a hash of their
bytes) and ``Cache-Control``, answer 204 when empty and 304 when the client's copy is current.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum

from fastapi.responses import JSONResponse, Response, StreamingResponse


class MediaType(StrEnum):
    """Media types the app answers in."""

    json = "application/json"
    geojson = "application/geo+json"
    mvt = "application/vnd.mapbox-vector-tile"
    html = "text/html"


class GeoJSONResponse(JSONResponse):
    """A GeoJSON document (``application/geo+json``), UTF-8 without escapes."""

    media_type = MediaType.geojson.value


class GeoJSONStreamingResponse(StreamingResponse):
    """A GeoJSON document sent in chunks as it is read from the database."""

    media_type = MediaType.geojson.value


#: How long clients and proxies may reuse a tile without asking again, in seconds.
TILE_MAX_AGE = 60


def etag(content: bytes) -> str:
    """A strong entity tag of ``content``: a quoted hash of its bytes."""
    return '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'


def etag_matches(tag: str, if_none_match: str | None) -> bool:
    """Whether an ``If-None-Match`` header names ``tag`` (weak tags compare equal, ``*`` too)."""
    if not if_none_match:
        return False
    listed = (t.strip().removeprefix("W/") for t in if_none_match.split(","))
    return any(t in ("*", tag) for t in listed)


class MVTResponse(Response):
    """A Mapbox vector tile: 204 when empty, 304 when ``If-None-Match`` names its ETag.

    Parameters
    ----------
    content : bytes
        The encoded tile (``ST_AsMVT``); empty or ``None`` for a tile without features.
    if_none_match : str, optional
        The request's ``If-None-Match`` header.
    max_age : int
        Seconds a client may cache the tile.
    """

    media_type = MediaType.mvt.value

    def __init__(
        self,
        content: bytes | None,
        *,
        if_none_match: str | None = None,
        max_age: int = TILE_MAX_AGE,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        body = bytes(content or b"")
        tag = etag(body)
        all_headers = {"Cache-Control": f"public, max-age={max_age}", **(headers or {})}
        if not body:
            super().__init__(status_code=204, headers=all_headers)
            return
        all_headers["ETag"] = tag
        if etag_matches(tag, if_none_match):
            super().__init__(status_code=304, headers=all_headers)
            return
        super().__init__(body, headers=all_headers)

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        """Headers as usual, but no ``Content-Type`` or body length on 204 and 304."""
        super().init_headers(headers)
        if self.status_code in (204, 304):
            self.raw_headers = [
                (k, v) for k, v in self.raw_headers if k not in (b"content-type", b"content-length")
            ]


def chunked(parts: Iterable[str], size: int = 65536) -> Iterator[bytes]:
    """Join small strings into UTF-8 chunks of about ``size`` bytes.

    A streamed response sends every item it is given as one message; batching keeps the
    per-message cost off each feature.
    """
    buffer: list[str] = []
    length = 0
    for part in parts:
        buffer.append(part)
        length += len(part)
        if length >= size:
            yield "".join(buffer).encode()
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode()


def feature_collection(features: Iterable[str], members: Mapping[str, object]) -> Iterator[str]:
    """A GeoJSON FeatureCollection as text, from features already encoded as GeoJSON text.

    ``numberReturned`` counts the features as they pass; ``members`` (``numberMatched``,
    ``links``…) follow them.
    """
    yield '{"type":"FeatureCollection","features":['
    returned = 0
    for feature in features:
        yield feature if returned == 0 else "," + feature
        returned += 1
    tail = json.dumps({"numberReturned": returned, **members}, ensure_ascii=False, default=str)
    yield "]," + tail[1:]
