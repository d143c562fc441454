"""``GET /lookup`` answered ahead of the framework: the hotline's question, asked all day.

A point lookup is one indexed query of about 0.3 ms, but through FastAPI it cost 1.0-1.5 ms
of CPU: route matching over every route of the app, dependency solving, the access
check, a hand-over to the thread pool for the synchronous query, and the middleware
layers (a py-spy profile under load: the query's own work was 12 %). So this middleware
answers a well-formed ``GET /lookup?lon=…&lat=…`` itself, on the serving loop, with the
same statement on an async psycopg pool (:func:`api.lookup.lookup_async`), and sends the
same JSON the route would.

Everything else goes on to the app, and so does every request the fast path cannot answer
exactly as the route would: a missing, repeated or invalid ``lon``/``lat`` (the route's
422), a point in no community (its 404), a database error (its 503), a lookup whose rule
is not public any more (its 401/403). The route stays the documented one (OpenAPI, tests
of the answer's shape); the fast path only saves the framework's work on the common case.
"""

from __future__ import annotations

import gzip
import json
import re
from urllib.parse import parse_qsl

import psycopg
from starlette.types import ASGIApp, Receive, Scope, Send

from api.access import PUBLIC, rule_for
from api.lookup import lookup_async
from api.params import LonLat

#: The path served here; its rule must be :data:`api.access.PUBLIC`.
PATH = "/lookup"
#: A longitude or latitude as the fast path takes it: plain decimal degrees (anything else,
#: ``1e2`` or ``nan`` say, is left to the route's own parsing and messages).
_DEGREES = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{1,17})?")
#: Answers this long or longer are gzipped for clients that accept it (as the app's
#: ``GZipMiddleware`` does).
GZIP_FROM_BYTES = 1000


class FastLookup:
    """ASGI middleware: answer well-formed ``GET /lookup`` requests without the framework.

    The async pool is ``app.state.async_pool`` (set by the app's lifespan); without it
    every request goes on to the app.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer ``GET /lookup`` here if it can be answered exactly as the route would."""
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            body = await self._answer(scope)
            if body is not None:
                await _send_json(send, body, scope)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> bytes | None:
        """The JSON answer, or ``None`` to let the app answer (and explain) instead."""
        pool = getattr(scope["app"].state, "async_pool", None)
        point = parse_point(scope["query_string"])
        if pool is None or point is None or rule_for("GET", PATH) is not PUBLIC:
            return None
        try:
            answer = await lookup_async(pool, point)
        except psycopg.Error:
            return None  # the route answers 503 and its pool recovers
        if answer is None:
            return None  # the route's 404 says how to fix the point
        return json.dumps(
            answer, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode()


def parse_point(query_string: bytes) -> LonLat | None:
    """``lon`` and ``lat`` of a query string as a valid WGS84 point, or ``None``.

    ``None`` for anything the route would refuse or might read differently: a missing or
    repeated parameter, a value that is not plain decimal degrees in range.
    """
    try:
        pairs = parse_qsl(query_string.decode("latin-1"), strict_parsing=True)
    except ValueError:
        return None
    values = dict(pairs)
    if len(values) != len(pairs) or "lon" not in values or "lat" not in values:
        return None
    if not (_DEGREES.fullmatch(values["lon"]) and _DEGREES.fullmatch(values["lat"])):
        return None
    lon, lat = float(values["lon"]), float(values["lat"])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return LonLat(lon=lon, lat=lat)


async def _send_json(send: Send, body: bytes, scope: Scope) -> None:
    headers = [(b"content-type", b"application/json")]
    if len(body) >= GZIP_FROM_BYTES and _accepts_gzip(scope):
        body = gzip.compress(body, compresslevel=9)
        headers += [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding")]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _accepts_gzip(scope: Scope) -> bool:
    return any(
        name == b"accept-encoding" and b"gzip" in value.lower() for name, value in scope["headers"]
    )
