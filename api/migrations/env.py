"""Alembic environment of wangge: runs migrations on the connection or URL it is given."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from api.models import metadata

config = context.config
target_metadata = metadata


def _include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001
    """Leave PostGIS's own tables (spatial_ref_sys…) out of comparisons."""
    return not (type_ == "table" and reflected and compare_to is None)


def run_migrations_online() -> None:
    """Run migrations on ``config.attributes['connection']`` or ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=_include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(
            connection=conn, target_metadata=target_metadata, include_object=_include_object
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("wangge migrations run online only")
run_migrations_online()
