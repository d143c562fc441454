"""Test fixtures: a real PostGIS (the embedded cluster or WANGGE_TEST_DATABASE_URL).

The schema is built by the same Alembic migrations that production runs. CI must not pass
with database or browser tests skipped: ``pytest_sessionfinish`` fails the run if any were.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from api.database import make_engine, migrate
from api.embedded import EmbeddedCluster
from api.settings import DatabaseSettings, Settings

DATA_TABLES = (
    "audit_log", "auth_session", "app_user", "grid_code_registry", "grid_assignment", "grid",
    "grid_plan",
    "import_log", "facility", "building", "compound", "community", "street",
)  # fmt: skip
_ENFORCED = ("db", "browser")
_skipped_enforced: list[str] = []


def _fresh_database(server_url: str) -> tuple[str, str]:
    """Create a uniquely named database with PostGIS on ``server_url``."""
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"wangge_test_{uuid.uuid4().hex[:8]}"
    admin = url.set(database="postgres")
    dsn = admin.render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    target = url.set(database=name)
    with psycopg.connect(
        target.render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql"),
        autocommit=True,
    ) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return target.render_as_string(hide_password=False), dsn


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """URL of an empty database with PostGIS, for this test session only."""
    server = os.environ.get("WANGGE_TEST_DATABASE_URL")
    if server:
        url, admin_dsn = _fresh_database(server)
        yield url
        name = make_url(url).database
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    folder = Path(tempfile.mkdtemp(prefix="wgt-", dir="/tmp"))
    cluster = EmbeddedCluster(folder)
    url = cluster.start()
    yield url
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """Engine on the test database, schema migrated to head."""
    eng = make_engine(database_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Engine:
    """The engine, with every data table emptied before the test."""
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
        conn.execute(sa.text("DELETE FROM facility_class WHERE NOT builtin"))
    return engine


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the test database."""
    return Settings(db=DatabaseSettings(database_url=database_url, data_dir=tmp_path))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the database as ``db``."""
    for item in items:
        if {"engine", "db", "database_url", "settings"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember database and browser tests that were skipped."""
    if report.skipped and any(k in report.keywords for k in _ENFORCED):
        _skipped_enforced.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a database or browser test was skipped (unless allowed)."""
    if _skipped_enforced and not os.environ.get("WANGGE_ALLOW_SKIP"):
        print(f"\nFAILED: {len(_skipped_enforced)} database/browser tests were skipped:")
        for nodeid in _skipped_enforced[:20]:
            print(f"  {nodeid}")
        session.exitstatus = 1
