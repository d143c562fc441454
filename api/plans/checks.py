"""Why a draft cannot be published: buildings, geometry, band, withdrawn codes."""

from __future__ import annotations

import geopandas as gpd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api import models as m
from api.plans.layers import LISTED, as_wkb, read_frame
from gis.errors import NotFoundError
from gis.metrics import Band
from gis.partition.checks import geometry_failures, out_of_band


def plan_row(conn: Connection, plan_id: int, *, lock: bool = False) -> sa.Row:
    """The plan row, locked for update when asked.

    Raises
    ------
    NotFoundError
        If there is no such plan.
    """
    query = sa.select(m.grid_plan).where(m.grid_plan.c.id == plan_id)
    row = conn.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise NotFoundError(f"there is no plan {plan_id}", fix="list the plans: GET /plans")
    return row


def grid_frame(conn: Connection, plan_id: int) -> gpd.GeoDataFrame:
    """The grids of a plan as a GeoDataFrame in EPSG:4326."""
    g = m.grid
    return read_frame(
        conn,
        sa.select(
            g.c.code, g.c.community_code, g.c.kind, g.c.households, g.c.flags,
            g.c.exception_reason, as_wkb(g.c.geometry),
        ).where(g.c.plan_id == plan_id).order_by(g.c.code),
    )  # fmt: skip


def plan_band(plan: sa.Row) -> Band:
    """The target and tolerance the plan was run with."""
    return Band(plan.params["target"], plan.params["tolerance"])


def publication_failures(conn: Connection, plan: sa.Row) -> list[str]:
    """Every reason ``plan`` cannot be published, one line each (empty when it can)."""
    b, a, r = m.building, m.grid_assignment, m.grid_code_registry
    codes = list(plan.community_codes)
    failures = []
    unplaced = conn.execute(
        sa.select(b.c.id).where(
            b.c.community_code.in_(codes),
            ~sa.exists().where(a.c.plan_id == plan.id, a.c.building_id == b.c.id),
        ).order_by(b.c.id)
    ).scalars().all()  # fmt: skip
    if unplaced:
        failures.append(
            f"{len(unplaced)} buildings of these communities are in no grid "
            f"(building ids {', '.join(map(str, unplaced[:LISTED]))}); "
            "buildings imported after the draft need a new partition"
        )
    grids = grid_frame(conn, plan.id)
    communities = read_frame(
        conn, sa.select(m.community.c.code, as_wkb(m.community.c.boundary))
        .where(m.community.c.code.in_(codes)),
    )  # fmt: skip
    failures += geometry_failures(grids, communities)
    band = plan_band(plan)
    lower, upper = band.target * (1 - band.tolerance), band.target * (1 + band.tolerance)
    failures += [
        f"grid {code} has {h} households, outside {lower:.0f}–{upper:.0f}, and is neither "
        "flagged nor given an exception reason"
        for code, h in out_of_band(grids, band)[["code", "households"]].itertuples(index=False)
    ]
    withdrawn = conn.execute(
        sa.select(r.c.code).where(r.c.status == "withdrawn", r.c.code.in_(list(grids["code"])))
    ).scalars().all()  # fmt: skip
    failures += [f"code {c} was withdrawn and is never issued again" for c in withdrawn]
    return failures
