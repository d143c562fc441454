"""Grid plans: partition into a draft, publish it, read plans and their grids.

``POST /plans`` partitions stored communities into a draft (``?background=true``: as a
job, see :mod:`api.routers.plan_jobs`); ``POST /plans/{id}/publish`` checks and publishes
it; ``GET /plans``, ``GET /plans/{id}``, ``GET /plans/{id}/grids`` and
``GET /plans/{id}/buildings`` read them; ``GET /grids`` gives the grids in force on a day.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api import background, plans, queries
from api.access import principal, require_scope
from api.deps import get_engine
from api.params import RowId
from api.responses import GeoJSONResponse, MediaType
from api.routers.plan_jobs import Job, start_job
from gis.partition import PartitionParams

router = APIRouter(tags=["plans"])

_COMMUNITY = re.compile(r"^[0-9]{12}$")


class PlanRequest(BaseModel):
    """What to partition, and how."""

    communities: list[str] | None = Field(
        None, description="12-digit community codes; every stored community when omitted"
    )
    target: int = Field(300, gt=0, le=5000, description="households per grid")
    tolerance: float = Field(0.15, gt=0, lt=1, description="allowed relative deviation")
    seed: int = Field(0, ge=0, description="same data and seed, same grids")
    name: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)

    @field_validator("communities")
    @classmethod
    def _codes(cls, value: list[str] | None) -> list[str] | None:
        for code in value or ():
            if not _COMMUNITY.match(code):
                raise ValueError(f"{code!r} is not a 12-digit community code")
        return value


class PublishRequest(BaseModel):
    """When the grids take effect, and which out-of-band grids are accepted and why."""

    effective_from: date | None = Field(default=None, description="default: today")
    exceptions: dict[str, str] = Field(
        default_factory=dict, description="grid code → reason it is accepted outside the band"
    )


class PlanSummary(BaseModel):
    """A plan without its metrics."""

    id: int
    name: str
    status: Literal["draft", "published", "superseded"]
    params: dict
    community_codes: list[str]
    grids: int
    households: int
    created_at: datetime
    published_at: datetime | None
    effective_from: date | None
    effective_to: date | None
    note: str | None
    version: int = Field(description="bumped by every edit; edits name the version they saw")


class PlanDetail(PlanSummary):
    """A plan with its quality measures (``overall`` and per community)."""

    metrics: dict | None


@router.post(
    "/plans", status_code=201, response_model=PlanDetail, summary="Partition into a draft",
    responses={202: {"model": Job, "description": "background=true: the job started"}},
)  # fmt: skip
async def create_plan(
    request: PlanRequest,
    http: Request,
    background_job: Annotated[
        bool, Query(alias="background", description="answer 202 with a job at once")
    ] = False,
    engine: Engine = Depends(get_engine),
) -> Any:
    """Partition stored communities into grids and store them as a draft plan.

    Communities outside the caller's scope are refused; when none are named, those of the
    caller's scope are partitioned. The partition runs in a separate process, so the server
    keeps answering while it works; with ``background=true`` the answer is a job to poll
    (``GET /plan-jobs/{id}``) instead of the plan.
    """
    communities = request.communities
    scope = principal(http).scope
    if communities is None and (scope or background_job):
        communities = await run_in_threadpool(queries.community_codes, engine, prefix=scope or "")
    for code in communities or ():
        require_scope(http, code)
    work = {
        "communities": communities,
        "params": PartitionParams(target=request.target, tolerance=request.tolerance),
        "seed": request.seed, "name": request.name, "note": request.note,
    }  # fmt: skip
    if background_job:
        return await start_job(http, engine, "partition", sorted(set(communities or ())), work)
    return await background.run(http, plans.create_draft, **work)


@router.post("/plans/{plan_id}/publish", response_model=PlanDetail, summary="Publish a draft")
def publish_plan(
    plan_id: RowId,
    http: Request,
    request: Annotated[PublishRequest | None, Body()] = None,
    engine: Engine = Depends(get_engine),
) -> dict:
    """Check a draft and publish it; 422 lists every failed check, 409 if not a draft.

    Every community of the plan must lie in the caller's scope.
    """
    _own_plan(http, engine, plan_id)
    request = request or PublishRequest()
    return plans.publish(
        engine, plan_id, effective_from=request.effective_from, exceptions=request.exceptions
    )


class PlanPatch(BaseModel):
    """A new name or note for a plan (omitted: unchanged)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    note: str | None = Field(None, max_length=2000)


def _own_plan(http: Request, engine: Engine, plan_id: int) -> dict:
    """The plan, if every one of its communities lies in the caller's scope (else 403)."""
    plan = plans.get_plan(engine, plan_id)
    for code in plan["community_codes"]:
        require_scope(http, code)
    return plan


@router.patch("/plans/{plan_id}", response_model=PlanDetail, summary="Rename a plan")
def patch_plan(
    plan_id: RowId, request: PlanPatch, http: Request, engine: Engine = Depends(get_engine)
) -> dict:
    """Set a plan's name or note; its grids are not touched."""
    _own_plan(http, engine, plan_id)
    return plans.rename_plan(engine, plan_id, name=request.name, note=request.note)


@router.delete(
    "/plans/{plan_id}", status_code=204, response_class=Response, summary="Delete a draft"
)
def delete_plan(plan_id: RowId, http: Request, engine: Engine = Depends(get_engine)) -> Response:
    """Delete a draft with its grids; 409 for a published or superseded plan (history)."""
    _own_plan(http, engine, plan_id)
    plans.delete_draft(engine, plan_id)
    return Response(status_code=204)


@router.get("/plans", response_model=list[PlanSummary], summary="List plans")
def list_plans(
    http: Request,
    status: Literal["draft", "published", "superseded"] | None = None,
    engine: Engine = Depends(get_engine),
) -> list[dict]:
    """The plans touching the caller's scope, newest first."""
    caller = principal(http)
    return [
        p for p in plans.list_plans(engine, status)
        if any(caller.covers(code) for code in p["community_codes"])
    ]  # fmt: skip


def _readable_plan(http: Request, engine: Engine, plan_id: int) -> dict:
    """The plan, if one of its communities lies in the caller's scope (else 403)."""
    plan = plans.get_plan(engine, plan_id)
    codes = plan["community_codes"]
    if codes and not any(principal(http).covers(code) for code in codes):
        require_scope(http, codes[0])
    return plan


@router.get("/plans/{plan_id}", response_model=PlanDetail, summary="One plan with metrics")
def get_plan(plan_id: RowId, http: Request, engine: Engine = Depends(get_engine)) -> dict:
    """A plan's summary and quality measures."""
    return _readable_plan(http, engine, plan_id)


@router.get(
    "/plans/{plan_id}/grids",
    response_class=GeoJSONResponse,
    summary="A plan's grids as GeoJSON",
    responses={200: {"content": {MediaType.geojson.value: {}}}},
)
def plan_grids(
    plan_id: RowId, http: Request, engine: Engine = Depends(get_engine)
) -> GeoJSONResponse:
    """The grids of a plan: code, community, households, buildings, area and flags."""
    _readable_plan(http, engine, plan_id)
    return GeoJSONResponse(plans.plan_grids(engine, plan_id))


@router.get(
    "/plans/{plan_id}/buildings",
    response_class=GeoJSONResponse,
    summary="A plan's buildings and their grids, as GeoJSON",
    responses={200: {"content": {MediaType.geojson.value: {}}}},
)
def plan_buildings(
    plan_id: RowId, http: Request, engine: Engine = Depends(get_engine)
) -> GeoJSONResponse:
    """Every building of the plan's communities, with its grid.

    Properties: ``grid_id`` (null if in no grid of the plan), ``households`` and
    ``households_estimated``, ``compound_id``, ``community_code``, ``name``; footprints.
    """
    _readable_plan(http, engine, plan_id)
    return GeoJSONResponse(plans.plan_buildings(engine, plan_id))


@router.get(
    "/grids",
    response_class=GeoJSONResponse,
    summary="Grids in force on a day, as GeoJSON",
    responses={200: {"content": {MediaType.geojson.value: {}}}},
)
def grids_in_force(
    at: Annotated[date | None, Query(description="YYYY-MM-DD; default today")] = None,
    engine: Engine = Depends(get_engine),
) -> GeoJSONResponse:
    """The published grids in force on ``at``."""
    return GeoJSONResponse(plans.grids_in_force(engine, at or date.today()))
