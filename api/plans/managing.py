"""Naming and deleting plans: a draft can be thrown away; a published plan is history."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api import models as m
from api.plans.checks import plan_row
from api.plans.reading import get_plan
from gis.errors import ConflictError


def rename_plan(
    engine: Engine, plan_id: int, *, name: str | None = None, note: str | None = None
) -> dict:
    """Give a plan of any status a new name or note (``None``: keep it); return it.

    Raises
    ------
    NotFoundError
        No such plan.
    """
    values = {k: v for k, v in (("name", name), ("note", note)) if v is not None}
    with engine.begin() as conn:
        plan_row(conn, plan_id, lock=True)
        if values:
            conn.execute(m.grid_plan.update().where(m.grid_plan.c.id == plan_id).values(**values))
    return get_plan(engine, plan_id)


def delete_draft(engine: Engine, plan_id: int) -> None:
    """Delete a draft with its grids and assignments, in one transaction.

    Raises
    ------
    NotFoundError
        No such plan.
    ConflictError
        The plan is published or superseded: it is the record of grids that were in force.
    """
    with engine.begin() as conn:
        plan = plan_row(conn, plan_id, lock=True)
        if plan.status != "draft":
            raise ConflictError(
                f"plan {plan_id} is {plan.status}; only a draft can be deleted",
                fix="published and superseded plans are kept as the history of the grids",
            )
        conn.execute(sa.delete(m.grid_plan).where(m.grid_plan.c.id == plan_id))
