"""Vector tiles: wangge against tipg, side by side in one run, on the same database.

Both serve the buildings and facilities of the district (see ``bench/district.py``) from
the same PostGIS database, each as its own ``uvicorn`` process with the same number of
workers, and ``wrk`` (a second process) requests a fixed, seeded list of z13–z16 tiles over
the data from each in turn. tipg runs from its own venv (``bench/.peers-venv``, made on
first use) since its dependencies clash with wangge's.

So that both send the same features with the same properties, tipg serves two views in a
schema of their own, ``tipg_bench.buildings`` and ``tipg_bench.facilities``, made from
wangge's own layer queries (:data:`api.features.LAYERS`, with today's date: the buildings'
compound and grid are joined as wangge joins them) and holding wangge's tile properties
only; tipg is asked for those properties, with wangge's tile extent (4096) and buffer (64),
no feature limit per tile that could bind, and the layer named after the view. Before the
load, every tile is fetched once from each server and decoded, to count features and check
that both carry the same ones.

    python bench/tiles.py                    # creates, loads and drops a database
    python bench/tiles.py --database-url postgresql+psycopg://postgres@127.0.0.1/wangge_bench_…
"""

from __future__ import annotations

import argparse
import gzip
import math
import sys
from dataclasses import dataclass
from datetime import date

import httpx
import mapbox_vector_tile
import numpy as np
import shapely
import sqlalchemy as sa
from district import District, add_arguments, district_database
from rich.console import Console
from rich.table import Table
from serving import (
    Load,
    load_average,
    package_version,
    peers_python,
    psycopg_url,
    run_wrk_counted,
    uvicorn_server,
)
from sqlalchemy.dialects import postgresql

from api.database import make_engine
from api.features import BUFFER, EXTENT, LAYERS

LAYER_NAMES = ("buildings", "facilities")
ZOOMS = (13, 14, 15, 16)
#: Tiles per zoom at most (drawn with the seed when more cover the data).
PER_ZOOM = 120
SCHEMA = "tipg_bench"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The web-mercator tile (x, y) at zoom ``z`` that holds a point."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """A tile's bounds in degrees: west, south, east, north."""
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def tiles_over(district: District, seed: int) -> list[tuple[int, int, int]]:
    """Tiles of zooms 13–16 that touch a community: all of them, or ``PER_ZOOM`` drawn."""
    rng = np.random.default_rng(seed)
    area = shapely.union_all(district.communities.geometry.to_numpy())
    west, south, east, north = area.bounds
    chosen = []
    for z in ZOOMS:
        x0, y0 = tile_of(west, north, z)
        x1, y1 = tile_of(east, south, z)
        over = [
            (z, x, y)
            for x in range(x0, x1 + 1)
            for y in range(y0, y1 + 1)
            if area.intersects(shapely.box(*tile_bounds(z, x, y)))
        ]
        if len(over) > PER_ZOOM:
            over = [over[i] for i in sorted(rng.choice(len(over), PER_ZOOM, replace=False))]
        chosen += over
    return chosen


def create_views(url: str) -> None:
    """Views ``tipg_bench.<layer>`` of wangge's layer rows today, its tile properties only."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        for name in LAYER_NAMES:
            layer = LAYERS[name]
            src = layer.subquery(date.today())
            # the raw column: GeoAlchemy2 would select ST_AsEWKB(geom), a bytea
            geom = sa.type_coerce(src.c.geom, sa.types.NullType()).label("geom")
            select = sa.select(*(src.c[f] for f in layer.tile_fields), geom)
            sql = select.compile(
                dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
            )
            conn.execute(sa.text(f"DROP VIEW IF EXISTS {SCHEMA}.{name}"))
            conn.execute(sa.text(f"CREATE VIEW {SCHEMA}.{name} AS {sql}"))
    engine.dispose()


@dataclass
class Endpoint:
    """How one server names a layer's tiles."""

    server: str
    layer: str

    def path(self, z: int, x: int, y: int) -> str:
        """The request path of tile z/x/y."""
        if self.server == "wangge":
            return f"/tiles/{self.layer}/{z}/{x}/{y}.mvt"
        props = ",".join(LAYERS[self.layer].tile_fields)
        return (
            f"/collections/{SCHEMA}.{self.layer}/tiles/WebMercatorQuad/{z}/{x}/{y}"
            f"?properties={props}"
        )


@dataclass
class Content:
    """What one server sent for one layer's tiles, fetched once each."""

    tiles: int
    empty: int
    features: int
    body_bytes: int
    gzip_bytes: int
    keys: frozenset
    counts: list

    @property
    def mean_bytes(self) -> float:
        """Mean body size of a tile, empty ones included."""
        return self.body_bytes / self.tiles


def fetch_all(base: str, endpoint: Endpoint, tiles: list) -> Content:
    """Fetch and decode every tile once (this also warms both servers)."""
    empty = features = size = packed = 0
    keys: set = set()
    counts = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for tile in tiles:
            r = client.get(endpoint.path(*tile))
            if r.status_code not in (200, 204):
                raise RuntimeError(
                    f"{endpoint.server} {endpoint.path(*tile)}: {r.status_code} {r.text[:500]}"
                )
            size += len(r.content)
            packed += len(gzip.compress(r.content, 6)) if r.content else 0
            decoded = mapbox_vector_tile.decode(r.content) if r.content else {}
            layer = next(iter(decoded.values()), {"features": []})
            n = len(layer["features"])
            for feature in layer["features"][:5]:
                keys |= set(feature["properties"])
            counts.append(n)
            features += n
            empty += n == 0
    return Content(len(tiles), empty, features, size, packed, frozenset(keys), counts)


def tipg_env(url: str) -> dict[str, str]:
    """tipg's settings for the bench: the views, wangge's extent and buffer, no tile limit."""
    return {
        "DATABASE_URL": psycopg_url(url),
        "TIPG_DB_SCHEMAS": f'["{SCHEMA}"]',
        "TIPG_TILE_RESOLUTION": str(EXTENT),
        "TIPG_TILE_BUFFER": str(BUFFER),
        "TIPG_MAX_FEATURES_PER_TILE": "1000000",
        "TIPG_SET_MVT_LAYERNAME": "true",
        "TIPG_DB_MAX_CONN_SIZE": "10",
    }


def main() -> int:  # noqa: C901
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--seconds", type=float, default=20, help="load per case (default 20)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of each server")
    args = parser.parse_args()
    console = Console(width=max(Console().width, 160))
    python = peers_python()
    console.print(f"load average at start: {load_average()}")
    database = district_database(args.database_url, server_url=args.server_url, seed=args.seed)
    with database as (url, district):
        console.print(f"district: {district.describe()}")
        create_views(url)
        tiles = tiles_over(district, args.seed)
        per_zoom = {z: sum(1 for t in tiles if t[0] == z) for z in ZOOMS}
        console.print(
            f"tiles: {len(tiles)} ({', '.join(f'z{z}: {n}' for z, n in per_zoom.items())})"
        )
        wangge_app = ["api.app:create_app", "--factory"]
        tipg_app = ["tipg.main:app"]
        results: dict[tuple[str, str], tuple[Content, Load]] = {}
        with (
            uvicorn_server(
                "wangge", sys.executable, wangge_app, {"WANGGE_DATABASE_URL": url},
                workers=args.workers, ready_path="/healthz",
            ) as wangge,
            uvicorn_server(
                "tipg", python, tipg_app, tipg_env(url), workers=args.workers,
                ready_path="/healthz",
            ) as tipg,
        ):  # fmt: skip
            for layer in LAYER_NAMES:
                for server in (wangge, tipg):
                    endpoint = Endpoint(server.name, layer)
                    content = fetch_all(server.url, endpoint, tiles)
                    paths = [endpoint.path(*t) for t in tiles]
                    load = run_wrk_counted(
                        server, url, paths, seconds=args.seconds, connections=args.connections
                    )
                    results[layer, server.name] = content, load
                    console.print(
                        f"  {layer:<10} {server.name:<6} {load.rate:8.0f} req/s  "
                        f"p50 {load.p50_ms:6.1f} ms  p99 {load.p99_ms:6.1f} ms  "
                        f"CPU {load.cpu_ms:.1f} ms/req (server "
                        f"{load.app_cpu_s * 1e3 / max(load.requests, 1):.1f}, database "
                        f"{load.db_cpu_s * 1e3 / max(load.requests, 1):.1f})  errors {load.errors}"
                    )
        table = Table(
            title=f"Vector tiles, {len(tiles)} tiles z13–z16, wrk {args.connections} "
            f"connections × {args.seconds:g} s, {args.workers} workers each"
        )
        for column in ("layer", "server", "p50 ms", "p99 ms", "req/s", "bytes/tile",
                       "gzip bytes/tile", "features", "empty", "CPU ms/req", "req/s ×", "p99 ×",
                       "CPU ×"):  # fmt: skip
            table.add_column(column, justify="left" if column in ("layer", "server") else "right")
        for layer in LAYER_NAMES:
            base = results[layer, "tipg"][1]
            for name in ("wangge", "tipg"):
                content, load = results[layer, name]
                table.add_row(
                    layer, name, f"{load.p50_ms:.1f}", f"{load.p99_ms:.1f}", f"{load.rate:.0f}",
                    f"{content.mean_bytes:,.0f}", f"{content.gzip_bytes / content.tiles:,.0f}",
                    f"{content.features:,}",
                    f"{content.empty}", f"{load.cpu_ms:.1f}", f"{load.rate / base.rate:.2f}",
                    f"{load.p99_ms / base.p99_ms:.2f}", f"{load.cpu_ms / base.cpu_ms:.2f}",
                )  # fmt: skip
        console.print(table)
        console.print(
            "×: each server's figure divided by tipg's. CPU ms/req: CPU time of the server's "
            "processes and of the database backends, per request (a lower bound for the "
            "database: backends that closed during the run are not counted)."
        )
        for layer in LAYER_NAMES:
            ours, theirs = results[layer, "wangge"][0], results[layer, "tipg"][0]
            differ = sum(a != b for a, b in zip(ours.counts, theirs.counts, strict=True))
            console.print(
                f"{layer}: tiles whose feature counts differ: {differ} of {len(tiles)}; "
                f"properties wangge {sorted(ours.keys)}, tipg {sorted(theirs.keys)}"
            )
        errors = sum(load.errors for _, load in results.values())
        console.print(
            f"tipg {package_version(python, 'tipg')}; wrk errors {errors}; "
            f"load average at end: {load_average()}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
