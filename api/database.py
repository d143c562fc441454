"""Connecting to the database: URL resolution, engine, migrations, health.

The one place that knows whether the embedded cluster or ``WANGGE_DATABASE_URL`` is used.
The app's lifespan and the CLI both go through :func:`connect`.
"""

from __future__ import annotations

import time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast
from weakref import WeakKeyDictionary

import psycopg
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler

from api.embedded import EmbeddedCluster
from api.settings import DatabaseSettings
from gis.errors import DatabaseUnavailable


def resolve_url(settings: DatabaseSettings) -> str:
    """Return the database URL, starting the embedded cluster when none is configured."""
    if settings.database_url:
        return settings.database_url
    return EmbeddedCluster(settings.data_dir).start()


#: A pooled connection idle longer than this, in seconds, is pinged before it is used.
PING_AFTER_IDLE_S = 1.0


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """Create the SQLAlchemy engine (psycopg 3) for ``url``.

    The pool opens up to ``2 * pool_size`` connections as requests need them and keeps
    them, reusing the most recently returned first. (A pool of ``pool_size`` with as many
    again of overflow closes a connection whenever more than ``pool_size`` are idle, so
    under a load that hovers around ``pool_size`` it opened a new server process — PostGIS
    loaded, catalogs read, plans made afresh — many times a second.)

    Connections that sat idle in the pool for more than :data:`PING_AFTER_IDLE_S` are
    pinged when checked out, and replaced if the server has gone (a restart, an idle
    timeout); busy connections are not, which saves a round trip per request under load
    (``pool_pre_ping`` pings every checkout). A connection that breaks in use raises (the
    app answers 503), and SQLAlchemy then replaces every connection opened before it.
    """
    engine = sa.create_engine(
        url, pool_size=2 * pool_size, max_overflow=0, pool_use_lifo=True, future=True
    )

    @sa.event.listens_for(engine.pool, "checkin")
    def note_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["checked_in"] = time.monotonic()

    @sa.event.listens_for(engine.pool, "checkout")
    def ping_if_idle(
        dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        idle_since = record.info.get("checked_in")
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # SELECT 1 outside a transaction
        except psycopg.Error as exc:
            # the pool closes this connection and checks out another (a new one if need be)
            raise sa.exc.DisconnectionError(str(exc)) from exc

    return engine


#: Longest a request waits for a connection of the async pool before it answers 503 (with
#: the database down it would wait all this time: the pool keeps trying to reconnect).
WAIT_FOR_CONNECTION_S = 5.0


def async_pool(engine: Engine, size: int) -> AsyncConnectionPool:
    """An async psycopg pool on ``engine``'s database, for the loop's own queries.

    ``size`` connections in autocommit (one round trip per read), opened in the
    background when the pool opens (``await pool.open()``), and up to ``2 * size`` as
    needed; each loads PostGIS as it opens. As with :func:`make_engine`, a connection
    idle for more than :data:`PING_AFTER_IDLE_S` is pinged when taken and replaced if the
    server has gone, and one that breaks in use raises (the app answers 503) and is
    discarded. Used by :mod:`api.fast_lookup` and the tile route.
    """
    returned: WeakKeyDictionary[AsyncConnection, float] = WeakKeyDictionary()

    async def note_return(conn: AsyncConnection) -> None:
        returned[conn] = time.monotonic()

    async def warm(conn: AsyncConnection) -> None:
        # load PostGIS into the new backend now, not in the first request it serves (its
        # first spatial query took 0.1-1 s on a busy machine: bench/README.md, /lookup)
        await conn.execute("SELECT postgis_lib_version()")

    async def ping_if_idle(conn: AsyncConnection) -> None:
        if time.monotonic() - returned.get(conn, 0.0) > PING_AFTER_IDLE_S:
            await AsyncConnectionPool.check_connection(conn)  # raises: the pool replaces it

    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return AsyncConnectionPool(
        conninfo, min_size=size, max_size=2 * size, open=False, kwargs={"autocommit": True},
        configure=warm, check=ping_if_idle, reset=note_return, timeout=WAIT_FOR_CONNECTION_S,
    )  # fmt: skip


@cache
def psycopg_statement(statement: sa.ClauseElement, bound: tuple[str, ...]) -> tuple[str, dict]:
    """``statement`` compiled once for psycopg: its SQL, and the values of its fixed parameters.

    ``bound`` names the parameters given on each call; the rest keep the values they were
    built with. For the loop's own queries on :func:`async_pool`, which bypass SQLAlchemy's
    execution (and so its statement cache) to save its per-call work.
    """
    compiled = cast(SQLCompiler, statement.compile(dialect=psycopg_dialect()))
    # an IN list becomes one parameter per value here
    state = compiled.construct_expanded_state(dict.fromkeys(bound))
    fixed = {k: v for k, v in state.parameters.items() if k not in bound}
    return state.statement, fixed


async def fetch_one(
    pool: AsyncConnectionPool, statement: sa.ClauseElement, params: dict, *, binary: bool = False
) -> dict | None:
    """The first row (as a dict) of ``statement`` run on ``pool`` with ``params``, or ``None``.

    ``params`` are the values bound on each call (:func:`psycopg_statement`); ``binary``
    reads the results in binary format (a ``bytea`` without hex decoding).
    """
    sql, fixed = psycopg_statement(statement, tuple(params))
    async with pool.connection() as conn:
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(sql, {**fixed, **params}, binary=binary)
        return await cursor.fetchone()


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
