"""Incident rates per grid and per community: counts, per 100 households, trend, by class.

A period ``[since, until)`` is compared with the one of the same length just before it. The
households are those of the grids in force today (a community's are the sum of its grids').
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api import models as m
from api.auth.roles import Principal
from api.incidents.store import scope_condition
from api.plans.reading import in_force


@dataclass(frozen=True)
class Period:
    """A time window ``[since, until)`` and the one of equal length before it."""

    since: datetime
    until: datetime

    @property
    def previous(self) -> Period:
        """The window just before, of the same length."""
        return Period(self.since - (self.until - self.since), self.since)


def trend(current: int, previous: int) -> float | None:
    """Relative change from the previous period (0.5 = +50 %); ``None`` when it had none."""
    return None if previous == 0 else (current - previous) / previous


def rate(count: int, households: int) -> float | None:
    """Incidents per 100 households; ``None`` without households."""
    return None if households <= 0 else 100.0 * count / households


def incident_rates(
    engine: Engine, period: Period, principal: Principal, *, by: str = "grid",
    class_code: str | None = None,
) -> list[dict]:  # fmt: skip
    """Per grid (or community) in the caller's scope: households, counts, rate, trend, classes.

    Parameters
    ----------
    by : {"grid", "community"}
        The unit of the rows.
    class_code : str, optional
        Count only this major class (2 digits) or subclass (4 digits).
    """
    i, g, p = m.incident, m.grid, m.grid_plan
    unit_col = i.c.grid_code if by == "grid" else i.c.community_code
    grid_unit = g.c.code if by == "grid" else g.c.community_code
    conditions = [scope_condition(principal), unit_col.is_not(None)]
    if class_code:
        conditions.append(i.c.class_code.startswith(class_code, autoescape=True))
    previous = period.previous

    def counted(window: Period) -> sa.ColumnElement[int]:
        inside = sa.and_(i.c.reported_at >= window.since, i.c.reported_at < window.until)
        return sa.func.count().filter(inside)

    major = sa.func.left(i.c.class_code, sa.literal_column("2"))
    counts = (
        sa.select(unit_col.label("unit"), major.label("major"),
                  counted(period).label("now"), counted(previous).label("before"))
        .where(*conditions, i.c.reported_at >= previous.since, i.c.reported_at < period.until)
        .group_by(unit_col, major)
    )  # fmt: skip
    households = (
        sa.select(grid_unit.label("unit"), sa.func.sum(g.c.households).label("households"))
        .join(p, p.c.id == g.c.plan_id)
        .where(in_force(date.today()))
        .group_by(grid_unit)
    )
    with engine.connect() as conn:
        homes = {r.unit: int(r.households) for r in conn.execute(households)}
        rows = conn.execute(counts).all()
    units: dict[str, dict] = {}
    for unit, major, now, before in rows:
        entry = units.setdefault(unit, {"code": unit, "count": 0, "previous": 0, "by_class": {}})
        entry["count"] += now
        entry["previous"] += before
        if now:
            entry["by_class"][major] = now
    for code in homes:
        if principal.covers(code) or principal.scope is None:
            units.setdefault(code, {"code": code, "count": 0, "previous": 0, "by_class": {}})
    out = []
    for code, entry in sorted(units.items()):
        hh = homes.get(code, 0)
        entry.update(
            households=hh, rate_per_100=rate(entry["count"], hh),
            trend=trend(entry["count"], entry["previous"]),
        )  # fmt: skip
        out.append(entry)
    return out
