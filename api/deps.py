"""Dependencies shared by routers."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.engine import Engine


def get_engine(request: Request) -> Engine:
    """The app's engine, owned by the lifespan."""
    return request.app.state.engine
