# ruff: noqa: F811  (fixtures shared with test_plans are imported, then named as arguments)
"""Locking grids of a draft over the API, and a plan's buildings for the planning page."""

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api import models as m
from api import plans
from api.app import create_app
from api.loading import load_layer
from api.settings import DatabaseSettings, Settings
from gis.importing import prepare_layer
from gis.roads import read_roads
from gis.synthetic import make_city
from tests.api.conftest import bearer
from tests.api.test_plan_edits import _move, _neighbours
from tests.api.test_plans import CITY_LAYERS, PUBLISHABLE

pytestmark = pytest.mark.db
#: Emptied before each test of these modules: plans and what hangs on them, accounts' logs.
PLAN_TABLES = "plan_job, grid_code_registry, grid_assignment, grid, grid_plan, audit_log"


@pytest.fixture(scope="module")
def town(engine, tmp_path_factory):
    """The tiny city's layers, imported once per module (no plans); its roads."""
    folder = tmp_path_factory.mktemp("town")
    with engine.begin() as conn:
        conn.execute(
            sa.text("TRUNCATE street, community, compound, building RESTART IDENTITY CASCADE")
        )
    layers = make_city("tiny", rng=np.random.default_rng(0))
    for layer in CITY_LAYERS:
        path = folder / f"{layer}.gpkg"
        getattr(layers, layer).to_file(path, layer=layer, driver="GPKG")
        load_layer(engine, prepare_layer(layer, path))
    layers.roads.to_file(folder / "roads.gpkg", driver="GPKG")
    return read_roads(folder / "roads.gpkg")[0]


@pytest.fixture(scope="module")
def client(town, engine, database_url, tmp_path_factory):
    """A client logged in as an admin, for one module."""
    data = tmp_path_factory.mktemp("data")
    settings = Settings(db=DatabaseSettings(database_url=database_url, data_dir=data))
    with TestClient(create_app(settings)) as test_client:
        test_client.headers.update(bearer(engine, "admin"))
        yield test_client


@pytest.fixture(scope="module")
def shared(town, engine):
    """A draft that tests only read or fail to change (made once per module)."""
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {PLAN_TABLES} RESTART IDENTITY CASCADE"))
    return plans.create_draft(engine, params=PUBLISHABLE, roads=town)["id"]


@pytest.fixture
def draft(town, engine, client, shared):
    """A fresh draft; every other plan but ``shared`` gone, and the jobs and audit log."""
    g = m.grid_plan
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE plan_job, grid_code_registry, audit_log CASCADE"))
        conn.execute(sa.delete(g).where(g.c.id != shared))
    return plans.create_draft(engine, params=PUBLISHABLE, roads=town)["id"]


@pytest.fixture
def db(engine):
    """The engine (the tables are kept for the module; see ``draft``)."""
    return engine


def _draft(engine, roads, **kw):
    return plans.create_draft(engine, params=PUBLISHABLE, roads=roads, **kw)["id"]


def _grid_ids(client, plan_id) -> dict[str, int]:
    features = client.get(f"/plans/{plan_id}/grids").json()["features"]
    return {f["id"]: f["properties"]["grid_id"] for f in features}


def _lock(client, plan_id, grid_id, version=1, locked=True, **kw):
    body = {"version": version, "locked": locked}
    return client.put(f"/plans/{plan_id}/grids/{grid_id}/lock", json=body, **kw)


def test_plan_grids_carry_their_id_and_lock(client, db, shared):
    draft = shared
    features = client.get(f"/plans/{draft}/grids").json()["features"]
    g = m.grid
    with db.connect() as conn:
        ids = dict(conn.execute(sa.select(g.c.code, g.c.id).where(g.c.plan_id == draft)).all())
    assert {f["id"]: f["properties"]["grid_id"] for f in features} == ids
    assert all(f["properties"]["locked"] is False for f in features)


def test_plan_buildings_are_every_building_with_its_grid(client, db, shared):
    draft = shared
    answer = client.get(f"/plans/{draft}/buildings")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(
        "application/geo+json"
    )
    features = answer.json()["features"]
    a, b = m.grid_assignment, m.building
    with db.connect() as conn:
        grid_of = dict(
            conn.execute(sa.select(a.c.building_id, a.c.grid_id).where(a.c.plan_id == draft)).all()
        )
        stored = conn.execute(sa.select(b.c.id, b.c.households_estimated)).all()
    assert {f["id"] for f in features} == {row.id for row in stored}
    assert {f["id"]: f["properties"]["grid_id"] for f in features} == grid_of
    first = features[0]["properties"]
    assert set(first) >= {"building_id", "grid_id", "households", "households_estimated",
                          "compound_id", "community_code", "name"}  # fmt: skip
    assert {f["id"]: f["properties"]["households_estimated"] for f in features} == dict(stored)
    assert features[0]["geometry"]["type"] == "MultiPolygon"


def test_a_building_in_no_grid_has_a_null_grid(client, db, draft):
    a = m.grid_assignment
    with db.begin() as conn:
        gone = conn.execute(
            sa.delete(a).where(a.c.plan_id == draft).returning(a.c.building_id)
        ).scalars().first()  # fmt: skip
        conn.execute(sa.delete(a).where(a.c.plan_id == draft))
    features = client.get(f"/plans/{draft}/buildings").json()["features"]
    assert {f["properties"]["grid_id"] for f in features} == {None} and gone is not None


def test_locking_a_grid_bumps_the_version_and_shows(client, draft):
    grid_id = next(iter(_grid_ids(client, draft).values()))
    answer = _lock(client, draft, grid_id)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"plan_id": draft, "version": 2, "grid_id": grid_id, "locked": True}
    shown = client.get(f"/plans/{draft}/grids").json()["features"]
    assert [f["properties"]["grid_id"] for f in shown if f["properties"]["locked"]] == [grid_id]
    assert client.get(f"/plans/{draft}").json()["version"] == 2
    again = _lock(client, draft, grid_id, version=2, locked=False)
    assert again.status_code == 200 and again.json()["locked"] is False


def test_a_lock_is_audited(client, db, draft):
    grid_id = next(iter(_grid_ids(client, draft).values()))
    assert _lock(client, draft, grid_id).status_code == 200
    log = m.audit_log
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(log.c.entity_key, log.c.before["locked"], log.c.after["locked"])
            .where(log.c.entity == "grid")
        ).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [(str(grid_id), False, True)]


def test_a_lock_on_a_stale_version_is_refused(client, draft):
    grid_id = next(iter(_grid_ids(client, draft).values()))
    assert _lock(client, draft, grid_id).status_code == 200
    answer = _lock(client, draft, grid_id, version=1, locked=False)
    assert answer.status_code == 409
    assert "the draft changed since you loaded it (version 1, now 2): reload" in answer.text


def test_a_grid_of_a_published_plan_cannot_be_locked(client, db, draft):
    grid_id = next(iter(_grid_ids(client, draft).values()))
    plans.publish(db, draft)
    answer = _lock(client, draft, grid_id)
    assert answer.status_code == 409 and "only a draft" in answer.text


def test_a_grid_not_in_the_plan_is_404(client, db, town, draft):
    other = _draft(db, town, seed=1)
    foreign = next(iter(_grid_ids(client, other).values()))
    for grid_id in (foreign, 2_000_000_000):
        answer = _lock(client, draft, grid_id)
        assert answer.status_code == 404 and f"has no grid with id {grid_id}" in answer.text
    assert client.get(f"/plans/{draft}").json()["version"] == 1


@pytest.mark.parametrize(
    "body", [{}, {"version": 1}, {"locked": True}, {"version": 0, "locked": True},
             {"version": "x", "locked": True}, {"version": 1, "locked": "perhaps"}],
)  # fmt: skip
def test_a_malformed_lock_is_422(client, shared, body):
    grid_id = next(iter(_grid_ids(client, shared).values()))
    answer = client.put(f"/plans/{shared}/grids/{grid_id}/lock", json=body)
    assert answer.status_code == 422, answer.text


def test_moves_into_or_out_of_a_locked_grid_are_refused(client, db, draft):
    source, target, building = _neighbours(db, draft)
    ids = _grid_ids(client, draft)
    assert _lock(client, draft, ids[target]).status_code == 200
    into = _move(client, draft, building, target, version=2)
    assert into.status_code == 422
    assert f"grid {target} is locked; unlock it first" in into.text
    assert _lock(client, draft, ids[target], version=2, locked=False).status_code == 200
    assert _lock(client, draft, ids[source], version=3).status_code == 200
    out = _move(client, draft, building, target, version=4)
    assert out.status_code == 422 and f"grid {source} is locked" in out.text
    assert client.get(f"/plans/{draft}").json()["version"] == 4


def test_a_move_to_a_new_grid_from_a_locked_grid_is_refused(client, db, draft):
    source, _, building = _neighbours(db, draft)
    assert _lock(client, draft, _grid_ids(client, draft)[source]).status_code == 200
    body = {"version": 2, "moves": [{"building_id": building, "new_grid": True}]}
    answer = client.post(f"/plans/{draft}/moves", json=body)
    assert answer.status_code == 422 and "is locked" in answer.text


def test_a_community_staff_account_cannot_lock(client, db, shared):
    code, grid_id = next(iter(_grid_ids(client, shared).items()))
    staff = bearer(db, "community_staff", code[:12])
    assert _lock(client, shared, grid_id, headers=staff).status_code == 403


def test_a_street_office_of_another_street_cannot_lock_or_read(client, db, draft):
    code, grid_id = next(iter(_grid_ids(client, draft).items()))
    elsewhere = bearer(db, "street_office", "110101001")
    assert _lock(client, draft, grid_id, headers=elsewhere).status_code == 403
    assert client.get(f"/plans/{draft}/buildings", headers=elsewhere).status_code == 403
    inside = bearer(db, "street_office", code[:9])
    assert _lock(client, draft, grid_id, headers=inside).status_code == 200
