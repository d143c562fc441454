"""A published tiny city, loaded once per test module, for the read-only map API tests.

Tests that use ``city`` must not change its layers or plans; they may add grid staff, which
``no_staff`` clears before each test. Modules that truncate tables (the ``db`` fixture) run
before or after a module using ``city``, never inside it, so the city is loaded afresh for
each module that asks for it.
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api import models as m
from api import plans
from api.app import create_app
from api.auth import store
from api.loading import facility_class_names, load_layer
from api.settings import DatabaseSettings, Settings
from gis.importing import prepare_layer
from gis.partition import PartitionParams
from gis.roads import read_roads
from gis.synthetic import SyntheticCity, make_city

CITY_LAYERS = ("streets", "communities", "compounds", "buildings")
# Same as tests/api/test_plans.py: with the tiny city's roads and seed 0 every grid publishes.
PUBLISHABLE = PartitionParams(target=300, tolerance=0.25)
EVERY_TABLE = (
    "audit_log, auth_session, app_user, grid_staff, grid_code_registry, grid_assignment, "
    "grid, grid_plan, import_log, facility, building, compound, community, street"
)
#: Facility classes of the synthetic facilities: a street lamp every third building, a
#: police post every 25th.
LAMP, POLICE = ("0117", "路灯"), ("9003", "警务室")


@dataclass(frozen=True)
class City:
    """The loaded city: its engine, layers as generated, facilities and published plan."""

    engine: sa.Engine
    layers: SyntheticCity
    facilities: gpd.GeoDataFrame
    plan_id: int


def make_facilities(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Facilities at points of buildings: lamps every 3rd building, police posts every 25th."""
    rows = []
    for i, (name, community, shape) in enumerate(
        zip(buildings["name"], buildings["community_code"], buildings.geometry, strict=True)
    ):
        if i % 25 == 0:
            code, label = POLICE[0], f"{name}警务室"
        elif i % 3 == 0:
            code, label = LAMP[0], f"{LAMP[1]}{i}"
        else:
            continue
        rows.append(
            {
                "source_id": f"F{i:05d}", "class_code": code, "name": label,
                "code": f"420106{code}{i:06d}", "status": "完好",
                "community_code": community, "geometry": shape.representative_point(),
            }
        )  # fmt: skip
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def _load(engine: sa.Engine, folder) -> City:
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {EVERY_TABLE} RESTART IDENTITY CASCADE"))
    layers = make_city("tiny", rng=np.random.default_rng(0))
    for layer in CITY_LAYERS:
        path = folder / f"{layer}.gpkg"
        getattr(layers, layer).to_file(path, layer=layer, driver="GPKG")
        load_layer(engine, prepare_layer(layer, path))
    facilities = make_facilities(layers.buildings)
    path = folder / "facilities.gpkg"
    facilities.to_file(path, driver="GPKG")
    load_layer(
        engine,
        prepare_layer("facilities", path, facility_classes=facility_class_names(engine)),
    )
    layers.roads.to_file(folder / "roads.gpkg", driver="GPKG")
    roads = read_roads(folder / "roads.gpkg")[0]
    plan_id = plans.create_draft(engine, params=PUBLISHABLE, roads=roads)["id"]
    plans.publish(engine, plan_id, effective_from=date.today())
    return City(engine, layers, facilities, plan_id)


@pytest.fixture(scope="module")
def city(engine, tmp_path_factory) -> City:
    """The tiny city with facilities, partitioned and published (in force from today)."""
    return _load(engine, tmp_path_factory.mktemp("city"))


@pytest.fixture(scope="module")
def client(city, database_url, tmp_path_factory):
    """A client of an app on the test database, for one module."""
    data = tmp_path_factory.mktemp("data")
    settings = Settings(db=DatabaseSettings(database_url=database_url, data_dir=data))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def no_staff(city):
    """The city with no grid staff."""
    with city.engine.begin() as conn:
        conn.execute(sa.delete(m.grid_staff))
    return city


def grid_codes(engine: sa.Engine, plan_id: int) -> list[str]:
    """Codes of a plan's grids, in order."""
    g = m.grid
    with engine.connect() as conn:
        query = sa.select(g.c.code).where(g.c.plan_id == plan_id).order_by(g.c.code)
        return list(conn.execute(query).scalars())


#: The password of every account made by :func:`bearer`.
PASSWORD = "test-password-1"


def bearer(engine: sa.Engine, role: str, scope: str | None = None, name: str | None = None) -> dict:
    """``Authorization`` headers of a new account with ``role`` and ``scope``.

    The token is issued directly (no login round trip); tests of the login itself go through
    ``POST /auth/token``.
    """
    name = name or f"{role}-{scope or 'all'}-{uuid.uuid4().hex[:6]}"
    user = store.add_user(engine, name, PASSWORD, role, scope)
    token, _ = store.issue_token(engine, user["id"], timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}
