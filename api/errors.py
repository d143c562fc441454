"""The one table that maps domain errors to HTTP statuses, and the handlers that apply it."""

from __future__ import annotations

import psycopg
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout

from api.auth.errors import Forbidden, NotAuthenticated, TooManyAttempts
from gis.errors import (
    ConflictError,
    DatabaseUnavailable,
    InputError,
    NotFoundError,
    WanggeError,
)
from gis.uploads import ContentMismatch, UploadTooLarge

#: Domain error → HTTP status. The most specific class listed first wins.
STATUS: dict[type[WanggeError], int] = {
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFoundError: 404,
    ConflictError: 409,
    UploadTooLarge: 413,
    ContentMismatch: 415,
    InputError: 422,
    TooManyAttempts: 429,
    DatabaseUnavailable: 503,
}


def status_for(exc: WanggeError) -> int:
    """The HTTP status of a domain error (500 for one the table does not list)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_body(exc: WanggeError) -> dict:
    """The JSON body of an error answer."""
    body: dict[str, object] = {
        "error": type(exc).__name__,
        "message": exc.message,
        "problem": exc.problem,
    }
    if exc.fix:
        body["fix"] = exc.fix
    if exc.feature is not None:
        body["feature"] = exc.feature
    return body


def error_headers(exc: WanggeError) -> dict[str, str]:
    """Headers an error answer needs: how to log in (401), when to retry (429)."""
    if isinstance(exc, NotAuthenticated):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, TooManyAttempts):
        return {"Retry-After": str(exc.retry_after)}
    return {}


async def _wangge_error(request: Request, exc: WanggeError) -> JSONResponse:  # noqa: ARG001
    return JSONResponse(error_body(exc), status_code=status_for(exc), headers=error_headers(exc))


async def _db_down(request: Request, exc: sa.exc.OperationalError) -> JSONResponse:  # noqa: ARG001
    err = DatabaseUnavailable("the database is not reachable", fix="try again shortly")
    return JSONResponse(error_body(err), status_code=503)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:  # noqa: ARG001
    """FastAPI's own validation errors, in the same JSON form as every other error."""
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    err = InputError("invalid request: " + "; ".join(problems), fix="see the API docs at /docs")
    body = error_body(err)
    body["errors"] = jsonable_encoder(exc.errors())
    return JSONResponse(body, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    """Install the handlers: domain errors by the table, lost DB connections as 503."""
    app.add_exception_handler(WanggeError, _wangge_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(sa.exc.OperationalError, _db_down)  # type: ignore[arg-type]
    app.add_exception_handler(sa.exc.InterfaceError, _db_down)  # type: ignore[arg-type]
    # the same from the async pool (api.database.async_pool), which SQLAlchemy does not wrap
    for error in (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout):
        app.add_exception_handler(error, _db_down)  # type: ignore[arg-type]
