"""``wangge serve --workers N``: N processes, a socket each, supervised."""

import os
import signal
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from api.serving import EARLY_DEATHS, serve_many
from tests.processes import alive, wait_until

WANGGE = str(Path(sys.executable).with_name("wangge"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> set[int]:
    """Worker processes of the server ``pid`` (not multiprocessing's helpers)."""
    found = set()
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"spawn_main" in cmdline:
            found.add(int(child))
    return found


def _connections_by_process(pids: set[int], port: int) -> dict[int, int]:
    """Established TCP connections on local ``port`` held by each of ``pids``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state = int(fields[1].split(":")[1], 16), fields[3]
        if local_port == port and state == "01":  # ESTABLISHED
            inodes.add(fields[9])
    counts = {}
    for pid in pids:
        links = (os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir())
        counts[pid] = sum(link[8:-1] in inodes for link in links if link.startswith("socket:"))
    return counts


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def _serving(database_url, tmp_path):
    port = _free_port()
    env = {**os.environ, "WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path)}
    args = [WANGGE, "serve", "--workers", "2", "--port", str(port)]
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: _up(base) and len(_children(process.pid)) == 2)
        yield process, base, port
    finally:
        if process.poll() is None:
            process.terminate()  # stops the workers too
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait()
        log.close()


@pytest.fixture(scope="module")
def server(engine, database_url, tmp_path_factory):
    """A server of two workers, shared by the tests that leave it with two."""
    with _serving(database_url, tmp_path_factory.mktemp("serve")) as running:
        yield running


@pytest.fixture
def own_server(engine, database_url, tmp_path):
    """A server of two workers for one test."""
    with _serving(database_url, tmp_path) as running:
        yield running


def test_each_worker_takes_its_share_of_the_connections(server):
    process, base, port = server
    clients = [httpx.Client(base_url=base) for _ in range(16)]  # one connection each
    try:
        for client in clients:
            assert client.get("/healthz").status_code == 200
        counts = _connections_by_process(_children(process.pid), port)
    finally:
        for client in clients:
            client.close()
    # the kernel hashes connections over the two sockets: all 16 on one is a 1 in 32,768
    assert sorted(counts.values())[0] >= 1 and sum(counts.values()) == 16, counts


def test_a_worker_that_dies_is_started_again(server):
    process, base, _ = server
    first = _children(process.pid)
    os.kill(min(first), signal.SIGKILL)
    assert wait_until(lambda: len(_children(process.pid) - first) == 1 and _up(base))
    assert len(_children(process.pid)) == 2


def test_sigterm_stops_every_worker(own_server):
    process, _, _ = own_server
    workers = _children(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert not [pid for pid in workers if alive(pid)]


def test_workers_of_a_killed_supervisor_shut_down(own_server):
    process, base, _ = own_server
    workers = _children(process.pid)
    process.kill()
    process.wait()
    assert wait_until(lambda: not [pid for pid in workers if alive(pid)], timeout=60)
    assert not _up(base)


def test_a_port_in_use_is_refused_clearly(database_url, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "WANGGE_DATABASE_URL": database_url,
               "WANGGE_DATA_DIR": str(tmp_path)}  # fmt: skip
        done = subprocess.run(
            [WANGGE, "serve", "--workers", "2", "--port", str(port)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr


def test_workers_that_cannot_start_stop_the_supervisor(capfd):
    status = serve_many("127.0.0.1", _free_port(), 2, "warning", app="tests.no_such_module:app")
    assert status == 1
    assert f"{EARLY_DEATHS} workers in a row ended" in capfd.readouterr().err
