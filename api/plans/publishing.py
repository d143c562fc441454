"""Publishing a draft: supersede older plans, keep the code registry, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api import models as m
from api.plans.checks import plan_row, publication_failures
from api.plans.layers import PUBLISH_LOCK, REASON_REPARTITION, published_plans
from api.plans.reading import get_plan
from gis.errors import ConflictError, InputError


def publish(
    engine: Engine,
    plan_id: int,
    *,
    effective_from: date | None = None,
    exceptions: Mapping[str, str] | None = None,
) -> dict:
    """Check a draft and publish it, in one transaction.

    Parameters
    ----------
    engine : Engine
        The database.
    plan_id : int
        The draft.
    effective_from : date, optional
        The day the grids take effect (default today).
    exceptions : mapping, optional
        ``{grid code: reason}``: grids accepted outside the household band.

    Returns
    -------
    dict
        The published plan's summary (see :func:`get_plan`).

    Raises
    ------
    NotFoundError
        No such plan.
    ConflictError
        The plan is not a draft, or a plan of its communities was published after it
        was drawn (partition again).
    InputError
        The draft fails its checks (every failure listed), an exception names a grid the
        plan does not have, or the date precedes the plans it replaces.
    """
    day = effective_from or date.today()
    with engine.begin() as conn:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(PUBLISH_LOCK)))
        plan = plan_row(conn, plan_id, lock=True)
        if plan.status != "draft":
            raise ConflictError(
                f"plan {plan_id} is {plan.status}; only a draft can be published",
                fix="partition again to make a new draft",
            )
        _refuse_stale(conn, plan)
        _record_exceptions(conn, plan_id, exceptions or {})
        failures = publication_failures(conn, plan)
        if failures:
            raise InputError(
                f"plan {plan_id} cannot be published ({len(failures)} problems): "
                + "; ".join(failures[:20]),
                fix="partition again, or accept grids outside the band with a reason "
                "(--exception CODE=REASON)",
            )
        _supersede(conn, plan, day)
        _update_registry(conn, plan, day)
        conn.execute(
            m.grid_plan.update().where(m.grid_plan.c.id == plan_id)
            .values(status="published", published_at=sa.func.now(), effective_from=day)
        )  # fmt: skip
    return get_plan(engine, plan_id)


def _refuse_stale(conn: Connection, plan: sa.Row) -> None:
    p = m.grid_plan
    newer = conn.execute(
        sa.select(p.c.id).where(
            p.c.id != plan.id, p.c.published_at > plan.created_at,
            p.c.community_codes.overlap(list(plan.community_codes)),
        ).order_by(p.c.id)
    ).scalars().all()  # fmt: skip
    if newer:
        raise ConflictError(
            f"plan {plan.id} is stale: plan {', '.join(map(str, newer))} of the same "
            "communities was published after it was drawn",
            fix="partition again, so that kept grids keep their codes",
        )


def _record_exceptions(conn: Connection, plan_id: int, exceptions: Mapping[str, str]) -> None:
    g = m.grid
    for code, reason in exceptions.items():
        if not str(reason).strip():
            raise InputError(f"the exception for grid {code} gives no reason", fix="say why")
        done = conn.execute(
            g.update().where(g.c.plan_id == plan_id, g.c.code == code)
            .values(exception_reason=str(reason).strip())
        ).rowcount  # fmt: skip
        if not done:
            raise InputError(f"plan {plan_id} has no grid {code}", fix="see GET /plans/{id}/grids")


def _supersede(conn: Connection, plan: sa.Row, day: date) -> None:
    """Mark the published plans of ``plan``'s communities superseded.

    A replaced plan's other communities are carried into ``plan`` (their grids, building
    assignments and metrics), so that every community stays in exactly one published plan.
    """
    p = m.grid_plan
    codes = list(plan.community_codes)
    metrics = dict(plan.metrics or {})
    carried: list[str] = []
    for old in conn.execute(sa.select(p).where(p.c.id.in_(published_plans(conn, codes)))):
        if day < old.effective_from:
            raise InputError(
                f"the effective date {day} precedes {old.effective_from}, when plan {old.id} "
                "took effect",
                fix=f"give an effective date on or after {old.effective_from}",
            )
        extra = [c for c in old.community_codes if c not in codes and c not in carried]
        if extra:
            _carry_over(conn, old.id, plan.id, extra)
            old_per = (old.metrics or {}).get("communities", {})
            metrics.setdefault("communities", {}).update(
                {c: old_per[c] for c in extra if c in old_per}
            )
            metrics.setdefault("carried", {}).update({c: old.id for c in extra})
            carried += extra
        conn.execute(p.update().where(p.c.id == old.id)
                     .values(status="superseded", effective_to=day))  # fmt: skip
    if carried:
        conn.execute(
            p.update().where(p.c.id == plan.id)
            .values(community_codes=sorted(codes + carried), metrics=metrics)
        )  # fmt: skip


def _carry_over(conn: Connection, old_id: int, new_id: int, codes: list[str]) -> None:
    g, a = m.grid, m.grid_assignment
    columns = [c.name for c in g.columns if c.name not in ("id", "plan_id")]
    conn.execute(
        g.insert().from_select(
            ["plan_id", *columns],
            sa.select(sa.literal(new_id), *(g.c[c] for c in columns))
            .where(g.c.plan_id == old_id, g.c.community_code.in_(codes)),
        )
    )  # fmt: skip
    old, new = g.alias("old_grid"), g.alias("new_grid")
    conn.execute(
        a.insert().from_select(
            ["plan_id", "building_id", "grid_id"],
            sa.select(sa.literal(new_id), a.c.building_id, new.c.id)
            .select_from(
                a.join(old, old.c.id == a.c.grid_id)
                .join(new, sa.and_(new.c.plan_id == new_id, new.c.code == old.c.code))
            )
            .where(a.c.plan_id == old_id, old.c.community_code.in_(codes)),
        )
    )  # fmt: skip


def _update_registry(conn: Connection, plan: sa.Row, day: date) -> None:
    """Withdraw the codes the plan drops, enter the codes it introduces."""
    g, r = m.grid, m.grid_code_registry
    present = sa.select(g.c.code).where(g.c.plan_id == plan.id)
    conn.execute(
        r.update()
        .where(r.c.community_code.in_(list(plan.community_codes)), r.c.status == "active",
               r.c.code.not_in(present))
        .values(status="withdrawn", valid_to=day, reason=REASON_REPARTITION)
    )  # fmt: skip
    new = sa.select(
        g.c.code, g.c.community_code, g.c.seq, sa.literal("active"), sa.literal(plan.id),
        sa.literal(day, sa.Date),
    ).where(g.c.plan_id == plan.id)  # fmt: skip
    names = ["code", "community_code", "seq", "status", "first_plan_id", "valid_from"]
    stmt = sa.dialects.postgresql.insert(r).from_select(names, new)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["code"]))
