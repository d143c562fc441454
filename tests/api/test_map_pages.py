"""The web map's pages and summaries over HTTP: 404s, facility clusters, GCJ-02 tiles."""

import json
import re

import mapbox_vector_tile
import pytest
import shapely

from api.features import EXTENT
from gis.chinacoords import wgs84_to_gcj02
from tests.api.test_tiles import tile_bounds, tile_of


def test_street_page_is_html(client, city):
    code = city.layers.streets["code"].iloc[0]
    answer = client.get(f"/map/streets/{code}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert f'"street": "{code}"' in answer.text


def test_street_page_asks_for_its_communities_by_code(client, city):
    code = city.layers.streets["code"].iloc[0]
    text = client.get(f"/map/streets/{code}").text
    config = json.loads(re.search(r"WanggeMap\.init\(\w+, (\{.*?\}),", text, re.S).group(1))
    communities = city.layers.communities
    expected = sorted(communities.loc[communities["code"].str.startswith(code), "code"])
    assert config["communities"] == expected and expected


def test_unknown_street_page_is_a_json_404(client, city):
    answer = client.get("/map/streets/999999999")
    assert answer.status_code == 404
    assert "999999999" in answer.json()["message"]


def test_unknown_community_page_is_a_json_404(client, city):
    answer = client.get("/map/communities/999999999999")
    assert answer.status_code == 404 and "999999999999" in answer.json()["message"]


def test_start_page_lists_streets_with_their_communities(client, city):
    text = client.get("/map").text
    for code in [*city.layers.streets["code"], *city.layers.communities["code"]]:
        assert f'"code": "{code}"' in text


def _clusters(client, city, query):
    box = ",".join(str(v) for v in city.layers.communities.total_bounds)
    answer = client.get(f"/map/facility-clusters?bbox={box}&{query}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_clusters_count_every_facility_once(client, city):
    cells = _clusters(client, city, "zoom=14")["cells"]
    assert sum(c["count"] for c in cells) == len(city.facilities)
    assert len(cells) < len(city.facilities) / 3


def test_clusters_count_facilities_by_class(client, city):
    classes = _clusters(client, city, "zoom=14")["classes"]
    expected = city.facilities.groupby("class_code").size()
    assert {c["class_code"]: c["count"] for c in classes} == dict(expected)
    assert {c["class_name"] for c in classes} == {"路灯", "警务室"}


def test_cells_are_finer_at_higher_zoom(client, city):
    coarse = _clusters(client, city, "zoom=13")["cells"]
    fine = _clusters(client, city, "zoom=18")["cells"]
    assert len(coarse) < len(fine)


def test_clusters_of_a_community_are_its_facilities(client, city):
    code = city.layers.communities["code"].iloc[0]
    cells = _clusters(client, city, f"zoom=18&area={code}")["cells"]
    expected = (city.facilities["community_code"] == code).sum()
    assert sum(c["count"] for c in cells) == expected > 0


@pytest.mark.parametrize("query", ["zoom=23", "zoom=14&area=12", "zoom=-1", "zoom=x"], ids=str)
def test_bad_cluster_query_is_422(client, city, query):
    answer = client.get(f"/map/facility-clusters?bbox=114,30,115,31&{query}")
    assert answer.status_code == 422 and answer.json()["message"]


def test_grid_facilities_are_counted_by_class(client, city):
    grids = client.get("/collections/grids/items?limit=1000").json()["features"]
    totals = 0
    for grid in grids:
        shape = shapely.geometry.shape(grid["geometry"])
        inside = city.facilities[city.facilities.intersects(shape)]
        code = grid["properties"]["code"]
        counts = client.get(f"/map/grids/{code}/facilities").json()
        assert {c["class_code"]: c["count"] for c in counts} == dict(
            inside.groupby("class_code").size()
        )
        totals += sum(c["count"] for c in counts)
    assert totals >= len(city.facilities)


def test_unknown_grid_facilities_is_404(client, city):
    assert client.get("/map/grids/999999999999999/facilities").status_code == 404


def test_gcj02_tile_moves_a_facility_by_the_offset(client, city):
    point = city.facilities.geometry.iloc[0]
    z = 16
    gcj_lon, gcj_lat = (float(v) for v in wgs84_to_gcj02(point.x, point.y))
    x, y = tile_of(gcj_lon, gcj_lat, z)
    answer = client.get(f"/tiles/facilities/{z}/{x}/{y}.mvt?coords=gcj02")
    assert answer.status_code == 200
    features = mapbox_vector_tile.decode(answer.content)["facilities"]["features"]
    found = [f for f in features if f["properties"]["code"] == city.facilities["code"].iloc[0]]
    assert len(found) == 1
    minx, miny, maxx, maxy = tile_bounds(z, x, y)
    px, py = found[0]["geometry"]["coordinates"]
    # Tile units → lon (linear) and, over a tile this small, lat (linear to well under 1 m).
    lon = minx + (maxx - minx) * px / EXTENT
    lat = miny + (maxy - miny) * py / EXTENT
    assert lon == pytest.approx(gcj_lon, abs=2e-5) and lat == pytest.approx(gcj_lat, abs=2e-5)


def test_unknown_tile_coords_are_422(client, city):
    assert client.get("/tiles/facilities/16/0/0.mvt?coords=bd09").status_code == 422
