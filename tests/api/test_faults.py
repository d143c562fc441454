"""A process killed inside its transaction leaves the database as it was.

A real ``wangge import`` or ``wangge plan publish`` runs as a subprocess against the test
database. The test holds an EXCLUSIVE lock on the table the command writes last
(``import_log``; ``grid_code_registry``), so the command blocks there with its other writes
done but not committed: ``pg_locks`` shows it holding write locks on ``building`` or
``grid_plan``. The test then kills it with SIGKILL, releases the lock, waits for the server
to drop the orphaned backend, and checks the md5 of every table is what it was; then the
same work, done again, succeeds. No test hook in the code is needed.

The app answering 503 while the embedded database is stopped, and recovering by itself, is
``tests/api/test_embedded.py::test_healthz_answers_503_while_down_and_recovers``.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from api import plans
from api.cli.importing import import_file
from gis.roads import read_roads
from tests.api.conftest import PUBLISHABLE
from tests.corpus import table_digests

WAIT_SECONDS = 120


@pytest.fixture
def env(database_url, tmp_path):
    return {
        **os.environ, "WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path),
    }  # fmt: skip


def _wangge(*args: str, env: dict) -> subprocess.Popen:
    code = "from api.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@contextmanager
def _table_locked(engine: sa.Engine, table: str) -> Iterator[None]:
    """Hold an EXCLUSIVE lock on ``table``: reads go on, writes wait."""
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(sa.text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            trans.rollback()


def _blocked_backend(engine: sa.Engine, proc: subprocess.Popen, table: str) -> int:
    """The pid of the backend waiting for a lock to write ``table``, once it waits."""
    deadline = time.monotonic() + WAIT_SECONDS
    query = sa.text(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND state = 'active' AND query ILIKE :pattern AND pid <> pg_backend_pid()"
    )
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the command ended before blocking: {proc.stdout.read()}")
        with engine.connect() as conn:
            pid = conn.execute(query, {"pattern": f"%{table}%"}).scalar()
        if pid:
            return pid
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"no backend blocked on {table} within {WAIT_SECONDS} s")


def _write_locks(engine: sa.Engine, pid: int) -> set[str]:
    """Tables the backend ``pid`` holds a write (RowExclusive) lock on."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                sa.text(
                    "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE l.pid = :pid AND l.mode = 'RowExclusiveLock' AND l.granted"
                ),
                {"pid": pid},
            ).scalars()
        )


def _wait_gone(engine: sa.Engine, pid: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    with engine.connect() as conn:
        while conn.execute(
            sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar_one():
            assert time.monotonic() < deadline, f"backend {pid} of the killed process lingers"
            time.sleep(0.2)
            conn.rollback()


def _kill_inside(engine: sa.Engine, args: list[str], env: dict, table: str) -> set[str]:
    """Run ``wangge *args``, kill -9 it while it waits to write ``table``; its write locks."""
    with _table_locked(engine, table):
        proc = _wangge(*args, env=env)
        pid = _blocked_backend(engine, proc, table)
        held = _write_locks(engine, pid)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    _wait_gone(engine, pid)
    return held


@pytest.fixture
def buildings_file(city, tmp_path):
    """The city's buildings with every floor count changed, so a re-import rewrites them."""
    frame = city.layers.buildings.copy()
    frame["floors"] = frame["floors"].fillna(6) + 1
    path = tmp_path / "buildings.gpkg"
    frame.to_file(path, layer="buildings", driver="GPKG")
    return path


def test_import_killed_in_its_transaction_changes_nothing(city, env, buildings_file):
    before = table_digests(city.engine)
    held = _kill_inside(
        city.engine, ["import", "buildings", str(buildings_file)], env, "import_log"
    )
    assert "building" in held  # it had written the buildings when it died
    assert table_digests(city.engine) == before


def test_import_after_a_killed_import_works(city, env, settings, buildings_file):
    _kill_inside(city.engine, ["import", "buildings", str(buildings_file)], env, "import_log")
    report = import_file(settings, "buildings", buildings_file)
    assert report.updated == len(city.layers.buildings)


@pytest.fixture
def draft(city, tmp_path):
    """A new draft of the city's communities, drawn after its published plan."""
    city.layers.roads.to_file(tmp_path / "roads.gpkg", driver="GPKG")
    roads = read_roads(tmp_path / "roads.gpkg")[0]
    return plans.create_draft(city.engine, params=PUBLISHABLE, roads=roads)["id"]


def _status(engine, plan_id):
    with engine.connect() as conn:
        query = sa.text("SELECT status FROM grid_plan WHERE id = :id")
        return conn.execute(query, {"id": plan_id}).scalar_one()


def test_publish_killed_in_its_transaction_changes_nothing(city, env, draft):
    before = table_digests(city.engine)
    held = _kill_inside(city.engine, ["plan", "publish", str(draft)], env, "grid_code_registry")
    assert "grid_plan" in held  # it had superseded the plan in force when it died
    assert table_digests(city.engine) == before
    assert (_status(city.engine, city.plan_id), _status(city.engine, draft)) == (
        "published",
        "draft",
    )


def test_publish_after_a_killed_publish_works(city, env, draft):
    _kill_inside(city.engine, ["plan", "publish", str(draft)], env, "grid_code_registry")
    result = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", "plan", "publish", str(draft)],
        env=env, capture_output=True, text=True, timeout=WAIT_SECONDS,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert (_status(city.engine, city.plan_id), _status(city.engine, draft)) == (
        "superseded",
        "published",
    )
