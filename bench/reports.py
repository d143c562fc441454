"""Concurrent incident reports: a fixed rate from a second process, nothing lost or doubled.

Issue 5's goal: 200 reports per second for 60 s with zero lost or duplicated rows and p99 ≤
100 ms, and the same while a partition runs. On the district database of
:mod:`bench.district`, wangge serves with uvicorn (2 workers); :mod:`bench.loadgen`, a
second process, POSTs ``/incidents`` as a street office at random points inside the
communities, each request numbered in its description. Afterwards the database must hold
exactly one row per request that was answered 201, and none for any other.

Scenarios, one after the other on the same server: the reports alone; with a partition of
30 communities started at the same time (``POST /plans``, the heaviest thing the server
does); with a street's atlas printed at the same time (``wangge print --street CODE
--atlas``, the CLI a street office runs, on the same database and machine).

``--endpoint reports`` sends residents' reports (``POST /reports``, no login) instead; the
server then allows 100,000 reports per address and window (the bench comes from one
address). Each run also gives the CPU time per report of the server's processes, of the
database backends of the bench database (the partition's included while it runs) and of
the load generator.

    python bench/reports.py [--database-url URL] [--rate 200] [--seconds 60] [--warmup 10]
    python bench/reports.py --endpoint reports --scenarios alone,atlas --seconds 20
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import models as m  # noqa: E402
from api.auth import store  # noqa: E402
from api.database import make_engine  # noqa: E402
from bench.district import add_arguments, district_database  # noqa: E402
from bench.serving import (  # noqa: E402
    backend_pids,
    cpu_seconds,
    load_average,
    uvicorn_server,
    wangge_serve,
)

HERE = Path(__file__).resolve().parent
#: Communities partitioned during the load (the district's first; a partition of the 30 of
#: the earlier bench took 96 s).
PARTITIONED = 30
LABELS = {"alone": "reports alone", "partition": "during a partition",
          "atlas": "during a street atlas"}  # fmt: skip


def _token(url: str) -> str:
    engine = make_engine(url)
    try:
        name = f"bench-{secrets.token_hex(3)}"
        user = store.add_user(engine, name, secrets.token_urlsafe(12), "admin")
        return store.issue_token(engine, user["id"], timedelta(hours=2))[0]
    finally:
        engine.dispose()


def _body(district, rng: np.random.Generator, run: str, endpoint: str) -> str:  # noqa: ANN001
    """A request template at a random building-free point of a random community."""
    shape = district.communities.geometry.iloc[int(rng.integers(len(district.communities)))]
    point = shape.representative_point()
    body = {
        "lon": point.x, "lat": point.y, "class_code": "0102", "source": "patrol",
        "description": f"{run}-{{n}}", "reporter_phone": "13800000000",
    }  # fmt: skip
    if endpoint == "reports":
        del body["source"]  # a resident's report has none (it is "resident")
    return json.dumps(body, ensure_ascii=False)


def _stored(url: str, run: str) -> tuple[int, int, list[int]]:
    """Rows of this run, distinct request numbers among them, and those numbers."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(m.incident.c.description)
                .where(m.incident.c.description.like(f"{run}-%"))
            ).scalars().all()  # fmt: skip
    finally:
        engine.dispose()
    numbers = [int(d.rsplit("-", 1)[1]) for d in rows]
    return len(rows), len(set(numbers)), sorted(numbers)


def _partition(server_url: str, token: str, communities: list[str], result: dict) -> None:
    start = time.perf_counter()
    body = {"name": "bench under load", "tolerance": 0.25, "communities": communities}
    answer = httpx.post(
        f"{server_url}/plans", json=body,
        headers={"Authorization": f"Bearer {token}"}, timeout=3600,
    )  # fmt: skip
    result.update(status=answer.status_code, seconds=time.perf_counter() - start)


#: ``wangge`` run from the current directory's checkout (``--source``), not the installed one.
CLI = "import sys; from api.cli import main; sys.argv[0] = 'wangge'; main()"


def _atlas(url: str, street: str, source: Path, result: dict) -> None:
    """Print ``street``'s atlas with the CLI, as a street office would, and time it."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wangge-bench-atlas-") as tmp:
        done = subprocess.run(
            [sys.executable, "-c", CLI, "print", "--street", street, "--atlas",
             "--out", str(Path(tmp) / "atlas.pdf")],
            env={**os.environ, "WANGGE_DATABASE_URL": url}, cwd=source,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    result.update(status=done.returncode, seconds=time.perf_counter() - start)
    if done.returncode:
        result["error"] = done.stderr[-500:]


def _background(kind: str, server, url: str, district, token: str, source: Path, out: dict):  # noqa: ANN001, ANN202, E501
    """Start the scenario's heavy work in a thread: a partition or a street atlas."""
    if kind == "partition":
        codes = [str(c) for c in district.communities["code"].iloc[:PARTITIONED]]
        out["communities"] = len(codes)
        worker = threading.Thread(target=_partition, args=(server.url, token, codes, out))
    else:
        street = str(district.communities["code"].iloc[0])[:9]
        out["street"] = street
        worker = threading.Thread(target=_atlas, args=(url, street, source, out))
    worker.start()
    time.sleep(1.0)
    return worker


def scenario(server, url, district, token, *, endpoint, rate, seconds, heavy, seed, source) -> dict:  # noqa: ANN001, E501
    run = f"bench{secrets.token_hex(3)}"
    body = _body(district, np.random.default_rng(seed), run, endpoint)
    background: dict = {}
    worker = None
    if heavy:
        worker = _background(heavy, server, url, district, token, source, background)
    app_pids = server.pids()
    app_cpu = cpu_seconds(app_pids)
    db_cpu = {pid: cpu_seconds([pid]) for pid in backend_pids(url)}
    load = subprocess.run(
        [sys.executable, str(HERE / "loadgen.py"), f"{server.url}/{endpoint}", "--body", body,
         "--token", token if endpoint == "incidents" else "", "--rate", str(rate),
         "--seconds", str(seconds)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(load.stdout)
    sent = max(result["sent"], 1)
    result["cpu_ms"] = {
        "app": (cpu_seconds(app_pids) - app_cpu) * 1e3 / sent,
        "database": sum(cpu_seconds([p]) - db_cpu.get(p, 0.0) for p in backend_pids(url))
        * 1e3 / sent,
        "loadgen": result.pop("cpu_s") * 1e3 / sent,
    }  # fmt: skip
    rows, distinct, numbers = _stored(url, run)
    ok = result.pop("ok")
    result.update(
        stored=rows, distinct=distinct, lost=len(set(ok) - set(numbers)),
        duplicated=rows - distinct, unexpected=len(set(numbers) - set(ok)),
        load=load_average(),
    )  # fmt: skip
    if worker is not None:
        result[f"{heavy}_running_at_end"] = worker.is_alive()
        worker.join()
        result[heavy] = background
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--communities", type=int, default=None, help="smaller district")
    parser.add_argument("--endpoint", choices=("incidents", "reports"), default="incidents")
    parser.add_argument(
        "--scenarios", default="alone,partition,atlas", help="any of alone,partition,atlas"
    )
    parser.add_argument(
        "--source", type=Path, help="serve from this checkout (another revision), same venv"
    )
    parser.add_argument(
        "--warmup", type=float, default=10,
        help="seconds of load before the scenarios, not reported (default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--accept", choices=("shared", "serve"), default="shared",
        help="workers on one socket (uvicorn --workers) or one each (wangge serve)",
    )  # fmt: skip
    args = parser.parse_args()
    options = {"seed": args.seed, "server_url": args.server_url}
    if args.communities:
        options["communities"] = args.communities
    with district_database(args.database_url, **options) as (url, district):
        token = _token(url)
        env = {"WANGGE_DATABASE_URL": url, "WANGGE_POOL_SIZE": "10",
               "WANGGE_REPORTS_PER_WINDOW": "100000"}  # fmt: skip
        if args.accept == "serve":
            running = wangge_serve(sys.executable, env, workers=args.workers,
                                   ready_path="/healthz", source=args.source)  # fmt: skip
        else:
            running = uvicorn_server(
                "wangge", sys.executable, ["api.app:create_app", "--factory"], env,
                workers=args.workers, ready_path="/healthz", source=args.source,
            )  # fmt: skip
        with running as server:
            rows = []
            if args.warmup > 0:  # a fresh server opens connections and fills caches first
                r = scenario(server, url, district, token, endpoint=args.endpoint,
                             rate=args.rate, seconds=args.warmup, heavy=None, seed=args.seed,
                             source=args.source or HERE.parent)  # fmt: skip
                print(f"warm-up ({args.warmup:.0f} s, not in the table): p50 "
                      f"{r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.0f} ms",
                      flush=True)  # fmt: skip
            for name in args.scenarios.split(","):
                label = LABELS[name]
                print(f"{label}: POST /{args.endpoint} {args.rate:.0f}/s for {args.seconds:.0f} "
                      f"s; load average {load_average()}", flush=True)  # fmt: skip
                r = scenario(server, url, district, token, endpoint=args.endpoint,
                             rate=args.rate, seconds=args.seconds,
                             heavy=None if name == "alone" else name, seed=args.seed,
                             source=args.source or HERE.parent)  # fmt: skip
                rows.append((label, r))
                print(json.dumps(r, ensure_ascii=False), flush=True)
    print()
    print(
        "| scenario | offered/s | sent | 201 | other | lost | duplicated "
        "| p50 ms | p99 ms | max ms | CPU ms/report: app | database | load generator "
        "| load average at end |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, r in rows:
        other = sum(v for k, v in r["statuses"].items() if k != "201")
        cpu = r["cpu_ms"]
        print(
            f"| {label} | {r['offered_rate']:.0f} | {r['sent']} | {r['statuses'].get('201', 0)} "
            f"| {other} | {r['lost']} | {r['duplicated']} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['max_ms']:.0f} | {cpu['app']:.2f} | "
            f"{cpu['database']:.2f} | {cpu['loadgen']:.2f} | {r['load']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
