"""Locking grids of a draft: a locked grid keeps its polygon, buildings and code.

Moves into or out of a locked grid are refused (:mod:`api.plans.editing`) and a re-run of
the partition (:mod:`api.plans.rerun`) draws only the land of the unlocked grids again.
Locking is an edit: it checks and bumps the plan's version.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from api import models as m
from api.plans.checks import plan_row
from api.plans.editing import require_draft_version
from gis.errors import NotFoundError


def set_lock(engine: Engine, plan_id: int, grid_id: int, version: int, locked: bool) -> dict:
    """Lock or unlock one grid of a draft, if the draft is still at ``version``.

    Parameters
    ----------
    engine : Engine
        The database.
    plan_id, grid_id : int
        The draft and one of its grids.
    version : int
        The plan version the editor loaded.
    locked : bool
        True to lock, False to unlock (setting the state it has is not an error).

    Returns
    -------
    dict
        ``plan_id``, the new ``version``, ``grid_id`` and ``locked``.

    Raises
    ------
    NotFoundError
        No such plan, or the plan has no grid ``grid_id``.
    ConflictError
        Not a draft, or a stale version.
    """
    g, p = m.grid, m.grid_plan
    with engine.begin() as conn:
        plan = plan_row(conn, plan_id, lock=True)
        require_draft_version(plan, version)
        found = conn.execute(
            g.update().where(g.c.id == grid_id, g.c.plan_id == plan_id)
            .values(locked=locked).returning(g.c.id)
        ).one_or_none()  # fmt: skip
        if found is None:
            raise NotFoundError(
                f"plan {plan_id} has no grid with id {grid_id}",
                fix=f"see GET /plans/{plan_id}/grids for its grids' grid_id",
            )
        new_version = plan.version + 1
        conn.execute(p.update().where(p.c.id == plan_id).values(version=new_version))
    return {"plan_id": plan_id, "version": new_version, "grid_id": grid_id, "locked": locked}
