"""Latency of the incident statistics endpoints at 10k, 100k and 1M stored incidents.

Issue 6 asks for the hotspot endpoint's latency beside the aggregation and Gi* timings of
bench/hotspots.py. Here the whole request is timed, as a street office's browser makes it:
the database read of the incidents in scope, H3 counting, the study area (the communities'
union), Gi* with permutations, and the GeoJSON answer. wangge serves with uvicorn; requests
are sequential (one analyst), each size measured ``--repeat`` times after a warm-up.

    python bench/hotspot_api.py [--sizes 10000 100000 1000000] [--permutations 999]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import shapely
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import models as m  # noqa: E402
from api.auth import store  # noqa: E402
from api.database import make_engine, migrate  # noqa: E402
from api.loading import load_layer  # noqa: E402
from bench.district import SERVER_URL  # noqa: E402
from bench.serving import load_average, uvicorn_server  # noqa: E402
from gis.importing import prepare_layer  # noqa: E402
from gis.synthetic import make_city  # noqa: E402


def _communities(engine: sa.Engine, folder: Path) -> shapely.Geometry:
    city = make_city("district", rng=np.random.default_rng(0))
    for layer in ("streets", "communities"):
        path = folder / f"{layer}.gpkg"
        getattr(city, layer).to_file(path, driver="GPKG")
        load_layer(engine, prepare_layer(layer, path))
    return city.communities.union_all()


def _incidents(engine: sa.Engine, area: shapely.Geometry, n: int, rng: np.random.Generator) -> None:
    """``n`` incidents: 80 % uniform over the communities, 20 % in five clusters, 12 weeks."""
    minx, miny, maxx, maxy = area.bounds
    k = int(0.8 * n)
    lon = rng.uniform(minx, maxx, k)
    lat = rng.uniform(miny, maxy, k)
    centres = np.column_stack([rng.uniform(minx, maxx, 5), rng.uniform(miny, maxy, 5)])
    which = rng.integers(0, 5, n - k)
    lon = np.r_[lon, centres[which, 0] + rng.normal(0, 0.002, n - k)]
    lat = np.r_[lat, centres[which, 1] + rng.normal(0, 0.002, n - k)]
    now = datetime.now(UTC)
    seconds = rng.uniform(0, 84 * 86400, n)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE incident RESTART IDENTITY CASCADE"))
        raw = conn.connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy(
                "COPY incident (class_code, source, reported_at, location) FROM STDIN"
            ) as copy,
        ):
            for x, y, s in zip(lon, lat, seconds, strict=True):
                when = now - timedelta(seconds=float(s))
                copy.write_row(("0102", "patrol", when, f"SRID=4326;POINT({x} {y})"))
        c, i = m.community, m.incident
        conn.execute(
            i.update().values(community_code=c.c.code)
            .where(sa.func.ST_Intersects(c.c.boundary, i.c.location))
        )  # fmt: skip
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE incident"))


def _time(client: httpx.Client, path: str, params: dict, repeat: int) -> tuple[float, float, int]:
    client.get(path, params=params).raise_for_status()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = client.get(path, params=params)
        times.append(time.perf_counter() - start)
        answer.raise_for_status()
    return statistics.median(times), max(times), len(answer.content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--resolution", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--server-url", default=SERVER_URL)
    args = parser.parse_args()
    name = f"wangge_bench_{secrets.token_hex(4)}"
    server = sa.create_engine(args.server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(args.server_url).set(database=name).render_as_string(hide_password=False)
    rows = []
    try:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        migrate(engine)
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            area = _communities(engine, Path(tmp))
        user = store.add_user(engine, "bench", secrets.token_urlsafe(12), "admin")
        token = store.issue_token(engine, user["id"], timedelta(hours=3))[0]
        rng = np.random.default_rng(0)
        env = {"WANGGE_DATABASE_URL": url}
        with uvicorn_server(
            "wangge", sys.executable, ["api.app:create_app", "--factory"], env, workers=1,
            ready_path="/healthz",
        ) as served:  # fmt: skip
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=served.url, headers=headers, timeout=600) as client:
                for n in args.sizes:
                    started = time.perf_counter()
                    _incidents(engine, area, n, rng)
                    print(f"{n:,} incidents stored in {time.perf_counter() - started:.0f} s",
                          flush=True)  # fmt: skip
                    base = {"resolution": args.resolution}
                    cases = [
                        ("/incidents/h3", base),
                        ("/incidents/hotspots", {**base, "permutations": args.permutations}),
                    ]
                    for path, params in cases:
                        median, worst, size = _time(client, path, params, args.repeat)
                        rows.append((n, path, median, worst, size))
                        print(f"  {path}: median {median:.2f} s, max {worst:.2f} s, "
                              f"{size / 1e6:.1f} MB", flush=True)  # fmt: skip
        engine.dispose()
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
    print(f"\nload average at the end: {load_average()} (2-core VM shared with other work)")
    print("| incidents | endpoint | median s | max s | answer MB |")
    print("|---|---|---|---|---|")
    for n, path, median, worst, size in rows:
        print(f"| {n:,} | `{path}` | {median:.2f} | {worst:.2f} | {size / 1e6:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
