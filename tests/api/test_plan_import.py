# ruff: noqa: F811  (fixtures shared with test_plan_locks are imported, then named as arguments)
"""Importing a plan as a draft: CSV of assignments or a grid layer, and their bad files."""

import io
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import sqlalchemy as sa

from api import models as m
from api.plans.layers import as_wkb, read_frame
from tests.api.conftest import bearer
from tests.api.test_plan_locks import (  # noqa: F401
    client,
    db,
    draft,
    shared,
    town,
)

pytestmark = pytest.mark.db


def _export(client, plan_id, fmt) -> bytes:
    answer = client.get(f"/plans/{plan_id}/export", params={"format": fmt})
    assert answer.status_code == 200, answer.text
    return answer.content


def _import(client, name, content, **kw):
    return client.post("/plans/import", files={"file": (name, content)}, **kw)


def _plans(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(m.grid_plan)).scalar_one()


def _csv(client, plan_id) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(_export(client, plan_id, "csv")), dtype=str, encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("csv", "plan.csv"), ("gpkg", "plan.gpkg"), ("shp", "plan.zip"), ("geojson", "plan.geojson")],
)
def test_an_exported_plan_imports_with_no_building_moved(client, shared, fmt, name):
    answer = _import(client, name, _export(client, shared, fmt), data={"name": "回读"})
    assert answer.status_code == 201, answer.text
    plan = answer.json()
    assert plan["status"] == "draft" and plan["name"] == "回读" and plan["version"] == 1
    diff = client.get(f"/plans/{plan['id']}/diff/{shared}").json()
    assert diff["moved"] == []
    assert plan["grids"] == client.get(f"/plans/{shared}").json()["grids"]


def test_an_imported_plan_tiles_its_communities(client, shared):
    plan = _import(client, "plan.csv", _export(client, shared, "csv")).json()
    problems = client.get(f"/plans/{plan['id']}/validation").json()["problems"]
    words = ("outside its community", "overlap", "lie in no grid", "invalid", "in no grid")
    assert [p for p in problems if any(w in p["problem"] for w in words)] == []


def test_a_gbk_csv_without_extra_columns_imports(client, shared):
    table = _csv(client, shared)[["building_id", "grid_code"]]
    table["备注"] = "无"
    answer = _import(client, "分配.csv", table.to_csv(index=False).encode("gbk"))
    assert answer.status_code == 201, answer.text


def _refused(client, db, name, content, status=422, words=()):
    before = _plans(db)
    answer = _import(client, name, content)
    assert answer.status_code == status, answer.text
    for word in words:
        assert word in answer.json()["message"], answer.text
    assert "fix" in answer.json() and _plans(db) == before
    return answer


def test_a_csv_leaving_buildings_out_is_refused_naming_them(client, db, shared):
    table = _csv(client, shared)
    dropped = sorted(table["building_id"].astype(int))[:12]
    rest = table[~table["building_id"].astype(int).isin(dropped)]
    answer = _refused(
        client, db, "p.csv", rest.to_csv(index=False).encode(), words=["12 buildings"]
    )
    named = answer.json()["problem"].split("building ids ")[1]
    assert named == ", ".join(map(str, dropped[:10])) + ")"


def test_a_grid_code_of_another_community_is_refused(client, db, shared):
    table = _csv(client, shared)
    other = table["grid_code"][table["grid_code"].str[:12] != table.at[0, "grid_code"][:12]]
    table.at[0, "grid_code"] = other.iloc[0]
    _refused(client, db, "p.csv", table.to_csv(index=False).encode(),
             words=["must start with its building's community code"])  # fmt: skip


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"building_id,grid_code\n1,42010600100\n", ["is not 15 digits"]),
        (b"building_id,grid_code\nx,420106001001001\n", ["not a whole number on line 2"]),
        (b"id;grid\n1;2\n", ["no building_id and grid_code columns"]),
        (b"building_id,grid_code\n999999,420106001001001\n", ["there is no building 999999"]),
        (b"building_id,grid_code\n1,420106001001000\n", ["ends in 000"]),
        (b"building_id,grid_code\n1,420106001999001\n", ["community 420106001999"]),
        (b"building_id,grid_code\n1,420106001001001\n1,420106001001002\n", ["more than once"]),
        (b"building_id,grid_code\n", ["no rows"]),
    ],
)
def test_a_bad_csv_is_refused_and_nothing_stored(client, db, shared, content, words):
    _refused(client, db, "p.csv", content, words=words)


def test_a_file_that_is_not_what_its_name_says_is_415(client, db, shared):
    _refused(client, db, "plan.gpkg", b"building_id,grid_code\n1,2\n", status=415)


def test_an_empty_file_is_refused(client, db, shared):
    answer = _refused(client, db, "plan.csv", b"", status=415)
    assert "empty" in answer.text


def test_a_zip_escaping_its_folder_is_refused(client, db, shared):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil.shp", b"\x00\x00\x27\x0a" + b"\x00" * 96)
    answer = _import(client, "grids.zip", buffer.getvalue())
    assert 400 <= answer.status_code < 500 and _plans(db) >= 1


def _layer(client, plan_id) -> gpd.GeoDataFrame:
    return gpd.read_file(io.BytesIO(_export(client, plan_id, "geojson")))


def _geojson(frame) -> bytes:
    return frame.to_json().encode()


def test_a_layer_without_a_code_column_is_refused(client, db, shared):
    grids = _layer(client, shared).rename(columns={"code": "name"})[["name", "geometry"]]
    _refused(client, db, "g.geojson", _geojson(grids), words=["no grid_code (or code) column"])


def test_a_layer_leaving_buildings_in_no_grid_is_refused(client, db, shared):
    grids = _layer(client, shared)
    grids = grids.iloc[1:]  # the first grid's buildings lie in none
    answer = _refused(client, db, "g.geojson", _geojson(grids), words=["lie in no grid"])
    assert "building ids" in answer.text


def test_a_layer_of_points_is_refused(client, db, shared):
    grids = _layer(client, shared)
    grids["geometry"] = grids.representative_point()
    _refused(client, db, "g.geojson", _geojson(grids), words=["holds no grid polygons"])


def test_a_malformed_import_request_is_422(client, db, shared):
    assert client.post("/plans/import", data={"name": "x"}).status_code == 422
    answer = _import(client, "p.csv", b"a", data={"name": "x" * 201})
    assert answer.status_code == 422


def test_a_community_staff_account_cannot_import(client, db, shared):
    staff = bearer(db, "community_staff", "420106001001")
    answer = _import(client, "p.csv", _export(client, shared, "csv"), headers=staff)
    assert answer.status_code == 403


def test_a_street_office_cannot_import_grids_outside_its_street(client, db, shared):
    elsewhere = bearer(db, "street_office", "110101001")
    before = _plans(db)
    answer = _import(client, "p.csv", _export(client, shared, "csv"), headers=elsewhere)
    assert answer.status_code == 403 and _plans(db) == before
    inside = bearer(db, "street_office", "420106001")
    assert (
        _import(client, "p.csv", _export(client, shared, "csv"), headers=inside).status_code == 201
    )


def test_imported_grids_keep_the_codes_of_the_file(client, db, shared):
    plan = _import(client, "p.csv", _export(client, shared, "csv")).json()
    g = m.grid
    with db.connect() as conn:
        frame = read_frame(conn, sa.select(g.c.code, g.c.plan_id, as_wkb(g.c.geometry)))
    codes = frame.groupby("plan_id")["code"].apply(sorted)
    assert codes[plan["id"]] == codes[shared]
