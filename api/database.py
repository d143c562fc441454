"""Connecting to the database: URL resolution, engine, migrations, health.

The one place that knows whether the embedded cluster or ``WANGGE_DATABASE_URL`` is used.
The app's lifespan and the CLI both go through :func:`connect`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from api.embedded import EmbeddedCluster
from api.settings import DatabaseSettings
from gis.errors import DatabaseUnavailable


def resolve_url(settings: DatabaseSettings) -> str:
    """Return the database URL, starting the embedded cluster when none is configured."""
    if settings.database_url:
        return settings.database_url
    return EmbeddedCluster(settings.data_dir).start()


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """Create the SQLAlchemy engine (psycopg 3) for ``url``."""
    return sa.create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, future=True
    )


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(str(resources.files("api") / "migrations"))))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema of ``engine``'s database to ``revision``."""
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Downgrade the schema of ``engine``'s database to ``revision``."""
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or ``None`` before any migration."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def connect(settings: DatabaseSettings, *, run_migrations: bool = True) -> Engine:
    """Resolve the URL, build the engine and bring the schema up to date.

    Raises
    ------
    DatabaseUnavailable
        If the server cannot be reached; the message says which one.
    """
    url = resolve_url(settings)
    engine = make_engine(url, pool_size=settings.pool_size)
    try:
        if run_migrations:
            migrate(engine)
        else:
            ping(engine)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise DatabaseUnavailable(
            f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{str(exc.orig).strip().splitlines()[0]}",
            fix="check WANGGE_DATABASE_URL, or unset it to use the embedded database",
        ) from exc
    return engine


def ping(engine: Engine) -> str:
    """Query the database and return the PostGIS version.

    Raises
    ------
    sqlalchemy.exc.OperationalError
        If the database does not answer.
    """
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT postgis_lib_version()")).scalar_one()
