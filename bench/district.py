"""A district-sized database for the web benchmarks: create, load, partition, publish, drop.

The synthetic city of :func:`gis.synthetic.make_city` with 100 communities (the issue's
district) holds about 9,500 buildings and no facilities, while a real district holds about
50,000 buildings and 100,000 facility points. So the bench densifies, here and not in the
test fixtures:

- **buildings**: each footprint (a rectangle) is cut across its long side into sections
  (单元), a large footprint into more, until the district holds ``buildings`` of them; the
  households of a building are shared among its sections;
- **facilities**: ``facilities`` points of the default classes, half along the roads
  (lamps, manhole covers, signs: a random place on a random road, weighted by length, up
  to 8 m to either side) and half by buildings (within 25 m of a footprint's centre).

Layers are imported the way ``wangge import`` does (:func:`gis.importing.prepare_layer`,
:func:`api.loading.load_layer`), then partitioned and published through :mod:`api.plans`
(grids outside the band are published as exceptions, so every community has grids).

Run it alone to keep a loaded database for repeated bench runs::

    python bench/district.py --keep          # prints the database URL
    python bench/tiles.py --database-url postgresql+psycopg://postgres@127.0.0.1/wangge_bench_…
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from api import models as m
from api import plans
from api.database import make_engine, migrate
from api.loading import facility_class_names, load_layer
from gis.facility_classes import DEFAULT_CLASSES
from gis.importing import prepare_layer
from gis.roads import read_roads
from gis.synthetic import METRIC_CRS, make_city

#: The PostgreSQL server the bench creates its database on (trust auth on loopback).
SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: A district as the issue describes it.
COMMUNITIES, BUILDINGS, FACILITIES = 100, 50_000, 100_000
#: Classes of the generated facilities: road furniture along roads, the rest by buildings.
ROAD_CLASSES = [c.code for c in DEFAULT_CLASSES if c.code[:2] in ("01", "02")]
BUILDING_CLASSES = [c.code for c in DEFAULT_CLASSES if c.code[:2] not in ("01", "02")]


@dataclass(frozen=True)
class District:
    """What was loaded: counts, and the community codes with their boundaries (EPSG:4326)."""

    communities: gpd.GeoDataFrame
    buildings: int
    facilities: int
    grids: int
    households: int
    seconds: float

    def describe(self) -> str:
        """One line for the report."""
        return (
            f"{len(self.communities)} communities, {self.buildings:,} buildings, "
            f"{self.facilities:,} facilities, {self.households:,} households, "
            f"{self.grids:,} grids in force (loaded in {self.seconds:.0f} s)"
        )


def _sections(rect: np.ndarray, k: int) -> list[shapely.Polygon]:
    """Cut a rectangle (its 4 corners) into ``k`` strips across its longer side."""
    p0, p1, p2, p3 = rect
    if np.hypot(*(p1 - p0)) < np.hypot(*(p2 - p1)):  # make p0→p1 the long side
        p0, p1, p2, p3 = p1, p2, p3, p0
    t = np.linspace(0.0, 1.0, k + 1)
    a, b = p0 + np.outer(t, p1 - p0), p3 + np.outer(t, p2 - p3)
    return [shapely.Polygon([a[i], a[i + 1], b[i + 1], b[i]]) for i in range(k)]


def densify_buildings(buildings: gpd.GeoDataFrame, target: int) -> gpd.GeoDataFrame:
    """Cut footprints into sections until there are about ``target`` buildings.

    Each building gets a number of sections in proportion to its area (at least one;
    largest remainders fill up to ``target``). Sections keep the building's attributes,
    share its households, and are named ``<name>-<n>单元``. Works in the metric CRS.
    """
    metric = buildings.to_crs(METRIC_CRS)
    area = metric.area.to_numpy()
    quota = area / area.sum() * max(target, len(buildings))
    k = np.maximum(np.floor(quota).astype(int), 1)
    short = max(target, len(buildings)) - int(k.sum())
    if short > 0:
        k[np.argsort(k - quota)[:short]] += 1
    rows, shapes = [], []
    for (_, row), geom, parts in zip(metric.iterrows(), metric.geometry, k, strict=True):
        coords = np.asarray(geom.exterior.coords)[:-1] if geom.geom_type == "Polygon" else []
        if parts == 1 or len(coords) != 4:
            rows.append(row.drop("geometry").to_dict())
            shapes.append(geom)
            continue
        share = np.full(parts, int(row["households"]) // parts)
        share[: int(row["households"]) % parts] += 1
        for j, section in enumerate(_sections(coords, parts)):
            attrs = row.drop("geometry").to_dict()
            attrs.update(
                name=f"{row['name']}-{j + 1}单元",
                source_id=f"{row['source_id']}-{j + 1}",
                households=int(share[j]),
            )
            rows.append(attrs)
            shapes.append(section)
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=shapes, crs=METRIC_CRS)
    return out.to_crs(buildings.crs)


def make_facilities(
    buildings: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, count: int, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """``count`` facility points: half along roads, half by buildings (see the module doc)."""
    lines = roads.to_crs(METRIC_CRS).geometry.to_numpy()
    on_roads = count // 2
    lengths = shapely.length(lines)
    which = rng.choice(len(lines), size=on_roads, p=lengths / lengths.sum())
    along = shapely.line_interpolate_point(lines[which], rng.uniform(0, lengths[which]))
    road_xy = shapely.get_coordinates(along) + rng.uniform(-8, 8, (on_roads, 2))
    centres = shapely.get_coordinates(buildings.to_crs(METRIC_CRS).centroid.to_numpy())
    near = centres[rng.integers(0, len(centres), count - on_roads)]
    building_xy = near + rng.uniform(-25, 25, near.shape)
    classes = np.concatenate(
        [rng.choice(ROAD_CLASSES, on_roads), rng.choice(BUILDING_CLASSES, count - on_roads)]
    )
    names = {c.code: c.name for c in DEFAULT_CLASSES}
    status = rng.choice(["完好", "损坏", "丢失"], count, p=[0.94, 0.05, 0.01])
    frame = pd.DataFrame(
        {
            "source_id": [f"BJ{i:06d}" for i in range(count)],
            "class_code": classes,
            "name": [f"{names[c]}{i:06d}" for i, c in enumerate(classes)],
            "code": [f"420106{c}{i:06d}" for i, c in enumerate(classes)],
            "status": status,
        }
    )
    points = shapely.points(np.vstack([road_xy, building_xy]))
    return gpd.GeoDataFrame(frame, geometry=points, crs=METRIC_CRS).to_crs("EPSG:4326")


def _import(engine: sa.Engine, layer: str, frame: gpd.GeoDataFrame, folder: Path) -> None:
    path = folder / f"{layer}.gpkg"
    frame.to_file(path, layer=layer, driver="GPKG")
    classes = facility_class_names(engine) if layer == "facilities" else None
    load_layer(engine, prepare_layer(layer, path, facility_classes=classes))


def load_district(
    engine: sa.Engine,
    *,
    communities: int = COMMUNITIES,
    buildings: int = BUILDINGS,
    facilities: int = FACILITIES,
    seed: int = 0,
    jobs: int = 2,
    log=print,  # noqa: ANN001
) -> District:
    """Generate, densify, import, partition and publish a district into ``engine``."""
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    city = make_city(communities, rng=rng)
    dense = densify_buildings(city.buildings, buildings)
    points = make_facilities(dense, city.roads, facilities, rng)
    with tempfile.TemporaryDirectory(prefix="wangge-bench-") as tmp:
        folder = Path(tmp)
        for layer in ("streets", "communities", "compounds"):
            _import(engine, layer, getattr(city, layer), folder)
        log(f"  importing {len(dense):,} buildings and {len(points):,} facilities")
        _import(engine, "buildings", dense, folder)
        _import(engine, "facilities", points, folder)
        city.roads.to_file(folder / "roads.gpkg", driver="GPKG")
        roads = read_roads(folder / "roads.gpkg")[0]
    log(f"  partitioning {communities} communities ({jobs} jobs)")
    plan_id = plans.create_draft(engine, seed=seed, roads=roads, jobs=jobs)["id"]
    exceptions = {code: "bench" for code in plans.band_exceptions(engine, plan_id)}
    plans.publish(engine, plan_id, effective_from=date.today(), exceptions=exceptions)
    add_staff(engine)
    return summarize(engine, time.perf_counter() - start)


def add_staff(engine: sa.Engine) -> None:
    """Two workers per grid in force, as the AB-post system has it: A (a duty) and B (the grid)."""
    with engine.begin() as conn:
        codes = conn.execute(sa.select(m.grid.c.code).order_by(m.grid.c.code)).scalars().all()
        rows = [
            {"grid_code": code, "name": f"网格员{i:04d}{post}", "post": post,
             "duties": duties, "phone": f"138{i:04d}{n:04d}"}
            for i, code in enumerate(codes)
            for n, (post, duties) in enumerate((("A", "城管巡查"), ("B", "网格巡查、入户走访")))
        ]  # fmt: skip
        conn.execute(sa.insert(m.grid_staff), rows)


def summarize(engine: sa.Engine, seconds: float = 0.0) -> District:
    """Counts of what a loaded database holds."""
    with engine.connect() as conn:
        count = lambda table: conn.execute(sa.select(sa.func.count()).select_from(table))  # noqa: E731
        n_buildings = count(m.building).scalar_one()
        n_facilities = count(m.facility).scalar_one()
        n_grids = count(m.grid).scalar_one()
        households = conn.execute(sa.select(sa.func.sum(m.building.c.households))).scalar_one()
        boundaries = gpd.read_postgis(
            sa.select(m.community.c.code, m.community.c.boundary.label("geom")).order_by(
                m.community.c.code
            ),
            conn,
            geom_col="geom",
        )
    return District(boundaries, n_buildings, n_facilities, n_grids, int(households or 0), seconds)


@contextmanager
def bench_database(
    server_url: str = SERVER_URL, *, keep: bool = False, **load_options: object
) -> Iterator[tuple[str, District]]:
    """A new database ``wangge_bench_<random>`` with PostGIS and the district loaded.

    Yields its URL and what it holds; drops it afterwards unless ``keep``.
    """
    name = f"wangge_bench_{secrets.token_hex(4)}"
    server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        migrate(engine)
        print(f"loading the district into {name}", flush=True)
        district = load_district(engine, **load_options)  # type: ignore[arg-type]
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        engine.dispose()
        print(f"  {district.describe()}", flush=True)
        yield url, district
    finally:
        if not keep:
            with server.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@contextmanager
def district_database(
    database_url: str | None, **options: object
) -> Iterator[tuple[str, District]]:
    """The given, already loaded database, or a new one loaded and dropped afterwards."""
    if database_url:
        engine = make_engine(database_url)
        try:
            yield database_url, summarize(engine)
        finally:
            engine.dispose()
        return
    with bench_database(**options) as loaded:  # type: ignore[arg-type]
        yield loaded


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The database options every web bench takes."""
    group = parser.add_argument_group("database")
    group.add_argument(
        "--database-url", help="an already loaded bench database (default: create one)"
    )
    group.add_argument("--server-url", default=SERVER_URL, help="server to create it on")
    group.add_argument("--seed", type=int, default=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", default=SERVER_URL)
    parser.add_argument("--communities", type=int, default=COMMUNITIES)
    parser.add_argument("--buildings", type=int, default=BUILDINGS)
    parser.add_argument("--facilities", type=int, default=FACILITIES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the database and print its URL")
    args = parser.parse_args()
    options = {
        "communities": args.communities, "buildings": args.buildings,
        "facilities": args.facilities, "seed": args.seed,
    }  # fmt: skip
    with bench_database(args.server_url, keep=args.keep, **options) as (url, _):
        print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
