"""Read queries over the stored layers, as SQLAlchemy Core expressions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api import models as m


def layer_counts(engine: Engine) -> dict[str, int]:
    """Number of features stored in each layer."""
    with engine.connect() as conn:
        return {
            layer: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for layer, table in m.LAYER_TABLES.items()
        }


def community_summary(engine: Engine) -> list[dict]:
    """Each community with its buildings, households (and how many estimated), facilities."""
    b, c, f = m.building, m.community, m.facility
    buildings = (
        sa.select(
            b.c.community_code,
            sa.func.count().label("buildings"),
            sa.func.coalesce(sa.func.sum(b.c.households), 0).label("households"),
            sa.func.count().filter(b.c.households_estimated).label("estimated"),
        )
        .group_by(b.c.community_code)
        .subquery()
    )
    facilities = (
        sa.select(f.c.community_code, sa.func.count().label("facilities"))
        .group_by(f.c.community_code)
        .subquery()
    )
    query = (
        sa.select(
            c.c.code,
            c.c.name,
            c.c.street_code,
            sa.func.coalesce(buildings.c.buildings, 0).label("buildings"),
            sa.func.coalesce(buildings.c.households, 0).label("households"),
            sa.func.coalesce(buildings.c.estimated, 0).label("estimated"),
            sa.func.coalesce(facilities.c.facilities, 0).label("facilities"),
        )
        .outerjoin(buildings, buildings.c.community_code == c.c.code)
        .outerjoin(facilities, facilities.c.community_code == c.c.code)
        .order_by(c.c.code)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def facility_class_counts(engine: Engine) -> list[dict]:
    """Facilities per class, classes with none left out."""
    f, k = m.facility, m.facility_class
    query = (
        sa.select(k.c.code, k.c.name, sa.func.count(f.c.id).label("count"))
        .join(f, f.c.class_code == k.c.code)
        .group_by(k.c.code, k.c.name)
        .order_by(k.c.code)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def recent_imports(engine: Engine, limit: int = 20) -> list[dict]:
    """The latest imports, newest first."""
    log = m.import_log
    query = (
        sa.select(
            log.c.layer,
            log.c.source,
            log.c.format,
            log.c.features_read,
            log.c.inserted,
            log.c.updated,
            log.c.imported_at,
        )
        .order_by(log.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def community_codes(engine: Engine, prefix: str = "") -> list[str]:
    """Codes of the stored communities whose code starts with ``prefix``, in order."""
    c = m.community
    query = sa.select(c.c.code).where(c.c.code.startswith(prefix, autoescape=True))
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(c.c.code)).scalars())
