"""Process pools for long work: children, niced if asked, that end with their parent.

A :class:`~concurrent.futures.ProcessPoolExecutor`'s idle processes wait on a pipe from
the process that started them. If that process is killed (or exits without shutting the
pool down) they wait forever, since each child holds both ends of the pipe: about 350 MB
each, one set per restart of a server, killed atlas or killed partition (whose own pool
sits inside the server's background process when the API runs it). So each child here watches its
parent and exits once it has been handed to another (the orphan's new parent).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

#: How often a pool process checks that its parent is still there, in seconds.
WATCH_S = 1.0


def process_pool(
    workers: int, *, nice: int = 0, start_method: str = "spawn"
) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes at ``nice`` that end with this process.

    Parameters
    ----------
    workers : int
        Processes, started as work arrives.
    nice : int
        Added to the children's niceness (19: the lowest CPU priority, for work that
        must not slow a server down); what they start inherits it.
    start_method : str
        ``spawn`` (a fresh interpreter: safe beside threads, about a second to import
        the libraries) or ``fork`` (a copy of this process: starts at once).
    """
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context(start_method),
        initializer=_start_child, initargs=(os.getpid(), nice),
    )  # fmt: skip


def _start_child(parent_pid: int, nice: int) -> None:
    if nice:
        os.nice(nice)
    watch_parent(parent_pid)


def watch_parent(parent_pid: int, on_orphaned: Callable[[], object] = lambda: os._exit(0)) -> None:
    """Call ``on_orphaned`` (default: exit at once) when this process's parent is gone.

    A daemon thread checks every :data:`WATCH_S` seconds whether the parent is still
    ``parent_pid`` (an orphan is handed to another parent).
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(WATCH_S)
        on_orphaned()

    threading.Thread(target=watch, name="wangge-parent-watch", daemon=True).start()
