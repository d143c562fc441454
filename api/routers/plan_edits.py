"""Working on a plan: move buildings between grids, validate, compare, export.

``POST /plans/{id}/moves`` edits a draft (with a version check);
``PUT /plans/{id}/grids/{grid_id}/lock`` locks or unlocks a grid of a draft and
``POST /plans/{id}/rerun`` partitions the unlocked rest again (a job);
``GET /plans/{id}/validation`` lists what would stop it being published;
``GET /plans/{id}/diff/{other_id}`` compares two plans; ``GET /plans/{id}/export`` writes
one out as GeoPackage, GeoJSON, zipped Shapefile (GBK) or CSV.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api.deps import get_engine
from api.params import RowId
from api.plans.checks import plan_row
from api.plans.comparing import diff, validation
from api.plans.editing import move_buildings, require_draft_version
from api.plans.exporting import export_plan
from api.plans.locking import set_lock
from api.routers.plan_jobs import Job, start_job
from api.routers.plans import _own_plan, _readable_plan

router = APIRouter(tags=["plans"])

_GRID_CODE = re.compile(r"^[0-9]{15}$")
_MAX_ID = 2_147_483_647


class Move(BaseModel):
    """One building into one grid, named by its id or 15-digit code, or into a new grid."""

    building_id: int = Field(ge=1, le=_MAX_ID)
    grid_id: int | None = Field(None, ge=1, le=_MAX_ID)
    grid_code: str | None = Field(None, pattern=_GRID_CODE.pattern)
    new_grid: bool = Field(
        False, description="into a new grid (one per community and edit); name no grid"
    )

    @model_validator(mode="after")
    def _one_grid(self) -> Move:
        named = (self.grid_id is not None) + (self.grid_code is not None)
        if self.new_grid and named:
            raise ValueError("a move to a new grid names no grid_id or grid_code")
        if not self.new_grid and named != 1:
            raise ValueError("name the grid by exactly one of grid_id and grid_code")
        return self


class MovesRequest(BaseModel):
    """Buildings to move, and the plan version they were chosen on."""

    version: int = Field(ge=1, description="the plan version the editor loaded")
    moves: list[Move] = Field(min_length=1, max_length=5000)


class MovesResult(BaseModel):
    """The new version and the grids that changed."""

    plan_id: int
    version: int
    moved: list[int]
    grids: dict = Field(description="the affected grids, a GeoJSON FeatureCollection")


class LockRequest(BaseModel):
    """Lock or unlock a grid, on the plan version the editor loaded."""

    version: int = Field(ge=1, le=_MAX_ID, description="the plan version the editor loaded")
    locked: bool


class LockResult(BaseModel):
    """The grid's lock and the plan's new version."""

    plan_id: int
    version: int
    grid_id: int
    locked: bool


class RerunRequest(BaseModel):
    """Partition the unlocked grids again; unset options keep the plan's own."""

    version: int = Field(ge=1, le=_MAX_ID, description="the plan version the editor loaded")
    target: int | None = Field(None, gt=0, le=5000, description="households per grid")
    tolerance: float | None = Field(None, gt=0, lt=1, description="allowed relative deviation")
    seed: int | None = Field(None, ge=0, le=_MAX_ID)


class Problem(BaseModel):
    """One reason the plan cannot be published (``grid`` None: not of one grid)."""

    grid: str | None
    problem: str


class Validation(BaseModel):
    """The publication checks' result."""

    plan_id: int
    version: int
    publishable: bool
    problems: list[Problem]


class Moved(BaseModel):
    """A building in different grids of two plans (None: in no grid of that plan)."""

    building_id: int
    from_grid: str | None
    to_grid: str | None


class PlanMetrics(BaseModel):
    """A plan's name, status and metrics."""

    id: int
    name: str
    status: str
    version: int
    metrics: dict | None


class Diff(BaseModel):
    """Buildings that change grid between two plans, and both plans' metrics."""

    plan: PlanMetrics
    other: PlanMetrics
    moved: list[Moved]


@router.post(
    "/plans/{plan_id}/moves", response_model=MovesResult, summary="Move buildings between grids"
)
def post_moves(
    plan_id: RowId, request: MovesRequest, http: Request, engine: Engine = Depends(get_engine)
) -> dict:
    """Move buildings between grids of a draft, if it is still at ``version``.

    409 if the plan is not a draft or changed since ``version``; 422 for a building not
    in the plan, an unknown grid or a grid of another community.
    """
    _own_plan(http, engine, plan_id)
    moves = [move.model_dump() for move in request.moves]
    return move_buildings(engine, plan_id, request.version, moves)


@router.put(
    "/plans/{plan_id}/grids/{grid_id}/lock", response_model=LockResult,
    summary="Lock or unlock a grid of a draft",
)  # fmt: skip
def put_lock(
    plan_id: RowId,
    grid_id: RowId,
    request: LockRequest,
    http: Request,
    engine: Engine = Depends(get_engine),
) -> dict:
    """Lock or unlock one grid of a draft, if it is still at ``version``.

    A locked grid keeps its polygon, buildings and code: moves into or out of it are
    refused (422) and a re-run leaves it alone. 409 if the plan is not a draft or changed
    since ``version``; 404 for a grid the plan does not have.
    """
    _own_plan(http, engine, plan_id)
    return set_lock(engine, plan_id, grid_id, request.version, request.locked)


@router.post(
    "/plans/{plan_id}/rerun", status_code=202, response_model=Job,
    summary="Partition the unlocked grids of a draft again (a job)",
)  # fmt: skip
async def post_rerun(
    plan_id: RowId, request: RerunRequest, http: Request, engine: Engine = Depends(get_engine)
) -> JSONResponse:
    """Start a re-run of the partition for the draft's unlocked grids; poll the job.

    409 at once if the plan is not a draft or not at ``version``; the job fails with the
    same message if the draft changes while it runs.
    """
    plan = await run_in_threadpool(_own_plan, http, engine, plan_id)
    await run_in_threadpool(_check_version, engine, plan_id, request.version)
    work = {"plan_id": plan_id, **request.model_dump()}
    return await start_job(http, engine, "rerun", list(plan["community_codes"]), work, plan_id)


def _check_version(engine: Engine, plan_id: int, version: int) -> None:
    with engine.connect() as conn:
        require_draft_version(plan_row(conn, plan_id), version)


@router.get(
    "/plans/{plan_id}/validation", response_model=Validation, summary="Check without publishing"
)
def get_validation(plan_id: RowId, http: Request, engine: Engine = Depends(get_engine)) -> dict:
    """What publishing would refuse the plan for, per grid; nothing is changed."""
    _readable_plan(http, engine, plan_id)
    return validation(engine, plan_id)


@router.get("/plans/{plan_id}/diff/{other_id}", response_model=Diff, summary="Compare two plans")
def get_diff(
    plan_id: RowId, other_id: RowId, http: Request, engine: Engine = Depends(get_engine)
) -> dict:
    """Buildings whose grid differs between the plans, and the metrics of both."""
    _readable_plan(http, engine, plan_id)
    _readable_plan(http, engine, other_id)
    return diff(engine, plan_id, other_id)


@router.get(
    "/plans/{plan_id}/export",
    summary="Export a plan",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}, "text/csv": {}}}},
)
def get_export(
    plan_id: RowId,
    http: Request,
    format: Annotated[Literal["gpkg", "geojson", "shp", "csv"], Query()] = "gpkg",  # noqa: A002
    engine: Engine = Depends(get_engine),
) -> Response:
    """The grids as GeoPackage, GeoJSON or zipped Shapefile (GBK), or a CSV of building → grid."""
    _readable_plan(http, engine, plan_id)
    out = export_plan(engine, plan_id, format)
    disposition = f'attachment; filename="{out.filename}"'
    return Response(out.content, media_type=out.media_type,
                    headers={"Content-Disposition": disposition})  # fmt: skip
