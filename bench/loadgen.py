"""An open-loop HTTP load generator: POST at a fixed rate, record every answer.

Run by bench/reports.py as a second process on loopback. Requests are started on a fixed
schedule (``rate`` per second, whatever the server's latency: an open model, as reports
arrive in life), so a slow server shows as latency and a backlog, not as a lower offered
rate. Each request body is a JSON template with ``{n}`` replaced by the request's number,
so that every stored row can be traced to exactly one request.

Prints one JSON object: offered rate, duration, status counts, latency percentiles (ms),
and the numbers of the requests that succeeded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import httpx
import numpy as np


async def _one(
    client: httpx.AsyncClient, gate: asyncio.Semaphore, url: str, body: str, n: int,
    due: float, out: list,
) -> None:  # fmt: skip
    """Send request ``n``; its latency counts from when it was due, not from when a
    connection became free (so a backlog shows, without coordinated omission)."""
    async with gate:
        try:
            answer = await client.post(
                url, content=body.replace("{n}", str(n)),
                headers={"content-type": "application/json"},
            )  # fmt: skip
            status: object = answer.status_code
        except httpx.HTTPError as exc:
            status = f"error:{type(exc).__name__}"
    out.append((n, status, (time.perf_counter() - due) * 1000))


async def run(
    url: str, body: str, token: str, rate: float, seconds: float, connections: int = 32
) -> dict:
    """Offer ``rate`` POSTs per second to ``url`` for ``seconds``; gather the answers."""
    results: list[tuple[int, object, float]] = []
    # httpcore's pool scans its waiting requests on every change: with thousands queued it
    # spends its time there, so at most ``connections`` requests are in flight at once
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    gate = asyncio.Semaphore(connections)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=headers) as client:
        tasks = []
        start = time.perf_counter()
        total = int(rate * seconds)
        for n in range(total):
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_one(client, gate, url, body, n, due, results)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    latencies = np.array([r[2] for r in results])
    statuses: dict[str, int] = {}
    for _, status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    ok = sorted(n for n, status, _ in results if status == 201)
    return {
        "offered_rate": rate, "seconds": elapsed, "sent": total, "statuses": statuses,
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
        "max_ms": float(latencies.max()), "ok": ok,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--body", required=True, help="JSON template; {n} is the request number")
    parser.add_argument("--token", default="")
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    result = asyncio.run(
        run(args.url, args.body, args.token, args.rate, args.seconds, args.connections)
    )
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
