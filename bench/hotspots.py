"""Benchmark: H3 aggregation and Gi* of a million incidents; PostGIS hex binning beside it.

One seeded synthetic city (Nanjing's extent, about 30 km × 30 km): ``--points`` incidents,
40 % in 40 Gaussian clusters (σ 150–600 m) and 60 % uniform background. Measured in one run:

1. **H3 aggregation in Python** (``gis.hotspots``): the cell of every point
   (``cell_ids``) and the count per cell (``numpy.unique``), from coordinate arrays and
   from a GeoDataFrame (``count_cells``); goal ≤ 1 s for 1,000,000 points.
2. **The same aggregation in PostGIS SQL**, the peer: Debian has no ``postgresql-15-h3``
   package (``apt-cache policy postgresql-15-h3`` finds none), so the SQL peer is PostGIS's
   own hexagon binning, ``ST_HexagonGrid`` joined to the points (GiST index, Web Mercator
   hexagons of the local H3 cells' area), counted per hexagon. The points are
   loaded once (COPY) and indexed beforehand: the query alone is timed, as an endpoint
   reading stored incidents would run it; the load is printed apart.
3. **Gi* with permutations** (``gis.hotspots.hotspots``, 999 permutations, ``--jobs``
   worker processes) on the resulting cells plus their ring of empty cells; goal ≤ 10 s
   on 2 cores.

Usage::

    python bench/hotspots.py                      # 1,000,000 points, res 9, 999 perms, 2 jobs
    python bench/hotspots.py --points 200000 --skip-postgis
    python bench/hotspots.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

A database ``wangge_bench_hotspots_<random>`` is created on the server and dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import h3
import numpy as np
import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from gis.hotspots import cell_ids, count_cells, hotspots

EXTENT = (118.60, 31.90, 118.92, 32.17)  # lon/lat box of Nanjing's main city, ~30 × 30 km
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"

console = Console(width=max(Console().width, 120))


@dataclass
class Timing:
    """Wall times of repeated runs of one step, seconds."""

    step: str
    method: str
    seconds: list[float]
    note: str = ""

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def synthetic_incidents(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` incidents (lon, lat in degrees): 40 % in 40 Gaussian clusters, 60 % uniform."""
    x0, y0, x1, y1 = EXTENT
    n_clustered = int(0.4 * n)
    centres = np.column_stack([rng.uniform(x0 + 0.02, x1 - 0.02, 40),
                               rng.uniform(y0 + 0.02, y1 - 0.02, 40)])  # fmt: skip
    sigma_m = rng.uniform(150, 600, 40)
    which = rng.integers(0, 40, n_clustered)
    metres_per_deg_lat = 111_320.0
    metres_per_deg_lon = metres_per_deg_lat * math.cos(math.radians((y0 + y1) / 2))
    lon = np.r_[
        centres[which, 0] + rng.normal(0, 1, n_clustered) * sigma_m[which] / metres_per_deg_lon,
        rng.uniform(x0, x1, n - n_clustered),
    ]
    lat = np.r_[
        centres[which, 1] + rng.normal(0, 1, n_clustered) * sigma_m[which] / metres_per_deg_lat,
        rng.uniform(y0, y1, n - n_clustered),
    ]
    keep = (lon > x0) & (lon < x1) & (lat > y0) & (lat < y1)
    return lon[keep], lat[keep]


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    """Run ``fn`` ``repeat`` times; the wall times and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def python_aggregation(lon: np.ndarray, lat: np.ndarray, resolution: int) -> dict[int, int]:
    """Counts per H3 cell from coordinate arrays (what an endpoint holding arrays does)."""
    cells, counts = np.unique(cell_ids(lon, lat, resolution), return_counts=True)
    return dict(zip(cells.tolist(), counts.tolist(), strict=True))


# --- PostGIS -------------------------------------------------------------------------


def hexagon_size_3857(resolution: int) -> float:
    """ST_HexagonGrid edge, Web Mercator units, for hexagons of the local H3 cells' area.

    H3 cells vary in size over the globe (res 9: 0.105 km² on average, 0.081 km² in
    Nanjing), so the SQL hexagons take the area of the H3 cell at the extent's centre;
    a Mercator unit is ``1 / cos(latitude)`` ground metres.
    """
    lon, lat = (EXTENT[0] + EXTENT[2]) / 2, (EXTENT[1] + EXTENT[3]) / 2
    area_m2 = h3.cell_area(h3.latlng_to_cell(lat, lon, resolution), unit="m^2")
    edge_m = math.sqrt(2 * area_m2 / (3 * math.sqrt(3)))
    return edge_m / math.cos(math.radians(lat))


def create_database(server: str) -> str:
    name = f"wangge_bench_hotspots_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def load_points(conn: psycopg.Connection, lon: np.ndarray, lat: np.ndarray) -> float:
    """COPY the points, store them in Web Mercator with a GiST index; seconds taken."""
    start = time.perf_counter()
    conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    conn.execute("CREATE TABLE raw_point (lon float8, lat float8)")
    buffer = io.StringIO()
    np.savetxt(buffer, np.column_stack([lon, lat]), fmt="%.7f", delimiter="\t")
    with conn.cursor().copy("COPY raw_point (lon, lat) FROM STDIN") as copy:
        copy.write(buffer.getvalue())
    conn.execute(
        "CREATE TABLE incident_point AS SELECT "
        "ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3857) AS geom FROM raw_point"
    )
    conn.execute("CREATE INDEX ON incident_point USING gist (geom)")
    conn.execute("ANALYZE incident_point")
    conn.commit()
    return time.perf_counter() - start


HEX_COUNTS = """
SELECT hex.i, hex.j, count(*) AS n
FROM ST_HexagonGrid(
         %(size)s,
         ST_Transform(ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326), 3857)
     ) AS hex
JOIN incident_point AS p ON ST_Intersects(hex.geom, p.geom)
GROUP BY hex.i, hex.j
"""


def sql_aggregation(conn: psycopg.Connection, resolution: int) -> list[tuple[int, int, int]]:
    x0, y0, x1, y1 = EXTENT
    params = {"size": hexagon_size_3857(resolution), "x0": x0, "y0": y0, "x1": x1, "y1": y1}
    return conn.execute(HEX_COUNTS, params).fetchall()


# --- run -----------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed)
    lon, lat = synthetic_incidents(args.points, rng)
    console.print(
        f"{lon.size:,} synthetic incidents in {EXTENT} (seed {args.seed}), H3 res "
        f"{args.resolution}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        highlight=False,
    )
    timings: list[Timing] = []
    seconds, counts = timed(lambda: python_aggregation(lon, lat, args.resolution), args.repeat)
    timings.append(Timing("aggregate", "Python h3 + numpy (arrays)", seconds,
                          f"{len(counts):,} cells"))  # fmt: skip
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    seconds, series = timed(lambda: count_cells(frame, args.resolution), args.repeat)
    timings.append(Timing("aggregate", "Python count_cells (GeoDataFrame)", seconds,
                          f"{len(series):,} cells"))  # fmt: skip
    if not args.skip_postgis:
        timings.extend(postgis_timings(args, lon, lat))
    seconds, cells = timed(
        lambda: hotspots(series, rng=np.random.default_rng(args.seed), ring=1,
                         permutations=args.permutations, n_jobs=args.jobs),
        1,
    )  # fmt: skip
    hot = int(cells["hotspot_class"].str.startswith("hot").sum())
    timings.append(Timing("Gi*", f"esda G_Local, {args.permutations} perms, {args.jobs} jobs",
                          seconds, f"{len(cells):,} cells, {hot:,} hot"))  # fmt: skip
    print_table(timings)
    console.print(f"load average at the end {os.getloadavg()[0]:.1f}", highlight=False)


def postgis_timings(args: argparse.Namespace, lon: np.ndarray, lat: np.ndarray) -> list[Timing]:
    name = create_database(args.database_url)
    url = args.database_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        with psycopg.connect(url) as conn:
            load = load_points(conn, lon, lat)
            seconds, rows = timed(lambda: sql_aggregation(conn, args.resolution), args.repeat)
    finally:
        drop_database(args.database_url, name)
    total = sum(n for _, _, n in rows)
    note = f"{len(rows):,} hexagons, {total:,} points; load+index {load:.1f} s (not counted)"
    return [Timing("aggregate", "PostGIS ST_HexagonGrid join (SQL)", seconds, note)]


def print_table(timings: list[Timing]) -> None:
    python = next(t for t in timings if t.step == "aggregate").best
    table = Table(title="hotspots benchmark (best of the runs; × = time / Python arrays)")
    for column in ("step", "method", "best s", "median s", "×", "result"):
        table.add_column(column, justify="right" if column.endswith(("s", "×")) else "left")
    for t in timings:
        ratio = f"{t.best / python:.1f}" if t.step == "aggregate" else ""
        table.add_row(t.step, t.method, f"{t.best:.2f}", f"{t.median:.2f}", ratio, t.note)
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--resolution", type=int, default=9)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each aggregation")
    parser.add_argument("--database-url", default=SERVER, help="libpq URL of the server")
    parser.add_argument("--skip-postgis", action="store_true")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
