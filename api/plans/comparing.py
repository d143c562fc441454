"""Looking at a plan before publishing it: its problems, and how it differs from another."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api import models as m
from api.plans.checks import plan_row, publication_failures

_GRID = re.compile(r"\b(?:grid|code) ([0-9]{15})\b")  # how check lines name a grid


def validation(engine: Engine, plan_id: int) -> dict:
    """The checks publishing runs, as problems per grid, without publishing.

    Returns
    -------
    dict
        ``plan_id``, ``version``, ``publishable`` and ``problems``: a list of
        ``{"grid": code or None, "problem": text}`` (None: a problem of the plan or a
        community, not of one grid).

    Raises
    ------
    NotFoundError
        No such plan.
    """
    with engine.connect() as conn:
        plan = plan_row(conn, plan_id)
        failures = publication_failures(conn, plan)
    problems = []
    for text in failures:
        found = _GRID.search(text)
        problems.append({"grid": found.group(1) if found else None, "problem": text})
    return {
        "plan_id": plan_id, "version": plan.version, "publishable": not problems,
        "problems": problems,
    }  # fmt: skip


def diff(engine: Engine, plan_id: int, other_id: int) -> dict:
    """Buildings that change grid from plan ``plan_id`` to plan ``other_id``, and both metrics.

    Returns
    -------
    dict
        ``plan`` and ``other`` (id, name, status, metrics) and ``moved``: a list of
        ``{"building_id", "from_grid", "to_grid"}`` by building id; a grid is None where
        the building is in no grid of that plan.

    Raises
    ------
    NotFoundError
        Either plan does not exist.
    """
    a, g = m.grid_assignment, m.grid
    with engine.connect() as conn:
        plans = [plan_row(conn, plan_id), plan_row(conn, other_id)]
        codes = [
            sa.select(a.c.building_id, g.c.code.label(f"code_{i}"))
            .join(g, g.c.id == a.c.grid_id)
            .where(a.c.plan_id == p.id)
            .subquery()
            for i, p in enumerate(plans)
        ]
        first, second = codes
        rows = conn.execute(
            sa.select(
                sa.func.coalesce(first.c.building_id, second.c.building_id).label("building_id"),
                first.c.code_0, second.c.code_1,
            )
            .select_from(first.join(second, first.c.building_id == second.c.building_id,
                                    full=True))
            .where(first.c.code_0.is_distinct_from(second.c.code_1))
            .order_by("building_id")
        ).all()  # fmt: skip
    return {
        "plan": _about(plans[0]),
        "other": _about(plans[1]),
        "moved": [{"building_id": b, "from_grid": f, "to_grid": t} for b, f, t in rows],
    }


def _about(plan: sa.Row) -> dict:
    return {
        "id": plan.id, "name": plan.name, "status": plan.status, "version": plan.version,
        "metrics": plan.metrics,
    }  # fmt: skip
