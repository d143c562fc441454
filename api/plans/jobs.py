"""Plan jobs: a partition or a re-run working in the background, with its progress.

A job row is made by the request (``queued``), then the work runs in a child process
(:func:`api.background.submit`) through :func:`run_job`, which marks it ``running``,
writes ``done`` of ``total`` communities after each one, and ends it ``done`` (with the
plan it made or re-ran) or ``failed`` (with the error's message and fix, as the API's
error answers phrase it) whatever the work raises. If the child itself dies, the request
side's :func:`fail_if_unfinished` ends the job ``failed``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api import models as m
from api.plans.drafts import create_draft
from api.plans.rerun import rerun
from gis.errors import NotFoundError, WanggeError

KINDS = m.PLAN_JOB_KINDS
#: What each kind of job runs: ``fn(engine, progress=..., **kwargs)`` returning a plan summary.
_WORK: dict[str, Callable[..., dict]] = {"partition": create_draft, "rerun": rerun}
_VERB = {"partition": "partitioning", "rerun": "re-running"}
#: The fields of a job the API shows.
PUBLIC = ("id", "kind", "status", "done", "total", "plan_id", "message", "error",
          "created_at", "updated_at")  # fmt: skip


def create_job(
    engine: Engine,
    kind: str,
    community_codes: list[str],
    created_by: str,
    plan_id: int | None = None,
) -> dict:
    """Record a new queued job over ``community_codes`` and return it (:data:`PUBLIC` fields)."""
    j = m.plan_job
    values = {
        "kind": kind, "status": "queued", "total": len(community_codes),
        "community_codes": list(community_codes), "created_by": created_by, "plan_id": plan_id,
        "message": "waiting for a free worker",
    }  # fmt: skip
    with engine.begin() as conn:
        row = conn.execute(j.insert().values(**values).returning(*_columns())).one()
    return dict(row._mapping)


def get_job(engine: Engine, job_id: int) -> dict:
    """A job with its ``community_codes``.

    Raises
    ------
    NotFoundError
        No such job.
    """
    j = m.plan_job
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(*_columns(), j.c.community_codes).where(j.c.id == job_id)
        ).one_or_none()
    if row is None:
        raise NotFoundError(f"there is no plan job {job_id}", fix="start one: POST /plans")
    return dict(row._mapping)


def run_job(engine: Engine, job_id: int, kind: str, **kwargs: Any) -> dict:
    """Run job ``job_id`` (``kind``'s work with ``kwargs``), recording progress and its end.

    Returns
    -------
    dict
        The job as it ended. Errors are recorded on the job, not raised.
    """
    _update(engine, job_id, status="running", message=f"{_VERB[kind]} started")

    def progress(done: int, total: int) -> None:
        text = f"{_VERB[kind]}: {done} of {total} communities done"
        _update(engine, job_id, done=done, total=total, message=text)

    try:
        plan = _WORK[kind](engine, progress=progress, **kwargs)
    except WanggeError as exc:
        _end(engine, job_id, "failed", error=exc.message)
    except Exception as exc:  # noqa: BLE001  (the job must end, whatever went wrong)
        _end(engine, job_id, "failed", error=_unexpected(exc))
    else:
        verb = "made" if kind == "partition" else "re-run"
        _end(engine, job_id, "done", plan_id=plan["id"], message=f"plan {plan['id']} {verb}")
    return get_job(engine, job_id)


def fail_if_unfinished(engine: Engine, job_id: int, exc: BaseException) -> None:
    """End a job ``failed`` if it has not ended (its process died or was cancelled)."""
    j = m.plan_job
    with engine.begin() as conn:
        conn.execute(
            j.update().where(j.c.id == job_id, j.c.status.in_(("queued", "running")))
            .values(status="failed", error=_unexpected(exc), updated_at=sa.func.now())
        )  # fmt: skip


def _unexpected(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"the job stopped on an unexpected error: {text}. Fix: try again; report it if it recurs"


def _end(engine: Engine, job_id: int, status: str, **values: Any) -> None:
    j = m.plan_job
    with engine.begin() as conn:
        total = conn.execute(sa.select(j.c.total).where(j.c.id == job_id)).scalar_one()
        if status == "done":
            values["done"] = total
        else:
            values.setdefault("message", "failed")
        conn.execute(
            j.update().where(j.c.id == job_id)
            .values(status=status, updated_at=sa.func.now(), **values)
        )  # fmt: skip


def _update(engine: Engine, job_id: int, **values: Any) -> None:
    j = m.plan_job
    with engine.begin() as conn:
        conn.execute(j.update().where(j.c.id == job_id).values(updated_at=sa.func.now(), **values))


def _columns() -> list[sa.Column]:
    return [m.plan_job.c[name] for name in PUBLIC]
