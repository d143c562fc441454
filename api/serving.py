"""Serving the app: one uvicorn process, or several, each on a socket of its own.

uvicorn's own ``--workers`` has every process accept on one shared socket, and the process
that wakes first takes every connection waiting: under a burst of new connections (a
browser's six, a load balancer's pool, a benchmark's 32) one worker got 30 of 32 while the
other idled (``bench/README.md``, ``/lookup``). Here each worker opens its own listening
socket on the same address with ``SO_REUSEPORT``, and the kernel spreads new connections
over them evenly. The parent only supervises: it brings the schema up to date once before
the workers start (so they do not race to migrate), restarts a worker that dies, and stops
them all on SIGINT or SIGTERM; workers whose supervisor was killed shut down by themselves.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

from gis.errors import ConflictError
from gis.pools import watch_parent

#: The app, built by its factory from the environment's settings.
APP = "api.app:create_app"
#: A worker that died is started again at most this often, in seconds.
RESTART_EVERY_S = 1.0
#: Workers that die this soon after their start, this many times in a row, mean the app
#: cannot start (its log says why): the supervisor gives up rather than loop.
EARLY_DEATH_S, EARLY_DEATHS = 10.0, 5


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` that other such sockets may share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _check_free(host: str, port: int) -> None:
    """Refuse an address another server listens on (``SO_REUSEPORT`` would share it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConflictError(
                f"cannot listen on {host}:{port}: {exc.strerror}",
                fix="stop the server already listening there, or pass another --port",
            ) from None


def serve_one(host: str, port: int, log_level: str = "info", access_log: bool = True) -> None:
    """Run one uvicorn process on ``host``:``port`` until it is stopped."""
    uvicorn.run(APP, factory=True, host=host, port=port, log_level=log_level, access_log=access_log)


def _worker(host: str, port: int, log_level: str, access_log: bool, parent: int, app: str) -> None:
    # a killed supervisor leaves no server behind: the worker shuts down as on SIGTERM
    watch_parent(parent, on_orphaned=lambda: os.kill(os.getpid(), signal.SIGTERM))
    sock = reuse_port_socket(host, port)
    config = uvicorn.Config(app, factory=True, log_level=log_level, access_log=access_log)
    uvicorn.Server(config).run(sockets=[sock])


def serve_many(
    host: str, port: int, workers: int, log_level: str = "info", access_log: bool = True,
    app: str = APP,
) -> int:  # fmt: skip
    """Run ``workers`` uvicorn processes, a ``SO_REUSEPORT`` socket each, until stopped.

    ``app`` is the app factory (``module:function``).

    Returns
    -------
    int
        The exit status: 0 after SIGINT or SIGTERM, 1 when workers kept dying at start.

    Raises
    ------
    ConflictError
        If another server listens on ``host``:``port``.
    """
    _check_free(host, port)
    context = multiprocessing.get_context("spawn")
    stopping = False

    started: dict[int, float] = {}

    def start() -> BaseProcess:
        options = (host, port, log_level, access_log, os.getpid(), app)
        process = context.Process(target=_worker, args=options)
        process.start()
        started[process.sentinel] = time.monotonic()
        return process

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    running = [start() for _ in range(workers)]
    early_deaths, status = 0, 0
    try:
        while not stopping:
            ended = wait([p.sentinel for p in running], timeout=0.2)
            for sentinel in ended:
                if stopping:
                    break
                dead = next(p for p in running if p.sentinel == sentinel)
                lived = time.monotonic() - started.pop(dead.sentinel)
                early_deaths = early_deaths + 1 if lived < EARLY_DEATH_S else 0
                if early_deaths >= EARLY_DEATHS:
                    print(
                        f"wangge: {EARLY_DEATHS} workers in a row ended within "
                        f"{EARLY_DEATH_S:g} s of starting; stopping (see the log above)",
                        file=sys.stderr, flush=True,
                    )  # fmt: skip
                    stopping, status = True, 1
                    break
                print(
                    f"wangge: worker {dead.pid} ended (exit code {dead.exitcode}); "
                    "starting another",
                    file=sys.stderr, flush=True,
                )  # fmt: skip
                time.sleep(RESTART_EVERY_S)
                running[running.index(dead)] = start()
    finally:
        for process in running:
            if process.is_alive():
                process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for process in running:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return status
