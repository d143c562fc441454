"""Grid plans on a real PostGIS: partition into drafts, publish, keep codes, never reuse one."""

from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import models as m
from api import plans
from api.app import create_app
from api.cli import app as cli
from api.database import alembic_config, current_revision, downgrade, migrate
from api.loading import load_layer
from gis.errors import ConflictError, InputError, NotFoundError
from gis.importing import prepare_layer
from gis.partition import PartitionParams
from gis.roads import read_roads
from gis.synthetic import make_city
from tests.api.conftest import bearer

PLAN_TABLES = "grid_code_registry, grid_assignment, grid, grid_plan"
CITY_LAYERS = ("streets", "communities", "compounds", "buildings")
# With the tiny city's roads, seed 0 and ±25% every grid is one polygon and in band.
PUBLISHABLE = PartitionParams(target=300, tolerance=0.25)
runner = CliRunner()


@pytest.fixture
def empty(db):
    """The database with no layers and no plans."""
    with db.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {PLAN_TABLES} RESTART IDENTITY CASCADE"))
    return db


@pytest.fixture
def city(empty, tmp_path):
    """A tiny synthetic city (2 communities, ~100 buildings) imported; its roads as a file."""
    layers = make_city("tiny", rng=np.random.default_rng(0))
    for layer in CITY_LAYERS:
        path = tmp_path / f"{layer}.gpkg"
        getattr(layers, layer).to_file(path, layer=layer, driver="GPKG")
        load_layer(empty, prepare_layer(layer, path))
    layers.roads.to_file(tmp_path / "roads.gpkg", driver="GPKG")
    return tmp_path / "roads.gpkg"


@pytest.fixture
def roads(city):
    return read_roads(city)[0]


@pytest.fixture
def client(settings, db):
    """A client logged in as an admin."""
    with TestClient(create_app(settings)) as test_client:
        test_client.headers.update(bearer(db, "admin"))
        yield test_client


@pytest.fixture
def env(database_url, tmp_path):
    return {"WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path), "COLUMNS": "160"}


def _draft(engine, roads, params=PUBLISHABLE, **kw):
    return plans.create_draft(engine, params=params, roads=roads, **kw)["id"]


@pytest.fixture
def published(db, roads):
    plan_id = _draft(db, roads)
    plans.publish(db, plan_id, effective_from=date(2026, 1, 1))
    return plan_id


def _codes(engine, plan_id):
    g = m.grid
    with engine.connect() as conn:
        query = sa.select(g.c.code).where(g.c.plan_id == plan_id).order_by(g.c.code)
        return conn.execute(query).scalars().all()


def _registry(engine):
    r = m.grid_code_registry
    with engine.connect() as conn:
        rows = conn.execute(sa.select(r).order_by(r.c.code)).mappings().all()
    return {row["code"]: dict(row) for row in rows}


def _status(engine, plan_id):
    with engine.connect() as conn:
        query = sa.select(m.grid_plan.c.status).where(m.grid_plan.c.id == plan_id)
        return conn.execute(query).scalar_one()


# ---------------------------------------------------------------- drafts
def test_cli_partitions_the_database_into_a_draft(city, env, db):
    args = ["partition", "--roads", str(city), "--tolerance", "0.25", "--jobs", "1"]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert "draft plan 1" in result.output and "within ±10% / ±15% / ±25%" in result.output
    assert _status(db, 1) == "draft"


def test_cli_partitions_only_the_communities_named(city, env, db):
    args = ["partition", "--community", "420106001002", "--jobs", "1"]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert {c[:12] for c in _codes(db, 1)} == {"420106001002"}


def test_cli_refuses_an_unknown_community(city, env):
    result = runner.invoke(cli, ["partition", "--community", "420106001999"], env=env)
    assert result.exit_code == 2
    assert "420106001999" in result.output and "Traceback" not in result.output


def test_api_partitions_into_a_draft(city, client):
    answer = client.post("/plans", json={"tolerance": 0.25, "seed": 1})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "draft" and body["grids"] > 0
    assert body["params"]["seed"] == 1 and body["metrics"]["overall"]["grids"] == body["grids"]


def test_draft_places_every_building_in_exactly_one_grid(city, db, roads):
    plan_id = _draft(db, roads)
    a, b, g = m.grid_assignment, m.building, m.grid
    with db.connect() as conn:
        buildings = conn.execute(sa.select(b.c.id).order_by(b.c.id)).scalars().all()
        placed = conn.execute(
            sa.select(a.c.building_id)
            .join(g, g.c.id == a.c.grid_id)
            .where(a.c.plan_id == plan_id, g.c.plan_id == plan_id)
            .order_by(a.c.building_id)
        ).scalars().all()  # fmt: skip
    assert placed == buildings


def test_draft_grid_counts_match_their_buildings(city, db, roads):
    plan_id = _draft(db, roads)
    with db.connect() as conn:
        wrong = conn.execute(
            sa.text(
                "SELECT g.code FROM grid g JOIN grid_assignment a ON a.grid_id = g.id "
                "JOIN building b ON b.id = a.building_id WHERE g.plan_id = :plan "
                "GROUP BY g.id HAVING count(*) <> g.buildings OR sum(b.households) <> g.households"
            ),
            {"plan": plan_id},
        ).all()
    assert wrong == []


def test_grids_are_geojson_with_their_properties(city, db, roads, client):
    plan_id = _draft(db, roads)
    answer = client.get(f"/plans/{plan_id}/grids")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    body = answer.json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in body["features"]] == _codes(db, plan_id)
    first = body["features"][0]
    assert first["geometry"]["type"] == "MultiPolygon"
    assert {"code", "community_code", "seq", "households", "buildings", "area_m2", "flags"} <= set(
        first["properties"]
    )


def test_plans_are_listed_newest_first(city, db, roads, client):
    first, second = _draft(db, roads), _draft(db, roads, seed=1)
    listed = client.get("/plans").json()
    assert [p["id"] for p in listed] == [second, first]


def test_plan_summary_has_metrics_per_community(city, db, roads, client):
    plan_id = _draft(db, roads)
    body = client.get(f"/plans/{plan_id}").json()
    assert set(body["metrics"]["communities"]) == {"420106001001", "420106001002"}


def test_partition_without_communities_is_explained(empty, client):
    answer = client.post("/plans", json={})
    assert answer.status_code == 422
    assert "no communities" in answer.json()["problem"]


def test_partition_of_a_community_without_households_is_refused(empty, client, tmp_path):
    communities = make_city("tiny", rng=np.random.default_rng(0)).communities
    path = tmp_path / "communities.gpkg"
    communities.to_file(path, driver="GPKG")
    load_layer(empty, prepare_layer("communities", path))
    answer = client.post("/plans", json={"communities": ["420106001001"]})
    assert answer.status_code == 422
    assert "no buildings with households" in answer.json()["problem"]


def test_partition_of_an_unknown_community_is_404(city, client):
    answer = client.post("/plans", json={"communities": ["420106001999"]})
    assert answer.status_code == 404 and answer.json()["error"] == "NotFoundError"


@pytest.mark.parametrize(
    "body",
    [{"target": -1}, {"tolerance": 1.5}, {"communities": ["4201"]}, {"seed": "x"}],
    ids=["target", "tolerance", "code", "seed"],
)
def test_bad_partition_body_is_422(empty, client, body):
    assert client.post("/plans", json=body).status_code == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/plans/999"), ("get", "/plans/999/grids"), ("post", "/plans/999/publish")],
)
def test_unknown_plan_is_404(empty, client, method, path):
    answer = getattr(client, method)(path)
    assert answer.status_code == 404
    assert answer.json()["error"] == "NotFoundError" and "999" in answer.json()["problem"]


# ---------------------------------------------------------------- publishing
def test_publishing_enters_every_code_in_the_registry(city, db, published):
    registry = _registry(db)
    assert list(registry) == _codes(db, published)
    assert {(r["status"], r["first_plan_id"], r["valid_from"]) for r in registry.values()} == {
        ("active", published, date(2026, 1, 1))
    }


def test_publishing_dates_the_plan(city, client, db, roads):
    plan_id = _draft(db, roads)
    answer = client.post(f"/plans/{plan_id}/publish", json={"effective_from": "2026-03-01"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "published" and body["effective_from"] == "2026-03-01"
    assert body["published_at"] is not None


def test_publishing_twice_is_409(city, client, published):
    answer = client.post(f"/plans/{published}/publish")
    assert answer.status_code == 409 and "published" in answer.json()["problem"]


def test_cli_publishes_a_draft_and_lists_it(city, db, roads, env):
    plan_id = _draft(db, roads)
    args = ["plan", "publish", str(plan_id), "--effective-date", "2026-02-01"]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    listed = runner.invoke(cli, ["plan", "list"], env=env)
    assert "published" in listed.output and "2026-02-01" in listed.output


def test_cli_shows_a_plan_with_its_communities(city, db, roads, env):
    plan_id = _draft(db, roads)
    result = runner.invoke(cli, ["plan", "show", str(plan_id)], env=env)
    assert result.exit_code == 0, result.output
    assert "420106001001" in result.output and "Polsby-Popper" in result.output


def test_grid_outside_the_band_blocks_publication(city, db, roads):
    plan_id = _draft(db, roads, params=PartitionParams(target=300, tolerance=0.15))
    outside = plans.band_exceptions(db, plan_id)
    with pytest.raises(InputError, match=f"grid {outside[0]} has .* households"):
        plans.publish(db, plan_id)


def test_exception_reason_lets_an_out_of_band_grid_be_published(city, db, roads):
    plan_id = _draft(db, roads, params=PartitionParams(target=300, tolerance=0.15))
    reasons = dict.fromkeys(plans.band_exceptions(db, plan_id), "老旧小区，楼栋不可拆分")
    assert plans.publish(db, plan_id, exceptions=reasons)["status"] == "published"


def test_building_added_after_the_draft_blocks_publication(city, db, roads, tmp_path):
    plan_id = _draft(db, roads)
    buildings = make_city("tiny", rng=np.random.default_rng(0)).buildings
    extra = buildings.iloc[[0]].assign(source_id="new-1", households=40)
    extra["geometry"] = extra.geometry.translate(xoff=2e-5)
    path = tmp_path / "extra.gpkg"
    extra.to_file(path, driver="GPKG")
    load_layer(db, prepare_layer("buildings", path))
    with pytest.raises(InputError, match="1 buildings of these communities are in no grid"):
        plans.publish(db, plan_id)


def test_failed_publication_changes_nothing(city, db, roads):
    plan_id = _draft(db, roads, params=PartitionParams(target=300, tolerance=0.15))
    code = plans.band_exceptions(db, plan_id)[0]
    with pytest.raises(InputError, match="has no grid 420106001001999"):
        plans.publish(db, plan_id, exceptions={code: "老旧小区", "420106001001999": "无此网格"})
    with db.connect() as conn:
        reason = conn.execute(
            sa.select(m.grid.c.exception_reason).where(m.grid.c.code == code)
        ).scalar_one()
    assert (_status(db, plan_id), reason, _registry(db)) == ("draft", None, {})


def _reshape(engine, plan_id, geometry_sql):
    """Replace the first grid's geometry of a plan by an SQL expression of it; its code."""
    with engine.begin() as conn:
        return conn.execute(
            sa.text(
                f"UPDATE grid SET geometry = {geometry_sql} WHERE id = "
                "(SELECT min(id) FROM grid WHERE plan_id = :plan) RETURNING code"
            ),
            {"plan": plan_id},
        ).scalar_one()


def test_grid_in_two_pieces_blocks_publication(city, db, roads):
    plan_id = _draft(db, roads)
    code = _reshape(db, plan_id, "ST_Multi(ST_Union(geometry, ST_Translate(geometry, 0, -1)))")
    with pytest.raises(InputError, match=f"grid {code} is in 2 pieces"):
        plans.publish(db, plan_id)


def test_grid_reaching_outside_its_community_blocks_publication(city, db, roads):
    plan_id = _draft(db, roads)
    code = _reshape(db, plan_id, "ST_Translate(geometry, 0.01, 0.01)")
    with pytest.raises(InputError, match=f"grid {code} reaches .* m² outside its community"):
        plans.publish(db, plan_id)


def test_stale_draft_is_refused(city, db, roads):
    first, second = _draft(db, roads), _draft(db, roads)
    plans.publish(db, first)
    with pytest.raises(ConflictError, match="stale"):
        plans.publish(db, second)


# ---------------------------------------------------------------- re-partition
def test_repartition_of_unchanged_data_keeps_every_code(city, db, roads, published):
    again = _draft(db, roads)
    assert _codes(db, again) == _codes(db, published)


def test_publishing_a_new_plan_supersedes_the_old(city, db, roads, published):
    again = _draft(db, roads)
    plans.publish(db, again, effective_from=date(2026, 6, 1))
    old = plans.get_plan(db, published)
    assert (old["status"], old["effective_to"]) == ("superseded", date(2026, 6, 1))


@pytest.fixture
def repartitioned(city, db, roads, published):
    """The city published, then partitioned into smaller grids and published again."""
    smaller = _draft(db, roads, params=PartitionParams(target=200, tolerance=0.25))
    excused = dict.fromkeys(plans.band_exceptions(db, smaller), "测试")
    plans.publish(db, smaller, effective_from=date(2026, 6, 1), exceptions=excused)
    withdrawn = set(_codes(db, published)) - set(_codes(db, smaller))
    assert withdrawn  # the test needs a code to be withdrawn
    return withdrawn


def test_withdrawn_code_keeps_its_registry_entry(db, repartitioned):
    registry = _registry(db)
    entries = {(registry[c]["status"], registry[c]["valid_to"], registry[c]["reason"])
               for c in repartitioned}  # fmt: skip
    assert entries == {("withdrawn", date(2026, 6, 1), "重新划分")}


def test_withdrawn_code_is_never_issued_again(db, roads, repartitioned):
    back = _draft(db, roads)  # the first layout again: its old codes must not come back
    assert repartitioned.isdisjoint(_codes(db, back))


def test_withdrawn_numbers_count_as_used_for_the_next_partition(db, repartitioned):
    codes = sorted({c[:12] for c in repartitioned})
    with db.connect() as conn:
        used = plans.code_history(conn, codes)[1]
    assert all(int(c[-3:]) in used[c[:12]] for c in repartitioned)


def test_draft_reissuing_a_withdrawn_code_is_refused(db, roads, repartitioned):
    back = _draft(db, roads)
    code = sorted(repartitioned)[0]
    g = m.grid
    with db.begin() as conn:
        first = sa.select(sa.func.min(g.c.id)).where(
            g.c.plan_id == back, g.c.community_code == code[:12]
        )
        conn.execute(g.update().where(g.c.id == first.scalar_subquery())
                     .values(code=code, seq=int(code[-3:])))  # fmt: skip
    with pytest.raises(InputError, match=f"code {code} was withdrawn"):
        plans.publish(db, back, effective_from=date(2026, 9, 1))


def test_new_codes_continue_after_every_used_number(db, roads, repartitioned):
    registry = _registry(db)
    first_plan = {c for c, r in registry.items() if r["first_plan_id"] == 1}
    later = {c for c in registry if c not in first_plan}
    for community in ("420106001001", "420106001002"):
        used = max(int(c[-3:]) for c in first_plan if c.startswith(community))
        assert all(int(c[-3:]) > used for c in later if c.startswith(community))


def test_partial_repartition_carries_the_other_community(city, db, roads, published):
    one = _draft(db, roads, communities=["420106001001"])
    plans.publish(db, one, effective_from=date(2026, 6, 1))
    plan = plans.get_plan(db, one)
    assert plan["community_codes"] == ["420106001001", "420106001002"]
    assert sorted(_codes(db, one)) == sorted(_codes(db, published))


def test_grids_in_force_follow_the_effective_dates(city, db, roads, published, client):
    again = _draft(db, roads)
    plans.publish(db, again, effective_from=date(2026, 6, 1))
    before = client.get("/grids", params={"at": "2026-03-01"}).json()["features"]
    after = client.get("/grids", params={"at": "2026-07-01"}).json()["features"]
    assert {f["properties"]["plan_id"] for f in before} == {published}
    assert {f["properties"]["plan_id"] for f in after} == {again}


# ---------------------------------------------------------------- schema
def test_migrations_go_down_past_the_plans_and_up_again(engine):
    downgrade(engine, "0001")
    tables = set(sa.inspect(engine).get_table_names())
    assert "grid_plan" not in tables and "building" in tables
    migrate(engine)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current_revision(engine) == head
    assert {"grid_plan", "grid", "grid_assignment", "grid_code_registry"} <= set(
        sa.inspect(engine).get_table_names()
    )


def test_grid_code_must_be_its_community_and_sequence(city, db, published):
    with pytest.raises(sa.exc.IntegrityError, match="grid_code_parts"), db.begin() as conn:
        conn.execute(m.grid.update().where(m.grid.c.plan_id == published).values(seq=998))


def test_missing_plan_error_names_the_plan(empty):
    with pytest.raises(NotFoundError, match="no plan 7"):
        plans.get_plan(empty, 7)
