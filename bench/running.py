"""Running a method in a process of its own, over communities in workers, with a time box.

A method runs in a *spawned* process, so its peak memory is its own and a crash or a
runaway peer cannot take the benchmark down. Inside it, communities go to a pool of
*forked* workers that inherit what the method put in :data:`SHARED`; a time-boxed map
stops waiting at the deadline and terminates what is still running.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import resource
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SHARED: dict = {}  # set by a method's process before its pool forks; workers read it


def peak_mb() -> float:
    """Peak resident set of this process or of any finished child, MB (the largest, not a sum).

    The process's own peak is ``VmHWM`` (its address space only): ``ru_maxrss`` of a
    spawned process would keep the peak of the process that spawned it, across ``exec``.
    Children (forked workers) count from ``ru_maxrss``, which Linux gives in KB.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                own = int(line.split()[1])
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _child(conn, fn: Callable, args: tuple) -> None:  # noqa: ANN001
    warnings.simplefilter("ignore")
    try:
        value = fn(*args)
        conn.send(("ok", value, peak_mb()))
    except Exception as exc:  # the parent raises it
        conn.send(("error", f"{type(exc).__name__}: {exc}", peak_mb()))
    conn.close()


def isolated(fn: Callable, *args: object) -> tuple[object, float]:
    """Run ``fn(*args)`` in a fresh (spawned) process; return its value and peak memory, MB.

    Raises
    ------
    RuntimeError
        If ``fn`` raised or the process died.
    """
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(send, fn, args))
    process.start()
    send.close()
    try:
        status, value, peak = receive.recv()
    except EOFError:
        status, value, peak = "error", f"process died (exit code {process.exitcode})", 0.0
    process.join()
    if status != "ok":
        raise RuntimeError(value)
    return value, peak


def pool(jobs: int):  # noqa: ANN201
    """Worker processes forked from the current one: they inherit :data:`SHARED`."""
    return mp.get_context("fork").Pool(jobs)


@dataclass
class BoxedMap:
    """Results of a time-boxed map.

    Attributes
    ----------
    results : dict
        Value by task, for the tasks that returned.
    errors : Counter
        ``"Type: message"`` of the tasks that raised, with their counts.
    unfinished : int
        Tasks still running (or not started) at the deadline.
    seconds : float
        Wall time until the last task returned, or the time box.
    """

    results: dict = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    unfinished: int = 0
    seconds: float = 0.0


def boxed_map(fn: Callable, tasks: list, jobs: int, box: float) -> BoxedMap:
    """``fn(task)`` for every task on ``jobs`` forked workers, for at most ``box`` seconds."""
    out = BoxedMap()
    workers = pool(jobs)
    start = time.perf_counter()
    pending = {task: workers.apply_async(fn, (task,)) for task in tasks}
    for job in pending.values():
        job.wait(None if math.isinf(box) else max(0.0, start + box - time.perf_counter()))
    out.seconds = min(time.perf_counter() - start, box)
    for task, job in pending.items():
        if not job.ready():
            out.unfinished += 1
            continue
        try:
            out.results[task] = job.get()
        except Exception as exc:
            out.errors[f"{type(exc).__name__}: {str(exc).splitlines()[0][:90]}"] += 1
    workers.terminate()
    workers.join()
    return out
