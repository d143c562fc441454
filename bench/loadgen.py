"""An open-loop HTTP load generator: POST at a fixed rate, record every answer.

Run by bench/reports.py as a second process on loopback. Requests are started on a fixed
schedule (``rate`` per second, whatever the server's latency: an open model, as reports
arrive in life), so a slow server shows as latency and a backlog, not as a lower offered
rate. Each request body is a JSON template with ``{n}`` replaced by the request's number,
so that every stored row can be traced to exactly one request.

The client is asyncio streams (uvloop when installed) writing HTTP/1.1 by hand over
keep-alive connections: it shares the server's cores, and httpx's client cost about
3.3 ms of CPU a request (a third of both cores at 200/s), this one about a tenth of that.

Prints one JSON object: offered rate, duration, status counts, latency percentiles (ms),
its own CPU time, and the numbers of the requests that succeeded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from urllib.parse import urlsplit

import numpy as np

try:  # the loop costs a good part of the generator's CPU, which the server shares
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None


class Target:
    """Where to POST and how: the request's head, so each request is one ``bytes`` join."""

    def __init__(self, url: str, token: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self.head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\n{auth}Content-Length: "
        ).encode()

    def request(self, body: bytes) -> bytes:
        """The whole HTTP/1.1 request carrying ``body``."""
        return b"".join((self.head, str(len(body)).encode(), b"\r\n\r\n", body))


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; its status and whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection") != "close"


async def _connection(
    target: Target, queue: asyncio.Queue, body: str, timeout: float, out: list
) -> None:
    """One keep-alive connection: send the requests it takes from ``queue``, one at a time.

    A request's latency counts from when it was due, not from when this connection became
    free (so a backlog shows, without coordinated omission)."""
    reader = writer = None
    while (item := await queue.get()) is not None:
        n, due = item
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(target.host, target.port)
            writer.write(target.request(body.replace("{n}", str(n)).encode()))
            status, keep = await asyncio.wait_for(_answer(reader), timeout)  # type: ignore[arg-type]
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            status, keep = f"error:{type(exc).__name__}", False  # type: ignore[assignment]
        out.append((n, status, (time.perf_counter() - due) * 1000))
        if not keep and writer is not None:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def run(
    url: str, body: str, token: str, rate: float, seconds: float, connections: int = 32,
    timeout: float = 60,
) -> dict:  # fmt: skip
    """Offer ``rate`` POSTs per second to ``url`` for ``seconds``; gather the answers.

    At most ``connections`` requests are in flight; a request due while all are busy waits
    for one (and its wait counts in its latency).
    """
    results: list[tuple[int, object, float]] = []
    target = Target(url, token)
    queue: asyncio.Queue = asyncio.Queue()
    workers = [
        asyncio.create_task(_connection(target, queue, body, timeout, results))
        for _ in range(connections)
    ]
    start = time.perf_counter()
    total = int(rate * seconds)
    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((n, due))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
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
        "max_ms": float(latencies.max()), "cpu_s": _cpu_seconds(), "ok": ok,
    }  # fmt: skip


def _cpu_seconds() -> float:
    """CPU time this process has used (user + system), seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--body", required=True, help="JSON template; {n} is the request number")
    parser.add_argument("--token", default="")
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    job = run(args.url, args.body, args.token, args.rate, args.seconds, args.connections)
    result = uvloop.run(job) if uvloop is not None else asyncio.run(job)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
