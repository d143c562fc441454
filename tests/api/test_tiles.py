"""Vector tiles from PostGIS: decoded contents, empty tiles, caching headers, TileJSON."""

import math

import mapbox_vector_tile
import pytest
from shapely.geometry import box

from api.features import BUFFER, EXTENT
from tests.api.conftest import grid_codes

HALF_WORLD = 20037508.342789244


def tile_of(lon, lat, z):
    """The x, y of the web-mercator tile holding a point."""
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def tile_bounds(z, x, y, buffer=0.0):
    """A tile's bounds in lon/lat, grown by ``buffer`` tile units on each side."""
    size = 2 * HALF_WORLD / 2**z
    pad = size * buffer / EXTENT
    minx, maxy = -HALF_WORLD + x * size - pad, HALF_WORLD - y * size + pad
    maxx, miny = minx + size + 2 * pad, maxy - size - 2 * pad

    def lonlat(mx, my):
        lat = math.degrees(math.atan(math.sinh(my / HALF_WORLD * math.pi)))
        return mx / HALF_WORLD * 180, lat

    return (*lonlat(minx, miny), *lonlat(maxx, maxy))


def tiles_covering(bounds, z):
    x0, y0 = tile_of(bounds[0], bounds[3], z)
    x1, y1 = tile_of(bounds[2], bounds[1], z)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def _features(client, layer, z, x, y):
    answer = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
    assert answer.status_code == 200, answer.text
    return mapbox_vector_tile.decode(answer.content)[layer]["features"]


def test_tile_is_a_vector_tile(client, city):
    z, x, y = tiles_covering(city.layers.communities.total_bounds, 10)[0]
    answer = client.get(f"/tiles/communities/{z}/{x}/{y}.mvt")
    assert answer.headers["content-type"] == "application/vnd.mapbox-vector-tile"


def test_tile_covering_the_data_holds_every_community(client, city):
    (tile,) = tiles_covering(city.layers.communities.total_bounds, 10)
    features = _features(client, "communities", *tile)
    assert sorted(f["properties"]["code"] for f in features) == sorted(
        city.layers.communities["code"]
    )


def test_tile_covering_the_data_holds_every_grid_with_its_number(client, city):
    (tile,) = tiles_covering(city.layers.communities.total_bounds, 10)
    features = _features(client, "grids", *tile)
    assert sorted(f["properties"]["code"] for f in features) == grid_codes(
        city.engine, city.plan_id
    )
    assert all(f["properties"]["seq"] >= 1 for f in features)


def test_building_tile_holds_the_buildings_it_touches(client, city):
    b = city.layers.buildings
    z = 15
    x, y = tile_of(*b.geometry.union_all().centroid.coords[0], z)
    touched = b.geometry.intersects(box(*tile_bounds(z, x, y, buffer=BUFFER)))
    ids = {f["properties"]["id"] for f in _features(client, "buildings", z, x, y)}
    assert ids == {i + 1 for i in b.index[touched]}


def test_building_tiles_together_hold_every_building(client, city):
    ids = set()
    for tile in tiles_covering(city.layers.buildings.total_bounds, 14):
        answer = client.get("/tiles/buildings/{}/{}/{}.mvt".format(*tile))
        if answer.status_code == 200:
            decoded = mapbox_vector_tile.decode(answer.content)["buildings"]["features"]
            ids |= {f["properties"]["id"] for f in decoded}
    assert ids == set(range(1, len(city.layers.buildings) + 1))


def test_building_tiles_carry_grid_and_households(client, city):
    tile = tiles_covering(city.layers.buildings.total_bounds, 14)[0]
    properties = _features(client, "buildings", *tile)[0]["properties"]
    assert {"id", "name", "households", "households_estimated", "community_code",
            "grid_code"} <= set(properties)  # fmt: skip
    assert len(properties["grid_code"]) == 15


def test_facility_tiles_carry_class_and_status(client, city):
    features = []
    for tile in tiles_covering(city.facilities.total_bounds, 14):
        answer = client.get("/tiles/facilities/{}/{}/{}.mvt".format(*tile))
        if answer.status_code == 200:
            features += mapbox_vector_tile.decode(answer.content)["facilities"]["features"]
    assert len({f["properties"]["id"] for f in features}) == len(city.facilities)
    assert {f["properties"]["class_name"] for f in features} == {"路灯", "警务室"}
    assert {f["properties"]["status"] for f in features} == {"intact"}


def test_tile_far_from_the_data_is_204(client):
    answer = client.get("/tiles/buildings/14/0/0.mvt")
    assert answer.status_code == 204 and answer.content == b""


def test_buildings_below_their_minzoom_are_204(client, city):
    (tile,) = tiles_covering(city.layers.buildings.total_bounds, 10)
    assert client.get("/tiles/buildings/{}/{}/{}.mvt".format(*tile)).status_code == 204


def test_tile_has_etag_and_cache_control(client, city):
    (z, x, y) = tiles_covering(city.layers.communities.total_bounds, 10)[0]
    answer = client.get(f"/tiles/communities/{z}/{x}/{y}.mvt")
    assert answer.headers["etag"].startswith('"') and len(answer.headers["etag"]) > 10
    assert answer.headers["cache-control"] == "public, max-age=60"


def test_same_tile_same_etag(client, city):
    (z, x, y) = tiles_covering(city.layers.communities.total_bounds, 10)[0]
    url = f"/tiles/communities/{z}/{x}/{y}.mvt"
    assert client.get(url).headers["etag"] == client.get(url).headers["etag"]


def test_if_none_match_is_304_without_body(client, city):
    (z, x, y) = tiles_covering(city.layers.communities.total_bounds, 10)[0]
    url = f"/tiles/communities/{z}/{x}/{y}.mvt"
    tag = client.get(url).headers["etag"]
    answer = client.get(url, headers={"If-None-Match": tag})
    assert answer.status_code == 304 and answer.content == b""
    assert answer.headers["etag"] == tag


def test_stale_if_none_match_gets_the_tile(client, city):
    (z, x, y) = tiles_covering(city.layers.communities.total_bounds, 10)[0]
    answer = client.get(f"/tiles/communities/{z}/{x}/{y}.mvt", headers={"If-None-Match": '"x"'})
    assert answer.status_code == 200 and answer.content


@pytest.mark.parametrize("path", ["23/0/0", "-1/0/0", "3/8/0", "3/0/8", "3/-1/0", "3/x/0"])
def test_bad_tile_coordinates_are_422(client, path):
    answer = client.get(f"/tiles/buildings/{path}.mvt")
    assert answer.status_code == 422


def test_bad_tile_coordinates_are_explained(client):
    body = client.get("/tiles/buildings/3/8/0.mvt").json()
    assert "3/8/0" in body["problem"] and "0 to 7" in body["fix"]


def test_unknown_layer_tile_is_404(client):
    answer = client.get("/tiles/roads/14/0/0.mvt")
    assert answer.status_code == 404 and "buildings" in answer.json()["fix"]


def test_tilejson_describes_the_layer(client, city):
    doc = client.get("/tiles/buildings.json").json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == ["http://testserver/tiles/buildings/{z}/{x}/{y}.mvt"]
    assert doc["minzoom"] <= doc["maxzoom"]
    assert doc["vector_layers"][0]["id"] == "buildings"
    assert {"grid_code", "households"} <= set(doc["vector_layers"][0]["fields"])


def test_tilejson_bounds_are_the_data_extent(client, city):
    doc = client.get("/tiles/buildings.json").json()
    assert doc["bounds"] == pytest.approx(list(city.layers.buildings.total_bounds), abs=1e-6)
    minx, miny, maxx, maxy = doc["bounds"]
    assert minx <= doc["center"][0] <= maxx and miny <= doc["center"][1] <= maxy


def test_tilejson_url_template_serves_tiles(client, city):
    template = client.get("/tiles/communities.json").json()["tiles"][0]
    (z, x, y) = tiles_covering(city.layers.communities.total_bounds, 10)[0]
    answer = client.get(template.format(z=z, x=x, y=y))
    assert answer.status_code == 200


def test_unknown_layer_tilejson_is_404(client):
    assert client.get("/tiles/roads.json").status_code == 404
