"""``GET /lookup?lon=&lat=`` under load: throughput and latency on the district.

wangge runs as its own ``uvicorn`` process and ``wrk`` (a second process) asks it, over
loopback, where seeded random points inside the district's communities lie, cycling through
the list. Before the load, a sample of the points is asked once to check every answer is a
200 with a grid. Goal (issue 4): at least 2,000 requests/s on 2 cores with p99 ≤ 25 ms.

    python bench/lookup.py                          # creates, loads and drops a database
    python bench/lookup.py --workers 1,2,3 --database-url postgresql+psycopg://…
    python bench/lookup.py --accept serve,shared    # wangge serve; uvicorn --workers
"""

from __future__ import annotations

import argparse
import sys

import httpx
import numpy as np
import shapely
from district import District, add_arguments, district_database
from rich.console import Console
from rich.table import Table
from serving import load_average, run_wrk, run_wrk_counted, uvicorn_server, wangge_serve

#: Goal of the issue.
GOAL_RATE, GOAL_P99_MS = 2000, 25.0


def points_inside(district: District, count: int, seed: int) -> np.ndarray:
    """``count`` points (lon, lat) drawn uniformly inside the district's communities."""
    rng = np.random.default_rng(seed)
    area = shapely.union_all(district.communities.geometry.to_numpy())
    shapely.prepare(area)
    west, south, east, north = area.bounds
    found: list[np.ndarray] = []
    have = 0
    while have < count:
        xy = rng.uniform((west, south), (east, north), (count, 2))
        keep = xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]
        found.append(keep)
        have += len(keep)
    return np.vstack(found)[:count]


def check(base: str, paths: list[str], sample: int = 200) -> tuple[int, int]:
    """Ask ``sample`` paths once: (answers 200, answers with a grid)."""
    ok = with_grid = 0
    with httpx.Client(base_url=base, timeout=30) as client:
        for path in paths[:sample]:
            r = client.get(path)
            ok += r.status_code == 200
            with_grid += r.status_code == 200 and r.json()["grid"] is not None
    return ok, with_grid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--seconds", type=float, default=20, help="load per case (default 20)")
    parser.add_argument(
        "--connections", default="32", help="wrk connections, comma-separated (default 32)"
    )
    parser.add_argument(
        "--workers", default="2", help="uvicorn workers, comma-separated (default 2)"
    )
    parser.add_argument(
        "--pool-size", type=int, help="WANGGE_POOL_SIZE of the app (default: the app's own)"
    )
    parser.add_argument(
        "--accept", default="serve",
        help="how the server is run, comma-separated: serve (`wangge serve --workers N`: a "
        "SO_REUSEPORT socket per worker) and/or shared (uvicorn --workers, one socket)",
    )  # fmt: skip
    parser.add_argument(
        "--warmup",
        type=float,
        default=5,
        help="seconds of the same load before each measured run, not in the table (default 5)",
    )
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--label", default="", help="a name for this revision in the table")
    args = parser.parse_args()
    console = Console(width=max(Console().width, 160))
    console.print(f"load average at start: {load_average()}")
    rows = []
    database = district_database(args.database_url, server_url=args.server_url, seed=args.seed)
    with database as (url, district):
        console.print(f"district: {district.describe()}")
        xy = points_inside(district, args.points, args.seed)
        paths = [f"/lookup?lon={lon:.7f}&lat={lat:.7f}" for lon, lat in xy]
        env = {"WANGGE_DATABASE_URL": url}
        if args.pool_size:
            env["WANGGE_POOL_SIZE"] = str(args.pool_size)
        cases = [(int(w), a) for w in args.workers.split(",") for a in args.accept.split(",")]
        for workers, accept in cases:
            if accept == "serve":
                running = wangge_serve(sys.executable, env, workers=workers,
                                       ready_path="/healthz")  # fmt: skip
            else:
                running = uvicorn_server(
                    "wangge", sys.executable, ["api.app:create_app", "--factory"], env,
                    workers=workers, ready_path="/healthz",
                )  # fmt: skip
            with running as server:
                ok, with_grid = check(server.url, paths)
                console.print(
                    f"  {workers} workers ({accept}): check {ok}/200 answered, "
                    f"{with_grid} in a grid"
                )
                for connections in (int(c) for c in args.connections.split(",")):
                    if args.warmup > 0:  # a fresh pool opens connections; their backends
                        # load PostGIS and fill their caches, in the first second or so
                        run_wrk(server.url, paths, seconds=args.warmup, connections=connections)
                    load = run_wrk_counted(
                        server, url, paths, seconds=args.seconds, connections=connections
                    )
                    rows.append((workers, accept, connections, load))
                    n = max(load.requests, 1)
                    console.print(
                        f"  {workers} workers ({accept}), {connections} connections: "
                        f"{load.rate:.0f} req/s, "
                        f"p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms, "
                        f"CPU {load.cpu_ms:.2f} ms/req (app {load.app_cpu_s * 1e3 / n:.2f}, "
                        f"database {load.db_cpu_s * 1e3 / n:.2f}), errors {load.errors}"
                    )
    pool = f", pool {args.pool_size}" if args.pool_size else ""
    title = f"/lookup, {args.points:,} points, wrk × {args.seconds:g} s{pool}"
    table = Table(title=f"{title} {args.label}".strip())
    for column in ("workers", "accept", "connections", "req/s", "p50 ms", "p99 ms", "max ms",
                   "bytes/resp", "errors", "CPU ms/req", "req/s on 2 free cores",
                   "goal"):  # fmt: skip
        table.add_column(column, justify="right")
    for workers, accept, connections, load in rows:
        met = load.rate >= GOAL_RATE and load.p99_ms <= GOAL_P99_MS and not load.errors
        table.add_row(
            str(workers), accept, str(connections), f"{load.rate:.0f}", f"{load.p50_ms:.1f}",
            f"{load.p99_ms:.1f}", f"{load.max_ms:.0f}",
            f"{load.bytes / max(load.requests, 1):.0f}", str(load.errors),
            f"{load.cpu_ms:.2f}", f"{load.capacity:.0f}", "met" if met else "missed",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"goal: ≥ {GOAL_RATE} req/s with p99 ≤ {GOAL_P99_MS:g} ms; bytes/resp include headers. "
        "CPU ms/req: CPU time of the app's processes and of its database backends per "
        "request; req/s on 2 free cores = 2,000 ms / CPU ms/req, what the server side could "
        "do on two cores of its own (the load generator excluded). "
        f"load average at end: {load_average()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
