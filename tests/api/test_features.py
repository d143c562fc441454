"""Layers as GeoJSON: paging with links and counts, bbox and property filters, errors."""

import pytest
import shapely
from shapely.geometry import box, shape

from tests.api.conftest import POLICE, grid_codes


def _items(client, layer, **params):
    answer = client.get(f"/collections/{layer}/items", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_items_are_geojson(client):
    answer = client.get("/collections/buildings/items")
    assert answer.headers["content-type"].startswith("application/geo+json")
    assert answer.json()["type"] == "FeatureCollection"


def test_first_page_counts_matched_and_returned(client, city):
    body = _items(client, "buildings", limit=40)
    assert body["numberMatched"] == len(city.layers.buildings)
    assert body["numberReturned"] == len(body["features"]) == 40


def test_next_link_continues_where_the_page_ended(client):
    first = _items(client, "buildings", limit=40)
    href = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = client.get(href).json()
    assert [f["id"] for f in second["features"]][0] == first["features"][-1]["id"] + 1


def test_pages_together_hold_every_feature_once(client, city):
    ids, href = [], "/collections/buildings/items?limit=30"
    while href:
        body = client.get(href).json()
        ids += [f["id"] for f in body["features"]]
        href = next((lk["href"] for lk in body["links"] if lk["rel"] == "next"), None)
    assert sorted(ids) == list(range(1, len(city.layers.buildings) + 1))


def test_last_page_has_no_next_link(client, city):
    body = _items(client, "buildings", limit=40, offset=len(city.layers.buildings) - 3)
    assert body["numberReturned"] == 3
    assert "next" not in {link["rel"] for link in body["links"]}


def test_next_link_keeps_the_filters(client):
    body = _items(client, "buildings", limit=5, community_code="420106001001")
    href = next(link["href"] for link in body["links"] if link["rel"] == "next")
    assert "community_code=420106001001" in href and "offset=5" in href


def test_features_have_id_geometry_and_properties(client):
    feature = _items(client, "buildings", limit=1)["features"][0]
    assert feature["id"] == feature["properties"]["id"] == 1
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert {"name", "households", "households_estimated", "grid_code", "compound_name"} <= set(
        feature["properties"]
    )


def test_bbox_keeps_only_features_that_touch_it(client, city):
    minx, miny, maxx, maxy = city.layers.buildings.total_bounds
    west = (minx, miny, (minx + maxx) / 2, maxy)
    expected = int(city.layers.buildings.intersects(box(*west)).sum())
    body = _items(client, "buildings", bbox=",".join(map(str, west)), limit=1000)
    assert 0 < body["numberMatched"] == expected < len(city.layers.buildings)
    assert all(shape(f["geometry"]).intersects(box(*west)) for f in body["features"])


def test_community_filter(client, city):
    body = _items(client, "buildings", community_code="420106001002", limit=1000)
    expected = int((city.layers.buildings["community_code"] == "420106001002").sum())
    assert body["numberMatched"] == expected
    assert {f["properties"]["community_code"] for f in body["features"]} == {"420106001002"}


def test_class_filter_of_facilities(client, city):
    body = _items(client, "facilities", class_code=POLICE[0])
    assert body["numberMatched"] == int((city.facilities["class_code"] == POLICE[0]).sum())
    assert {f["properties"]["class_name"] for f in body["features"]} == {POLICE[1]}


def test_grid_filter_of_buildings_gives_the_grid_s_buildings(client, city):
    grid = _items(client, "grids", limit=1)["features"][0]
    body = _items(client, "buildings", grid_code=grid["id"], limit=1000)
    assert body["numberMatched"] == grid["properties"]["buildings"]
    assert {f["properties"]["grid_code"] for f in body["features"]} == {grid["id"]}


def test_grids_are_those_in_force(client, city):
    body = _items(client, "grids", limit=1000)
    assert [f["id"] for f in body["features"]] == grid_codes(city.engine, city.plan_id)


def test_grids_cover_their_communities(client):
    grids = _items(client, "grids", limit=1000)["features"]
    communities = _items(client, "communities")["features"]
    union = shapely.union_all([shape(f["geometry"]) for f in grids])
    area = sum(shape(f["geometry"]).area for f in communities)
    assert union.area == pytest.approx(area, rel=1e-6)


@pytest.mark.parametrize(
    ("layer", "count"),
    [("streets", 1), ("communities", 2), ("compounds", 7)],
)
def test_small_layers_are_served_whole(client, layer, count):
    assert _items(client, layer)["numberMatched"] == count


def test_unknown_layer_is_404_listing_the_layers(client):
    answer = client.get("/collections/roads/items")
    assert answer.status_code == 404
    assert "roads" in answer.json()["problem"] and "buildings, grids" in answer.json()["fix"]


@pytest.mark.parametrize(
    "bbox",
    ["1,2,3", "a,b,c,d", "114.3,30.6,114.2,30.7", "114,30,200,31", "114,-95,115,31", ""],
)
def test_bad_bbox_is_422(client, bbox):
    answer = client.get("/collections/buildings/items", params={"bbox": bbox})
    assert answer.status_code == 422
    assert "bbox" in answer.json()["problem"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 10001}, {"offset": -1}])
def test_bad_paging_is_422(client, params):
    answer = client.get("/collections/buildings/items", params=params)
    assert answer.status_code == 422
    assert set(params) & set(answer.json()["problem"].split())


def test_filter_a_layer_lacks_is_422(client):
    answer = client.get("/collections/streets/items", params={"class_code": "0117"})
    assert answer.status_code == 422
    assert "class_code" in answer.json()["problem"]


def test_malformed_filter_value_is_422(client):
    answer = client.get("/collections/buildings/items", params={"community_code": "42"})
    assert answer.status_code == 422
    assert "12-digit" in answer.json()["problem"]


def test_openapi_lists_the_map_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/collections/{layer}/items", "/tiles/{layer}/{z}/{x}/{y}.mvt", "/tiles/{layer}.json",
        "/lookup", "/search", "/grids/{code}/staff", "/staff/{staff_id}",
    } <= set(paths)  # fmt: skip


def test_streamed_pages_give_their_connections_back(client):
    for offset in range(0, 60, 4):
        _items(client, "buildings", limit=4, offset=offset)
    assert client.app.state.engine.pool.checkedout() == 0
