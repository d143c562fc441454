"""Servers under test and the load on them: uvicorn processes, tipg's venv, wrk.

Every server runs as its own ``uvicorn`` process (with ``--workers``), and the load comes
from ``wrk``, a second process on loopback, that cycles through a list of request paths
(``bench/wrk/paths.lua``) and reports its latency percentiles and bytes as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "wrk" / "paths.lua"
#: The separate venv of the peers whose dependencies clash with wangge's (git-ignored).
PEERS_VENV = HERE / ".peers-venv"
PEER_PACKAGES = ("tipg==1.6.1", "uvicorn[standard]")


def free_port() -> int:
    """A TCP port nobody listens on, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psycopg_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://``) as a plain libpq/asyncpg one."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def peers_python() -> Path:
    """The peers' venv interpreter, creating the venv and installing tipg on first use."""
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {PEERS_VENV} for tipg", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import tipg"], capture_output=True, check=False)
    if probe.returncode:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
    return python


def package_version(python: Path | str, package: str) -> str:
    """The version of ``package`` installed for ``python``."""
    code = f"from importlib.metadata import version; print(version({package!r}))"
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return out.stdout.strip() or "?"


@dataclass
class Server:
    """A running server: its name, root URL and processes (one, or one per worker)."""

    name: str
    url: str
    process: subprocess.Popen
    others: list[subprocess.Popen] = field(default_factory=list)

    def pids(self) -> list[int]:
        """The uvicorn processes and their workers (for CPU accounting)."""
        pids = []
        for process in (self.process, *self.others):
            pids.append(process.pid)
            try:
                out = subprocess.run(
                    ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
                )
                pids.extend(map(int, out.stdout.split()))
            except FileNotFoundError:
                pass
        return pids


@contextmanager
def uvicorn_server(
    name: str,
    python: Path | str,
    app: Sequence[str],
    env: dict[str, str],
    *,
    workers: int,
    ready_path: str,
    timeout: float = 60,
    source: Path | None = None,
) -> Iterator[Server]:
    """Run ``python -m uvicorn <app…> --workers N`` on a free port until the context ends.

    ``app`` is the app argument and its options (``["api.app:create_app", "--factory"]``);
    the server counts as up when ``ready_path`` answers 200. ``source``: the checkout to
    serve from (default this one; another, e.g. ``git worktree add /tmp/old REV``, to
    compare revisions with the same venv).

    uvicorn's workers accept on one shared socket, and the one that wakes first takes
    every connection waiting (wrk's, opened together, landed 30 on one worker and 2 on
    the other); :func:`wangge_serve` gives each worker a socket of its own.
    """
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)
    options = [*app, "--log-level", "warning", "--no-access-log"]
    popen = {"env": {**os.environ, **env}, "cwd": source or ROOT, "stdout": log,
             "stderr": subprocess.STDOUT}  # fmt: skip
    argv = [
        str(python), "-m", "uvicorn", *options, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers),
    ]  # fmt: skip
    processes = [subprocess.Popen(argv, **popen)]
    with _until_stopped(name, port, processes, ready_path, timeout, Path(log.name)) as server:
        yield server


@contextmanager
def wangge_serve(
    python: Path | str, env: dict[str, str], *, workers: int, ready_path: str,
    timeout: float = 60, source: Path | None = None,
) -> Iterator[Server]:  # fmt: skip
    """Run ``wangge serve --workers N`` (the product's own server) until the context ends.

    Each worker has a ``SO_REUSEPORT`` socket of its own (:mod:`api.serving`).
    ``source``: the checkout to serve from, as for :func:`uvicorn_server`.
    """
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="bench-serve-", suffix=".log", delete=False)
    argv = [str(python), "-c", "from api.cli import main; main()", "serve",
            "--workers", str(workers), "--port", str(port)]  # fmt: skip
    env = {**os.environ, "WANGGE_LOG_LEVEL": "warning", "WANGGE_ACCESS_LOG": "false", **env}
    process = subprocess.Popen(
        argv, env=env, cwd=source or ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    with _until_stopped("wangge", port, [process], ready_path, timeout, Path(log.name)) as server:
        yield server


@contextmanager
def _until_stopped(
    name: str, port: int, processes: list[subprocess.Popen], ready_path: str, timeout: float,
    log: Path,
) -> Iterator[Server]:  # fmt: skip
    server = Server(name, f"http://127.0.0.1:{port}", processes[0], processes[1:])
    try:
        _wait_ready(server, ready_path, timeout, log)
        yield server
    except BaseException:
        print(f"{name}'s log:\n{log.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.unlink(missing_ok=True)


def _wait_ready(server: Server, path: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(server.url + path, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{server.name} did not answer {path} within {timeout} s")


def cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU time of live processes, seconds (those gone count 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def backend_pids(database_url: str) -> list[int]:
    """Server processes of every connection to the database of ``database_url``."""
    import psycopg

    url = psycopg_url(database_url)
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def run_wrk_counted(
    server: Server, database_url: str, paths: Sequence[str], **options: object
) -> Load:
    """:func:`run_wrk` on a server, with the CPU time it and its database backends used.

    Backends are those connected when the load ends; one that opened and closed during the
    run (a pool's overflow) is not counted, so the database figure is a lower bound.
    """
    app_pids = server.pids()
    app_before = cpu_seconds(app_pids)
    before = {pid: cpu_seconds([pid]) for pid in backend_pids(database_url)}
    load = run_wrk(server.url, paths, **options)  # type: ignore[arg-type]
    load.app_cpu_s = cpu_seconds(app_pids) - app_before
    load.db_cpu_s = sum(
        cpu_seconds([pid]) - before.get(pid, 0.0) for pid in backend_pids(database_url)
    )
    return load


@dataclass
class Load:
    """What wrk measured over one run.

    Attributes
    ----------
    requests : int
        Responses received.
    seconds : float
        Length of the run.
    p50_ms, p99_ms, max_ms : float
        Latency percentiles of the requests (wrk's own histogram).
    bytes : int
        Bytes read, headers included.
    errors : int
        Connect/read/write errors, timeouts and responses of status 400 or more.
    """

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    bytes: int
    errors: int
    app_cpu_s: float = 0.0
    db_cpu_s: float = 0.0

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """CPU time of the server and its database backends per request, ms."""
        return (self.app_cpu_s + self.db_cpu_s) * 1e3 / max(self.requests, 1)

    @property
    def capacity(self) -> float:
        """Requests/s that two cores could serve at :attr:`cpu_ms` per request."""
        return 2e3 / self.cpu_ms if self.cpu_ms else 0.0


def wrk_available() -> bool:
    """Whether the ``wrk`` command is installed (Debian package ``wrk``)."""
    return shutil.which("wrk") is not None


def run_wrk(
    base_url: str,
    paths: Sequence[str],
    *,
    seconds: float,
    connections: int,
    threads: int = 2,
    timeout: float = 10,
) -> Load:
    """Load ``base_url`` with ``wrk``, cycling through ``paths`` (threads spread over the list).

    Raises
    ------
    RuntimeError
        If wrk is missing or prints no result.
    """
    if not wrk_available():
        raise RuntimeError("wrk is not installed: apt-get install wrk (make bench does)")
    threads = min(threads, connections)  # wrk wants a connection per thread at least
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(paths) + "\n")
    try:
        argv = [
            "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
            "--timeout", f"{timeout:g}s", "-s", str(LUA), base_url,
            "--", listing.name, str(threads),
        ]  # fmt: skip
        out = subprocess.run(argv, capture_output=True, text=True, check=False)
    finally:
        Path(listing.name).unlink(missing_ok=True)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    r = json.loads(line.removeprefix("WRK_JSON "))
    return Load(
        requests=r["requests"],
        seconds=r["duration_us"] / 1e6,
        p50_ms=r["p50_us"] / 1e3,
        p99_ms=r["p99_us"] / 1e3,
        max_ms=r["max_us"] / 1e3,
        bytes=r["bytes"],
        errors=r["errors"],
    )


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, for the report."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"
