"""``GET /healthz``: a health check that queries the database."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from api.database import ping
from api.deps import get_engine

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Health check: answers 503 when the database is down")
def healthz(engine: Engine = Depends(get_engine)) -> JSONResponse:
    """Query the database; 200 with the PostGIS version, or 503."""
    try:
        version = ping(engine)
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[:1]
        return JSONResponse(
            {"status": "unavailable", "database": "down", "detail": "".join(detail)},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok", "postgis": version})
