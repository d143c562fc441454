"""Plan jobs: partitions and re-runs working in the background, and their progress.

``POST /plans?background=true`` and ``POST /plans/{id}/rerun`` answer 202 with a job;
``GET /plan-jobs/{id}`` reports it until it is ``done`` (with the plan) or ``failed``
(with the error's message and fix).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api import background
from api.access import principal, require_scope
from api.deps import get_engine
from api.params import RowId
from api.plans import jobs

router = APIRouter(tags=["plans"])


class Job(BaseModel):
    """A partition or re-run in the background: progress in communities, and its end."""

    id: int
    kind: Literal["partition", "rerun"]
    status: Literal["queued", "running", "done", "failed"]
    done: int = Field(description="communities done")
    total: int = Field(description="communities to do")
    plan_id: int | None = Field(description="the plan made (partition) or re-run")
    message: str | None
    error: str | None = Field(description="why it failed: the problem and the fix")
    created_at: datetime
    updated_at: datetime


async def start_job(
    http: Request, engine: Engine, kind: str, codes: list[str], work: dict[str, Any],
    plan_id: int | None = None,
) -> JSONResponse:  # fmt: skip
    """Record a job, start it in the app's pool without waiting, answer 202 with it.

    ``work`` are the keyword arguments of the kind's function (picklable values);
    ``plan_id`` the plan a re-run works on.
    """
    caller = principal(http)
    job = await run_in_threadpool(jobs.create_job, engine, kind, codes, caller.name, plan_id)
    future = background.submit(http, jobs.run_job, job_id=job["id"], kind=kind, **work)

    def ended(done: Any) -> None:  # the child died or was cancelled: the job must still end
        if done.cancelled() or done.exception() is not None:
            error = done.exception() if not done.cancelled() else RuntimeError("cancelled")
            jobs.fail_if_unfinished(engine, job["id"], error)

    future.add_done_callback(ended)
    body = Job.model_validate(job).model_dump(mode="json")
    return JSONResponse(body, status_code=202, headers={"Location": f"/plan-jobs/{job['id']}"})


@router.get("/plan-jobs/{job_id}", response_model=Job, summary="Progress of a plan job")
def get_job(job_id: RowId, http: Request, engine: Engine = Depends(get_engine)) -> dict:
    """A background partition or re-run: ``done`` of ``total`` communities, then its end.

    Every community of the job must lie in the caller's scope.
    """
    job = jobs.get_job(engine, job_id)
    for code in job["community_codes"]:
        require_scope(http, code)
    return job
