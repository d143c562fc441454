"""Weight and speed of the map pages in Chromium, on the district.

wangge runs as its own ``uvicorn`` process; Debian's Chromium (``/usr/bin/chromium``, driven
by playwright; no browser is downloaded) opens ``/map/communities/{code}`` for the
community with the most buildings, and ``/map/streets/{code}`` for the street with the most
communities when the app has that route, each ``--runs`` times in a fresh browser context
(empty cache), in a 1366 × 768 window. From the DevTools protocol: requests, bytes
transferred (``encodedDataLength``: headers and bodies as sent) and requests to any other
host; from the page: first contentful paint, ``DOMContentLoaded`` and ``load``; and the wall
time until the network has been idle for 500 ms (the map has fetched its data for the
view). **MB if gzipped** counts each body as gzip -6 would send it (the app compresses
nothing today), and the heaviest routes are listed. Goal (issue 4): the street page under
3 MB transferred.

    python bench/page.py                    # creates, loads and drops a database
    python bench/page.py --database-url postgresql+psycopg://postgres@127.0.0.1/wangge_bench_…
"""

from __future__ import annotations

import argparse
import base64
import gzip
import statistics
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from chromium import add_arguments, stage
from playwright.sync_api import Browser, CDPSession, Error
from rich.console import Console
from rich.table import Table
from serving import load_average

from api import models as m
from api.database import make_engine

VIEWPORT = {"width": 1366, "height": 768}
#: Goal of the issue for the street page, bytes.
GOAL_BYTES = 3_000_000


@dataclass
class Visit:
    """One page load in a fresh context."""

    requests: int
    bytes: int
    gzip_bytes: int
    foreign: int
    fcp_ms: float
    dcl_ms: float
    load_ms: float
    idle_ms: float
    by_type: dict
    by_path: dict


def visit(browser: Browser, url: str) -> Visit:
    """Open ``url`` in a fresh context and measure it."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable", {"maxTotalBufferSize": 400_000_000})
    sizes: dict[str, int] = {}
    types: dict[str, str] = {}
    hosts: dict[str, str] = {}

    urls: dict[str, str] = {}
    full: dict[str, str] = {}

    def sent(event: dict) -> None:
        url = urlsplit(event["request"]["url"])
        if url.scheme not in ("http", "https", "ws", "wss"):
            return  # data: and blob: URLs are not requests to a host
        hosts[event["requestId"]] = url.netloc
        types[event["requestId"]] = event.get("type", "Other")
        urls[event["requestId"]] = url.path
        full[event["requestId"]] = event["request"]["url"]

    def finished(event: dict) -> None:
        sizes[event["requestId"]] = int(event["encodedDataLength"])

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    start = time.perf_counter()
    page.goto(url, wait_until="networkidle", timeout=120_000)
    idle = (time.perf_counter() - start) * 1000 - 500  # networkidle waits 500 ms of quiet
    arrived = dict(sizes)  # events may still come in while measuring
    timing = page.evaluate(
        """() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        return {fcp: fcp ? fcp.startTime : -1, dcl: nav.domContentLoadedEventEnd,
                load: nav.loadEventEnd};
    }"""
    )
    gzipped = sum(
        _gzipped(cdp, rid, size, full[rid]) for rid, size in arrived.items() if rid in hosts
    )
    context.close()
    own = urlsplit(url).netloc
    by_type: dict[str, int] = {}
    by_path: dict[str, int] = {}
    for request_id, size in arrived.items():
        if request_id not in hosts:
            continue
        kind = types.get(request_id, "Other")
        by_type[kind] = by_type.get(kind, 0) + size
        path = _route(urls[request_id])
        by_path[path] = by_path.get(path, 0) + size
    return Visit(
        requests=len(hosts),
        bytes=sum(size for rid, size in arrived.items() if rid in hosts),
        gzip_bytes=gzipped,
        foreign=sum(1 for h in hosts.values() if h != own),
        fcp_ms=timing["fcp"],
        dcl_ms=timing["dcl"],
        load_ms=timing["load"],
        idle_ms=idle,
        by_type=by_type,
        by_path=by_path,
    )


def _gzipped(cdp: CDPSession, request_id: str, sent: int, url: str) -> int:
    """What a response would weigh with its body gzipped (level 6), headers as sent.

    The body is the browser's copy, or fetched again from ``url`` when the browser kept
    none (it keeps no copy of the vector tiles the map reads as array buffers); a body
    that came compressed counts as sent.
    """
    try:
        answer = cdp.send("Network.getResponseBody", {"requestId": request_id})
        raw = answer["body"]
        body = base64.b64decode(raw) if answer["base64Encoded"] else raw.encode()
    except Error:
        body = b""
    if not body and sent > 1000:
        body = httpx.get(url, timeout=60).content
    if len(body) > sent:  # it came compressed
        return sent
    return sent - len(body) + len(gzip.compress(body, 6))


def _route(path: str) -> str:
    """A request path with its numbers and codes replaced, to add up requests by route."""
    return "/".join("…" if part[:1].isdigit() else part for part in path.split("/"))


def pages(url: str, base: str) -> list[tuple[str, str | None]]:
    """(page, path or None when the app has no such route) to measure."""
    engine = make_engine(url)
    b, c = m.building, m.community
    with engine.connect() as conn:
        community = conn.execute(
            sa.select(b.c.community_code)
            .group_by(b.c.community_code)
            .order_by(sa.func.count().desc(), b.c.community_code)
            .limit(1)
        ).scalar_one()
        street = conn.execute(
            sa.select(c.c.street_code)
            .group_by(c.c.street_code)
            .order_by(sa.func.count().desc(), c.c.street_code)
            .limit(1)
        ).scalar_one()
    engine.dispose()
    routes = httpx.get(f"{base}/openapi.json", timeout=30).json()["paths"]
    out: list[tuple[str, str | None]] = [
        (f"community {community}", f"/map/communities/{community}")
    ]
    has_street = "/map/streets/{code}" in routes
    out.append((f"street {street}", f"/map/streets/{street}" if has_street else None))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--runs", type=int, default=3, help="loads of each page (default 3)")
    args = parser.parse_args()
    console = Console(width=max(Console().width, 160))
    rows = []
    with stage(args, console) as on:
        for name, path in pages(on.url, on.server.url):
            if path is None:
                console.print(f"  {name}: skipped, the app has no /map/streets/{{code}} yet")
                rows.append((name, None))
                continue
            visit(on.browser, on.server.url + path)  # warm the server, not the browser
            visits = [visit(on.browser, on.server.url + path) for _ in range(args.runs)]
            rows.append((name, visits))
            kinds, paths = visits[-1].by_type, visits[-1].by_path
            console.print(
                f"  {name}: "
                + ", ".join(f"{k} {v / 1e3:,.0f} kB" for k, v in sorted(kinds.items()))
            )
            heaviest = sorted(paths.items(), key=lambda kv: -kv[1])[:6]
            console.print(
                "    heaviest routes: " + ", ".join(f"{p} {v / 1e3:,.0f} kB" for p, v in heaviest)
            )
    table = Table(title=f"Map pages in Chromium, median of {args.runs} cold loads")
    for column in ("page", "requests", "MB", "MB if gzipped", "other hosts", "FCP ms",
                   "DOMContentLoaded ms", "load ms", "network idle ms", "< 3 MB"):  # fmt: skip
        table.add_column(column, justify="left" if column == "page" else "right")
    for name, visits in rows:
        if visits is None:
            table.add_row(name, *(["–"] * 8), "skipped: no route")
            continue

        def med(attr: str, visits: list[Visit] = visits) -> float:
            return statistics.median(getattr(v, attr) for v in visits)

        table.add_row(
            name, f"{med('requests'):.0f}", f"{med('bytes') / 1e6:.2f}",
            f"{med('gzip_bytes') / 1e6:.2f}", f"{med('foreign'):.0f}",
            f"{med('fcp_ms'):.0f}", f"{med('dcl_ms'):.0f}", f"{med('load_ms'):.0f}",
            f"{med('idle_ms'):.0f}", "yes" if med("bytes") < GOAL_BYTES else "no",
        )  # fmt: skip
    console.print(table)
    console.print(f"load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
