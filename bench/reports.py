"""Concurrent incident reports: a fixed rate from a second process, nothing lost or doubled.

Issue 5's goal: 200 reports per second for 60 s with zero lost or duplicated rows and p99 ≤
100 ms, and the same while a partition runs. On the district database of
:mod:`bench.district`, wangge serves with uvicorn (2 workers); :mod:`bench.loadgen`, a
second process, POSTs ``/incidents`` as a street office at random points inside the
communities, each request numbered in its description. Afterwards the database must hold
exactly one row per request that was answered 201, and none for any other.

The second run starts a partition of every community (``POST /plans``, the heaviest thing
the server does) at the same time as the load.

    python bench/reports.py [--database-url URL] [--rate 200] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
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
from bench.serving import load_average, uvicorn_server  # noqa: E402

HERE = Path(__file__).resolve().parent


def _token(url: str) -> str:
    engine = make_engine(url)
    try:
        name = f"bench-{secrets.token_hex(3)}"
        user = store.add_user(engine, name, secrets.token_urlsafe(12), "admin")
        return store.issue_token(engine, user["id"], timedelta(hours=2))[0]
    finally:
        engine.dispose()


def _body(district, rng: np.random.Generator, run: str) -> str:  # noqa: ANN001
    """A request template at a random building-free point of a random community."""
    shape = district.communities.geometry.iloc[int(rng.integers(len(district.communities)))]
    point = shape.representative_point()
    return json.dumps({
        "lon": point.x, "lat": point.y, "class_code": "0102", "source": "patrol",
        "description": f"{run}-{{n}}", "reporter_phone": "13800000000",
    }, ensure_ascii=False)  # fmt: skip


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


def _partition(server_url: str, token: str, result: dict) -> None:
    start = time.perf_counter()
    answer = httpx.post(
        f"{server_url}/plans", json={"name": "bench under load", "tolerance": 0.25},
        headers={"Authorization": f"Bearer {token}"}, timeout=3600,
    )  # fmt: skip
    result.update(status=answer.status_code, seconds=time.perf_counter() - start)


def scenario(server, url, district, token, *, rate, seconds, with_partition, seed) -> dict:  # noqa: ANN001
    run = f"bench{secrets.token_hex(3)}"
    body = _body(district, np.random.default_rng(seed), run)
    partition: dict = {}
    worker = None
    if with_partition:
        worker = threading.Thread(target=_partition, args=(server.url, token, partition))
        worker.start()
        time.sleep(1.0)
    load = subprocess.run(
        [sys.executable, str(HERE / "loadgen.py"), f"{server.url}/incidents", "--body", body,
         "--token", token, "--rate", str(rate), "--seconds", str(seconds)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(load.stdout)
    rows, distinct, numbers = _stored(url, run)
    ok = result.pop("ok")
    result.update(
        stored=rows, distinct=distinct, lost=len(set(ok) - set(numbers)),
        duplicated=rows - distinct, unexpected=len(set(numbers) - set(ok)),
        load=load_average(),
    )  # fmt: skip
    if worker is not None:
        result["partition_running_at_end"] = worker.is_alive()
        worker.join()
        result["partition"] = partition
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--communities", type=int, default=None, help="smaller district")
    args = parser.parse_args()
    options = {"seed": args.seed, "server_url": args.server_url}
    if args.communities:
        options["communities"] = args.communities
    with district_database(args.database_url, **options) as (url, district):
        token = _token(url)
        env = {"WANGGE_DATABASE_URL": url, "WANGGE_POOL_SIZE": "10"}
        with uvicorn_server(
            "wangge", sys.executable, ["api.app:create_app", "--factory"], env,
            workers=args.workers, ready_path="/healthz",
        ) as server:  # fmt: skip
            rows = []
            for label, with_partition in (("reports alone", False), ("during a partition", True)):
                print(f"{label}: {args.rate:.0f}/s for {args.seconds:.0f} s", flush=True)
                r = scenario(server, url, district, token, rate=args.rate, seconds=args.seconds,
                             with_partition=with_partition, seed=args.seed)  # fmt: skip
                rows.append((label, r))
                print(json.dumps(r, ensure_ascii=False), flush=True)
    print()
    print(
        "| scenario | offered/s | sent | 201 | other | lost | duplicated "
        "| p50 ms | p99 ms | max ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, r in rows:
        other = sum(v for k, v in r["statuses"].items() if k != "201")
        print(
            f"| {label} | {r['offered_rate']:.0f} | {r['sent']} | {r['statuses'].get('201', 0)} "
            f"| {other} | {r['lost']} | {r['duplicated']} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['max_ms']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
