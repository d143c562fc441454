"""The embedded cluster: starts, is reused by a second process, stops; health follows it."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from api.embedded import EmbeddedCluster
from api.settings import DatabaseSettings, Settings

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def cluster():
    folder = Path(tempfile.mkdtemp(prefix="wge-", dir="/tmp"))
    yield EmbeddedCluster(folder)
    EmbeddedCluster(folder).stop()
    shutil.rmtree(folder, ignore_errors=True)


def _postmaster_pid(cluster: EmbeddedCluster) -> int:
    return int((cluster.pgdata / "postmaster.pid").read_text().splitlines()[0])


def test_start_initialises_and_runs(cluster):
    url = cluster.start()
    state = cluster.status()
    assert state.initialised and state.running
    assert str(cluster.socket_dir) in url


def test_cluster_listens_on_no_tcp_port(cluster):
    url = cluster.start()
    with sa.create_engine(url).connect() as conn:
        assert conn.execute(sa.text("SHOW listen_addresses")).scalar_one() == ""
    assert (cluster.socket_dir / ".s.PGSQL.5432").exists()


def test_second_process_reuses_running_cluster(cluster):
    cluster.start()
    before = _postmaster_pid(cluster)
    env = {**os.environ, "WANGGE_DATA_DIR": str(cluster.data_dir)}
    env.pop("WANGGE_DATABASE_URL", None)
    code = (
        "from api.embedded import EmbeddedCluster as C; import os; "
        "print(C(os.environ['WANGGE_DATA_DIR']).start())"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert _postmaster_pid(cluster) == before


def test_db_status_command_sees_running_cluster(cluster):
    cluster.start()
    env = {**os.environ, "WANGGE_DATA_DIR": str(cluster.data_dir), "COLUMNS": "200"}
    env.pop("WANGGE_DATABASE_URL", None)
    wangge = Path(sys.executable).parent / "wangge"
    out = subprocess.run([str(wangge), "db", "status"], env=env, capture_output=True, text=True)
    assert "running" in out.stdout and "not" not in out.stdout


def test_healthz_answers_503_while_down_and_recovers(cluster):
    cluster.start()
    settings = Settings(db=DatabaseSettings(data_dir=cluster.data_dir))
    # a tile and /lookup take the async pool's connections; /healthz the engine's
    asks = {
        "/healthz": 200,
        "/tiles/buildings/16/53500/27200.mvt": 204,
        "/lookup?lon=114.3&lat=30.5": 404,
    }
    with TestClient(create_app(settings)) as client:
        assert {path: client.get(path).status_code for path in asks} == asks
        cluster.stop()
        down = client.get("/healthz")
        assert down.status_code == 503 and down.json()["database"] == "down"
        assert {path: client.get(path).status_code for path in asks} == dict.fromkeys(asks, 503)
        cluster.start()
        assert {path: client.get(path).status_code for path in asks} == asks
        # a restart while idle: the pools' connections are dead but do not know it yet
        cluster.stop()
        cluster.start()
        time.sleep(1.5)  # idle long enough to be pinged before use
        assert {path: client.get(path).status_code for path in asks} == asks


def test_stop_stops_and_says_so(cluster):
    cluster.start()
    assert cluster.stop() is True
    assert cluster.status().running is False
    assert cluster.stop() is False


def test_too_long_data_dir_is_refused_with_fix(tmp_path):
    from gis.errors import DatabaseUnavailable

    deep = Path("/tmp") / ("x" * 90)
    with pytest.raises(DatabaseUnavailable, match="WANGGE_DATA_DIR"):
        EmbeddedCluster(deep).start()
    shutil.rmtree(deep, ignore_errors=True)
