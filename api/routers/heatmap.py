"""The incident heat-map page, ``/map/incidents``.

The page is a shell: its script logs in through ``/login`` and reads the incidents and
their statistics from the API, where the access rules and masking apply.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Engine

from api import features
from api.deps import get_engine
from api.routers.maps import STATIC_PATH
from map_ui.heatmap import HeatmapConfig, render_heatmap

router = APIRouter(tags=["maps"])


@router.get("/map/incidents", response_class=HTMLResponse, summary="Incident heat map page")
def heatmap_page(request: Request, engine: Engine = Depends(get_engine)) -> HTMLResponse:
    """Density, hexagon counts, Gi* and emerging hotspots of incidents, with filters."""
    settings = request.app.state.settings
    bounds = features.extent(engine, "communities")
    config = HeatmapConfig(
        bounds=list(bounds) if bounds else None,
        attribution=settings.server.map_attribution,
        basemap=settings.map.tile_layers(),
        coords=settings.map.basemap_crs,
    )
    static = request.scope.get("root_path", "") + STATIC_PATH
    title = f"{settings.server.title} · 事件热力图"
    return HTMLResponse(render_heatmap(title, config, static))
