"""Point lookup (street, community, grid in force, staff) and search by name or code."""

import pytest
from shapely.geometry import Point, box

from tests.api.conftest import POLICE, bearer

STAFF = {"name": "王芳", "post": "B", "duties": "网格巡查", "phone": "13812345678"}


def _building(client, building_id):
    body = client.get("/collections/buildings/items", params={"limit": 1,
                      "offset": building_id - 1}).json()  # fmt: skip
    return body["features"][0]


def _inside(city, building_id):
    point = city.layers.buildings.geometry.iloc[building_id - 1].representative_point()
    return {"lon": point.x, "lat": point.y}


def test_lookup_names_street_community_and_grid(client, city):
    building = _building(client, 40)
    body = client.get("/lookup", params=_inside(city, 40)).json()
    assert body["street"] == {"code": "420106001", "name": city.layers.streets["name"].iloc[0]}
    assert body["community"]["code"] == building["properties"]["community_code"]
    assert body["grid"]["code"] == building["properties"]["grid_code"]


def test_lookup_names_the_grid_as_people_say_it(client, city):
    grid = client.get("/lookup", params=_inside(city, 40)).json()["grid"]
    assert grid["name"].endswith(f"第{grid['seq']}网格") and "社区" in grid["name"]


@pytest.mark.parametrize("building_id", [1, 52, 103])
def test_lookup_finds_the_grid_of_each_building(client, city, building_id):
    building = _building(client, building_id)
    grid = client.get("/lookup", params=_inside(city, building_id)).json()["grid"]
    assert grid["code"] == building["properties"]["grid_code"]


def test_lookup_lists_the_grid_s_staff(client, no_staff):
    client.headers.update(bearer(no_staff.engine, "admin"))
    grid = client.get("/lookup", params=_inside(no_staff, 40)).json()["grid"]
    a = {**STAFF, "name": "李强", "post": "A", "duties": "安全生产", "phone": "025-84321234"}
    for person in (STAFF, a):
        assert client.post(f"/grids/{grid['code']}/staff", json=person).status_code == 201
    staff = client.get("/lookup", params=_inside(no_staff, 40)).json()["grid"]["staff"]
    assert [(p["name"], p["post"], p["duties"], p["phone"]) for p in staff] == [
        ("李强", "A", "安全生产", "025-84321234"), ("王芳", "B", "网格巡查", "13812345678"),
    ]  # fmt: skip


def test_lookup_without_staff_gives_an_empty_list(client, no_staff):
    assert client.get("/lookup", params=_inside(no_staff, 40)).json()["grid"]["staff"] == []


def test_lookup_outside_every_community_is_404(client):
    answer = client.get("/lookup", params={"lon": 116.4, "lat": 39.9})
    assert answer.status_code == 404
    assert "no community contains" in answer.json()["problem"]


@pytest.mark.parametrize(
    "params",
    [{"lon": 181, "lat": 30}, {"lon": 114, "lat": -91}, {"lon": "nan", "lat": 30},
     {"lon": "east", "lat": 30}, {"lat": 30}],
)  # fmt: skip
def test_bad_lon_lat_is_422(client, params):
    assert client.get("/lookup", params=params).status_code == 422


# ---------------------------------------------------------------- search
def _search(client, q, **params):
    answer = client.get("/search", params={"q": q, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_search_finds_a_building_by_part_of_its_name(client, city):
    names = city.layers.buildings["name"]
    name = next(n for n in names if len(n) >= 4 and (names == n).sum() == 1)
    hits = _search(client, name[1:-1])
    building_id = int(names[names == name].index[0]) + 1
    assert ("building", building_id) in {(h["kind"], h["id"]) for h in hits}


def test_search_finds_a_building_by_its_address(client, city):
    address = city.layers.buildings["address"].iloc[10]
    hits = _search(client, address)
    assert hits[0]["kind"] == "building" and hits[0]["detail"] == address


def test_search_result_has_a_point_inside_its_bbox(client, city):
    hit = _search(client, city.layers.compounds["name"].iloc[0])[0]
    minx, miny, maxx, maxy = hit["bbox"]
    assert box(minx, miny, maxx, maxy).intersects(Point(hit["lon"], hit["lat"]))
    assert hit["kind"] == "compound" and hit["label"] == city.layers.compounds["name"].iloc[0]


def test_search_finds_a_grid_by_code(client, city):
    code = client.get("/lookup", params=_inside(city, 40)).json()["grid"]["code"]
    hit = _search(client, code)[0]
    assert (hit["kind"], hit["code"]) == ("grid", code)


def test_search_finds_a_grid_by_community_name_and_number(client, city):
    grid = client.get("/lookup", params=_inside(city, 40)).json()["grid"]
    community = client.get("/lookup", params=_inside(city, 40)).json()["community"]["name"]
    hits = _search(client, f"{community.removesuffix('社区')} {grid['seq']}")
    assert ("grid", grid["code"]) in {(h["kind"], h["code"]) for h in hits}


def test_search_finds_a_facility_by_name(client):
    hits = _search(client, POLICE[1])
    assert hits and {h["kind"] for h in hits} == {"facility"}


def test_search_treats_wildcards_as_text(client):
    assert _search(client, "%") == []


def test_search_respects_the_limit(client):
    assert len(_search(client, "路", limit=5)) == 5


@pytest.mark.parametrize("q", ["", "   "])
def test_empty_search_is_422(client, q):
    answer = client.get("/search", params={"q": q})
    assert answer.status_code == 422
    assert "empty" in answer.json()["problem"]


def test_search_without_q_is_422(client):
    assert client.get("/search").status_code == 422
