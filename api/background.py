"""Heavy work off the serving process: a process pool owned by the app's lifespan.

A partition takes seconds to minutes of CPU. Run in a request's thread it would hold the
worker process's GIL so long that the event loop stops answering (and uvicorn's supervisor
kills a worker that misses its health pings). So it runs in a separate process: the
request awaits it while the worker keeps serving everyone else.

The child opens its own small engine on the same database and writes as the request's
caller, so the audit log names the right person.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from fastapi import FastAPI, Request

from api.auth import actor
from api.auth.roles import Principal, Role
from gis.pools import process_pool


def start(app: FastAPI, workers: int) -> None:
    """Give ``app`` a pool of ``workers`` processes (started on first use), at nice 19.

    The lowest priority, inherited by what they start, so that serving comes first: at
    the serving processes' priority a partition took a core from them (bench/reports.py).
    The processes end when the server does, even if it is killed (:mod:`gis.pools`).
    """
    app.state.background = process_pool(workers, nice=19)


def stop(app: FastAPI) -> None:
    """Shut the pool down, cancelling work not yet started."""
    pool = getattr(app.state, "background", None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def _in_child(url: str, who: dict, fn: Callable[..., Any], kwargs: dict) -> Any:
    from api.database import make_engine  # the child imports what it needs

    engine = make_engine(url, pool_size=1)
    actor.install(engine)
    actor.set_actor(Principal(Role.parse(who["role"]), who["id"], who["name"], who["scope"]))
    try:
        return fn(engine, **kwargs)
    finally:
        engine.dispose()


def _child_args(request: Request) -> tuple[str, dict]:
    """The database URL and the caller, as the child needs them."""
    url = request.app.state.engine.url.render_as_string(hide_password=False)
    caller: Principal = request.state.principal
    who = {"role": caller.role.label, "id": caller.user_id, "name": caller.name,
           "scope": caller.scope}  # fmt: skip
    return url, who


async def run(request: Request, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run ``fn(engine, **kwargs)`` in the app's pool, as the request's caller, and await it.

    ``fn`` and ``kwargs`` must be picklable (a module-level function, plain values).
    """
    url, who = _child_args(request)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app.state.background, _in_child, url, who, fn, kwargs)


def submit(request: Request, fn: Callable[..., Any], **kwargs: Any) -> Future:
    """Start ``fn(engine, **kwargs)`` in the app's pool, as the request's caller; do not wait.

    The future is kept on the app until it ends, so the work outlives the request.
    """
    url, who = _child_args(request)
    state = request.app.state
    if not hasattr(state, "submitted"):
        state.submitted = set()
    future = state.background.submit(_in_child, url, who, fn, kwargs)
    state.submitted.add(future)
    future.add_done_callback(state.submitted.discard)
    return future
