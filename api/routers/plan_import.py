"""Importing a plan as a new draft: ``POST /plans/import`` (street office and admin).

The upload is received as layer imports are (:mod:`api.uploads`: size limit, content
sniffing, zip safety), read and checked, and only then stored; a refused file stores
nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy.engine import Engine

from api.access import require_scope
from api.deps import get_engine
from api.plans.importing import read_plan_file, store_imported
from api.routers.plans import PlanDetail
from api.uploads import received, safe_name

router = APIRouter(tags=["plans"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "the file is larger than WANGGE_UPLOAD_MAX_MB"},
    415: {"description": "the content is not what the file name says"},
    422: {"description": "the file cannot be used: the message names the problem and fix"},
}


@router.post(
    "/plans/import", status_code=201, response_model=PlanDetail,
    summary="Import a plan as a draft (CSV of assignments or a grid layer)", responses=_ERRORS,
)  # fmt: skip
def import_plan(
    request: Request,
    file: Annotated[
        UploadFile,
        File(
            description="CSV building_id,grid_code (UTF-8 or GBK), or a GeoPackage, "
            "GeoJSON or zipped Shapefile of grids with a grid_code (or code) column"
        ),
    ],  # fmt: skip
    name: Annotated[str | None, Form(max_length=200)] = None,
    engine: Engine = Depends(get_engine),
) -> dict:
    """Store the plan a file describes as a new draft, its grids drawn to tile exactly.

    Every community the grids name must lie in the caller's scope; every building of
    those communities must be in a grid of its own community.
    """
    settings = request.app.state.settings
    folder = settings.db.data_dir / "uploads"
    limit = int(settings.uploads.upload_max_mb * 1024 * 1024)
    with received(file.file, file.filename, folder, limit) as path:
        plan = read_plan_file(engine, path, safe_name(file.filename))
    for code in plan.communities:
        require_scope(request, code)
    return store_imported(engine, plan, name)
