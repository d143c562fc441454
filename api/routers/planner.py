"""The grid planning page, ``/map/plans``.

The page is a shell like the heat map: its script logs in through ``/login`` and works on
plans through the plan API, where the access rules apply. ``?plan=ID`` opens a plan.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Engine

from api import features, map_queries
from api.auth.roles import Role
from api.deps import get_engine
from api.routers.maps import STATIC_PATH
from map_ui.planner import PlannerConfig, render_planner

router = APIRouter(tags=["maps"])


@router.get("/map/plans", response_class=HTMLResponse, summary="Grid planning page")
def planner_page(
    request: Request,
    plan: Annotated[int | None, Query(ge=1, le=2_147_483_647, description="plan to open")] = None,
    engine: Engine = Depends(get_engine),
) -> HTMLResponse:
    """Run a partition, paint buildings between grids, lock, re-run, check and publish."""
    settings = request.app.state.settings
    bounds = features.extent(engine, "communities")
    config = PlannerConfig(
        plan_id=plan,
        directory=map_queries.directory(engine),
        bounds=list(bounds) if bounds else None,
        basemap=settings.map.tile_layers(),
        coords=settings.map.basemap_crs,
        attribution=settings.server.map_attribution,
        roles={role.label: role.title_zh for role in Role},
    )
    static = request.scope.get("root_path", "") + STATIC_PATH
    title = f"{settings.server.title} · 网格规划"
    return HTMLResponse(render_planner(title, config, static))
