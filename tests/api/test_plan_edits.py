# ruff: noqa: F811  (fixtures shared with test_plans are imported, then named as arguments)
"""Editing drafts over the API: moves with a version check, validation, diff and export."""

import io
import time
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from api import models as m
from api import plans
from api.plans.layers import as_wkb, read_frame
from gis.partition import PartitionParams
from tests.api.conftest import bearer
from tests.api.test_plans import _draft, city, client, empty, roads  # noqa: F401

pytestmark = pytest.mark.db


def _grids(engine, plan_id) -> gpd.GeoDataFrame:
    g = m.grid
    query = sa.select(
        g.c.id, g.c.code, g.c.community_code, g.c.households, g.c.buildings, g.c.area_m2,
        as_wkb(g.c.geometry),
    ).where(g.c.plan_id == plan_id)  # fmt: skip
    with engine.connect() as conn:
        return read_frame(conn, query).set_index("code")


def _members(engine, plan_id, grid_id) -> gpd.GeoDataFrame:
    a, b = m.grid_assignment, m.building
    query = (
        sa.select(b.c.id, b.c.households, as_wkb(b.c.footprint))
        .join(a, a.c.building_id == b.c.id)
        .where(a.c.plan_id == plan_id, a.c.grid_id == grid_id)
    )
    with engine.connect() as conn:
        return read_frame(conn, query)


def _neighbours(engine, plan_id) -> tuple[str, str, int]:
    """Two touching grids of one community, and the building of the first nearest the second."""
    grids = _grids(engine, plan_id)
    for a_code, a in grids.iterrows():
        for b_code, b in grids.iterrows():
            same = a["community_code"] == b["community_code"]
            if a_code != b_code and same and a.geometry.intersection(b.geometry).length > 0:
                members = _members(engine, plan_id, int(a["id"]))
                members = members[members["households"] > 0]
                if len(members) > 1:
                    nearest = shapely.distance(members.geometry.values, b.geometry).argmin()
                    return a_code, b_code, int(members["id"].iloc[nearest])
    raise AssertionError("no two touching grids")


def _move(client, plan_id, building, code, version=1):
    body = {"version": version, "moves": [{"building_id": building, "grid_code": code}]}
    return client.post(f"/plans/{plan_id}/moves", json=body)


@pytest.fixture
def draft(db, roads):
    return _draft(db, roads)


def test_a_move_changes_both_grids_and_bumps_the_version(client, db, draft):
    before = _grids(db, draft)
    source, target, building = _neighbours(db, draft)
    households = int(_members(db, draft, int(before.at[source, "id"])).set_index("id").at[
        building, "households"
    ])  # fmt: skip
    answer = _move(client, draft, building, target)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["version"] == 2 and body["moved"] == [building]
    assert {f["id"] for f in body["grids"]["features"]} == {source, target}
    after = _grids(db, draft)
    assert after.at[source, "households"] == before.at[source, "households"] - households
    assert after.at[target, "households"] == before.at[target, "households"] + households
    assert after.at[target, "buildings"] == before.at[target, "buildings"] + 1
    assert plans.get_plan(db, draft)["version"] == 2


def test_an_edit_measures_again_only_its_community_and_agrees_with_a_full_measure(
    client, db, draft
):
    from api.plans.checks import plan_row
    from api.plans.editing import _metrics

    before = plans.get_plan(db, draft)["metrics"]
    source, target, building = _neighbours(db, draft)
    assert _move(client, draft, building, target).status_code == 200
    after = plans.get_plan(db, draft)["metrics"]
    community = source[:12]
    others = [c for c in before["communities"] if c != community]
    assert others and all(after["communities"][c] == before["communities"][c] for c in others)
    assert after["communities"][community] != before["communities"][community]
    with db.connect() as conn:
        full = _metrics(conn, plan_row(conn, draft))
    # the kept community's areas were measured before the round trip through the database:
    # equal up to float noise (1e-10 m²)
    for part in ("overall", community):
        mine = after["overall"] if part == "overall" else after["communities"][part]
        theirs = full["overall"] if part == "overall" else full["communities"][part]
        assert mine == pytest.approx(theirs, abs=1e-6), part


def test_a_move_hands_land_over_and_leaves_other_grids_alone(client, db, draft):
    before = _grids(db, draft)
    source, target, building = _neighbours(db, draft)
    assert _move(client, draft, building, target).status_code == 200
    after = _grids(db, draft)
    assert after.at[source, "area_m2"] < before.at[source, "area_m2"]
    assert after.at[target, "area_m2"] > before.at[target, "area_m2"]
    pair = before.loc[[source, target], "area_m2"].sum()
    assert after.loc[[source, target], "area_m2"].sum() == pytest.approx(pair, rel=1e-6)
    others = before.index.difference([source, target])
    assert all(before.geometry[others].geom_equals_exact(after.geometry[others], 0))
    union = shapely.union_all(after.geometry[[source, target]].values)
    was = shapely.union_all(before.geometry[[source, target]].values)
    assert union.symmetric_difference(was).area < 1e-12


def test_buildings_sent_to_a_new_grid_form_one_with_a_fresh_code(client, db, draft):
    before = _grids(db, draft)
    source, _, building = _neighbours(db, draft)
    community = before.at[source, "community_code"]
    members = _members(db, draft, int(before.at[source, "id"]))
    pair = [building, int(members["id"][members["id"] != building].iloc[0])]
    moves = [{"building_id": b, "new_grid": True} for b in pair]
    answer = client.post(f"/plans/{draft}/moves", json={"version": 1, "moves": moves})
    assert answer.status_code == 200, answer.text
    after = _grids(db, draft)
    (new,) = set(after.index) - set(before.index)
    seqs = before.index[before["community_code"] == community].str[12:].astype(int)
    assert new == f"{community}{seqs.max() + 1:03d}"
    assert after.at[new, "buildings"] == 2 and after.at[new, "area_m2"] > 0
    assert after.at[source, "buildings"] == before.at[source, "buildings"] - 2
    total = after.loc[[source, new], "area_m2"].sum()
    assert total == pytest.approx(before.at[source, "area_m2"], rel=1e-6)
    assert new in {f["id"] for f in answer.json()["grids"]["features"]}


def test_grids_still_tile_their_community_after_moves(client, db, draft):
    for version in (1, 2, 3):
        _, target, building = _neighbours(db, draft)
        assert _move(client, draft, building, target, version).status_code == 200
    problems = client.get(f"/plans/{draft}/validation").json()["problems"]
    words = ("outside its community", "overlap", "lie in no grid", "invalid", "pieces")
    tiling = [p for p in problems if any(w in p["problem"] for w in words)]
    assert tiling == []


def test_an_edit_on_a_stale_version_is_refused(client, db, draft):
    source, target, building = _neighbours(db, draft)
    assert _move(client, draft, building, target).status_code == 200
    answer = _move(client, draft, building, source, version=1)
    assert answer.status_code == 409
    assert "the draft changed since you loaded it (version 1, now 2): reload" in answer.text


def test_a_published_plan_cannot_be_edited(client, db, draft):
    source, target, building = _neighbours(db, draft)
    plans.publish(db, draft)
    answer = _move(client, draft, building, target)
    assert answer.status_code == 409 and "only a draft" in answer.text


def test_a_building_outside_the_plan_is_refused(client, db, draft):
    _, target, _ = _neighbours(db, draft)
    answer = _move(client, draft, 2_000_000_000, target)
    assert answer.status_code == 422 and "is not in plan" in answer.text


def test_a_grid_of_another_community_is_refused(client, db, draft):
    grids = _grids(db, draft)
    source, _, building = _neighbours(db, draft)
    other = grids.index[grids["community_code"] != grids.at[source, "community_code"]][0]
    answer = _move(client, draft, building, other)
    assert answer.status_code == 422 and "of community" in answer.text
    assert plans.get_plan(db, draft)["version"] == 1


@pytest.mark.parametrize(
    "moves",
    [
        [],
        [{"building_id": 1}],
        [{"building_id": 1, "grid_code": "123"}],
        [{"building_id": 1, "grid_id": 1, "grid_code": "110101001001001"}],
        [{"building_id": 1, "new_grid": True, "grid_code": "110101001001001"}],
    ],
)
def test_malformed_moves_are_refused(client, draft, moves):
    answer = client.post(f"/plans/{draft}/moves", json={"version": 1, "moves": moves})
    assert answer.status_code == 422


def test_an_unknown_grid_or_plan_is_refused(client, db, draft):
    source, _, building = _neighbours(db, draft)
    assert _move(client, draft, building, source[:12] + "999").status_code == 422
    assert _move(client, 999_999, building, source).status_code == 404


def test_a_building_moved_twice_in_one_edit_is_refused(client, db, draft):
    _, target, building = _neighbours(db, draft)
    move = {"building_id": building, "grid_code": target}
    answer = client.post(f"/plans/{draft}/moves", json={"version": 1, "moves": [move, move]})
    assert answer.status_code == 422 and "more than once" in answer.text


def test_an_edit_takes_under_a_second(client, db, draft):
    source, target, building = _neighbours(db, draft)
    start = time.perf_counter()
    assert _move(client, draft, building, target).status_code == 200
    seconds = time.perf_counter() - start
    print(f"one move: {seconds:.3f} s")
    assert seconds < 1.0


def test_validation_of_a_publishable_draft_is_empty(client, draft):
    answer = client.get(f"/plans/{draft}/validation")
    assert answer.status_code == 200, answer.text
    assert answer.json()["publishable"] is True and answer.json()["problems"] == []


def test_validation_names_the_grids_out_of_band(client, db, roads):
    plan_id = _draft(db, roads, params=PartitionParams(target=300, tolerance=0.01))
    problems = client.get(f"/plans/{plan_id}/validation").json()["problems"]
    codes = set(_grids(db, plan_id).index)
    banded = [p for p in problems if "households, outside" in p["problem"]]
    assert banded and all(p["grid"] in codes for p in banded)
    assert plans.get_plan(db, plan_id)["status"] == "draft"


def test_validation_of_an_unknown_plan_is_404(client, draft):
    assert client.get("/plans/999999/validation").status_code == 404


def test_diff_lists_the_moved_building_and_both_metrics(client, db, roads):
    first, second = _draft(db, roads), _draft(db, roads)
    source, target, building = _neighbours(db, second)
    assert client.get(f"/plans/{first}/diff/{second}").json()["moved"] == []
    assert _move(client, second, building, target).status_code == 200
    body = client.get(f"/plans/{first}/diff/{second}").json()
    assert body["moved"] == [{"building_id": building, "from_grid": source, "to_grid": target}]
    assert body["plan"]["id"] == first and body["other"]["version"] == 2
    assert "overall" in body["plan"]["metrics"] and "overall" in body["other"]["metrics"]


def test_diff_with_an_unknown_plan_is_404(client, draft):
    assert client.get(f"/plans/{draft}/diff/999999").status_code == 404


def _community_names(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(m.community.c.name)).scalars())


@pytest.mark.parametrize("fmt", ["gpkg", "geojson"])
def test_export_grids_read_back(client, db, draft, tmp_path, fmt):
    answer = client.get(f"/plans/{draft}/export", params={"format": fmt})
    assert answer.status_code == 200, answer.text
    path = tmp_path / f"plan.{fmt}"
    path.write_bytes(answer.content)
    grids = gpd.read_file(path)
    assert sorted(grids["code"]) == sorted(_grids(db, draft).index)
    assert set(grids["community_name"]) <= _community_names(db)


def test_export_shapefile_is_gbk(client, db, draft, tmp_path):
    answer = client.get(f"/plans/{draft}/export", params={"format": "shp"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        archive.extractall(tmp_path)
    cpg = next(tmp_path.glob("*.cpg"))
    assert cpg.read_text().strip() == "GBK"
    names = _community_names(db)
    dbf = next(tmp_path.glob("*.dbf")).read_bytes()
    assert all(name.encode("gbk") in dbf for name in names)
    grids = gpd.read_file(next(tmp_path.glob("*.shp")))
    assert set(grids["comm_name"]) == names
    assert sorted(grids["code"]) == sorted(_grids(db, draft).index)


def test_export_csv_has_a_bom_and_every_assignment(client, db, draft):
    answer = client.get(f"/plans/{draft}/export", params={"format": "csv"})
    assert answer.status_code == 200
    assert answer.content.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(answer.content), encoding="utf-8-sig", dtype={"grid_code": str})
    grids = _grids(db, draft)
    assert len(table) == grids["buildings"].sum()
    assert set(table["grid_code"]) == set(grids.index)


def test_export_in_an_unknown_format_is_refused(client, draft):
    assert client.get(f"/plans/{draft}/export", params={"format": "kml"}).status_code == 422


def test_a_street_office_of_another_street_cannot_touch_the_plan(client, db, draft):
    _, target, building = _neighbours(db, draft)
    other = bearer(db, "street_office", target[:6] + "999")
    body = {"version": 1, "moves": [{"building_id": building, "grid_code": target}]}
    assert client.post(f"/plans/{draft}/moves", json=body, headers=other).status_code == 403
    for path in ("validation", f"diff/{draft}", "export?format=csv"):
        assert client.get(f"/plans/{draft}/{path}", headers=other).status_code == 403, path
    assert plans.get_plan(db, draft)["version"] == 1
