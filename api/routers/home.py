"""The start page: what has been imported (until the map pages of later issues)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from api import queries
from api.deps import get_engine
from api.templating import templates

router = APIRouter(tags=["home"])


def _summary(engine: Engine) -> dict:
    return {
        "layers": queries.layer_counts(engine),
        "communities": queries.community_summary(engine),
        "facility_classes": queries.facility_class_counts(engine),
        "imports": queries.recent_imports(engine),
    }


@router.get("/api/summary", summary="Counts of everything imported")
def summary(engine: Engine = Depends(get_engine)) -> dict:
    """Layer counts, communities with households, facilities by class, recent imports."""
    return _summary(engine)


@router.get("/", response_class=HTMLResponse, summary="Start page")
def index(request: Request, engine: Engine = Depends(get_engine)) -> HTMLResponse:
    """An HTML page listing what was imported."""
    page: Jinja2Templates = templates()
    context = {"title": request.app.state.settings.server.title, **_summary(engine)}
    return page.TemplateResponse(request, "index.html", context)
