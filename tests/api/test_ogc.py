"""OGC API – Features at /ogc: each document's shape, paging, CRS, and GDAL's OAPIF client."""

import os
import re
import shutil
import subprocess

import pytest
import sqlalchemy as sa
from shapely.geometry import box, shape

from api import models as m
from api.features import LAYERS
from api.ogc import CONFORMANCE, CRS84, EPSG_4490
from api.settings import DatabaseSettings, Settings
from tests.live import live_app

ITEMS_REL = "items"


def _get(client, path, **params):
    # httpx drops a URL's own query when given params, even empty ones.
    answer = client.get(path, params=params or None)
    assert answer.status_code == 200, answer.text
    return answer


def _rels(doc):
    return {link["rel"]: link for link in doc["links"]}


def sql_counts(engine, plan_id):
    """Features of each layer, counted in SQL from the tables (grids: the plan in force)."""
    tables = {
        "streets": sa.select(sa.func.count()).select_from(m.street),
        "communities": sa.select(sa.func.count()).select_from(m.community),
        "compounds": sa.select(sa.func.count()).select_from(m.compound),
        "buildings": sa.select(sa.func.count()).select_from(m.building),
        "grids": sa.select(sa.func.count()).where(m.grid.c.plan_id == plan_id),
        "facilities": sa.select(sa.func.count()).select_from(m.facility),
    }
    with engine.connect() as conn:
        return {name: conn.execute(query).scalar_one() for name, query in tables.items()}


# Landing page and conformance


def test_landing_page_links_to_definition_conformance_and_data(client):
    doc = _get(client, "/ogc").json()
    rels = _rels(doc)
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["href"].endswith("/openapi.json")
    assert rels["conformance"]["href"].endswith("/ogc/conformance")
    assert rels["data"]["href"].endswith("/ogc/collections")


def test_landing_page_is_json(client):
    answer = _get(client, "/ogc", f="json")
    assert answer.headers["content-type"].startswith("application/json")


def test_conformance_declares_core_geojson_oas30(client):
    conforms = _get(client, "/ogc/conformance").json()["conformsTo"]
    assert {
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    } <= set(conforms)
    assert conforms == CONFORMANCE


def test_accept_json_gets_json(client):
    answer = client.get("/ogc/collections", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")


def test_items_answer_geojson_to_f_json_and_accept_json(client):
    answer = client.get(
        "/ogc/collections/streets/items",
        params={"f": "json"},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")


def test_unknown_format_is_400(client):
    answer = client.get("/ogc/conformance", params={"f": "xml"})
    assert answer.status_code == 400
    assert "f=json" in answer.json()["fix"]


def test_openapi_lists_the_ogc_paths(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/{collection_id}",
        "/ogc/collections/{collection_id}/items",
        "/ogc/collections/{collection_id}/items/{feature_id}",
        "/ogc/collections/{collection_id}/queryables",
    } <= set(paths)  # fmt: skip


# Collections


def test_collections_list_every_layer(client):
    doc = _get(client, "/ogc/collections").json()
    assert [c["id"] for c in doc["collections"]] == list(LAYERS)
    assert "self" in _rels(doc)


def test_collection_has_titles_crs_and_items_link(client):
    doc = _get(client, "/ogc/collections/buildings").json()
    assert doc["title"] == "建筑 Buildings"
    assert doc["itemType"] == "feature"
    assert CRS84 in doc["crs"] and EPSG_4490 in doc["crs"]
    items = _rels(doc)[ITEMS_REL]
    assert items["type"] == "application/geo+json"
    assert items["href"].endswith("/ogc/collections/buildings/items")


def test_collection_extent_is_the_data_s_bounds(client, city):
    doc = _get(client, "/ogc/collections/buildings").json()
    assert doc["extent"]["spatial"]["crs"] == CRS84
    bounds = doc["extent"]["spatial"]["bbox"][0]
    assert bounds == pytest.approx(list(city.layers.buildings.total_bounds), abs=1e-9)


def test_unknown_collection_is_404(client):
    answer = client.get("/ogc/collections/roads")
    assert answer.status_code == 404
    assert "roads" in answer.json()["problem"]


def test_queryables_are_a_json_schema_of_the_filters(client):
    answer = _get(client, "/ogc/collections/facilities/queryables")
    assert answer.headers["content-type"].startswith("application/schema+json")
    schema = answer.json()
    assert schema["type"] == "object" and schema["$schema"].startswith("https://json-schema")
    assert set(schema["properties"]) == {"community_code", "class_code", "geometry"}
    assert schema["properties"]["geometry"]["format"] == "geometry-point"


# Items


def test_items_are_a_geojson_feature_collection(client, city):
    answer = _get(client, "/ogc/collections/buildings/items", limit=10)
    assert answer.headers["content-type"].startswith("application/geo+json")
    body = answer.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == len(city.layers.buildings)
    assert body["numberReturned"] == len(body["features"]) == 10
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["timeStamp"])


def test_items_links_are_typed(client):
    body = _get(client, "/ogc/collections/buildings/items", limit=10).json()
    rels = _rels(body)
    assert rels["self"]["type"] == rels["next"]["type"] == "application/geo+json"
    assert rels["collection"]["href"].endswith("/ogc/collections/buildings")


def test_next_links_page_through_every_feature_once(client, city):
    ids, href = [], "/ogc/collections/buildings/items?limit=25"
    while href:
        body = _get(client, href).json()
        ids += [f["id"] for f in body["features"]]
        href = _rels(body).get("next", {}).get("href")
    assert sorted(ids) == list(range(1, len(city.layers.buildings) + 1))


def test_items_bbox_filters(client, city):
    minx, miny, maxx, maxy = city.layers.buildings.total_bounds
    west = (minx, miny, (minx + maxx) / 2, maxy)
    expected = int(city.layers.buildings.intersects(box(*west)).sum())
    body = _get(
        client, "/ogc/collections/buildings/items", bbox=",".join(map(str, west)), limit=1000
    ).json()
    assert 0 < body["numberMatched"] == expected < len(city.layers.buildings)


def test_items_property_filter(client, city):
    body = _get(client, "/ogc/collections/facilities/items", class_code="9003").json()
    assert body["numberMatched"] == int((city.facilities["class_code"] == "9003").sum())


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": "many"}, {"bbox": "1,2,3"}, {"crs": "EPSG:3857"}, {"grid_code": "1"}],
)
def test_bad_items_parameters_are_400_with_a_message(client, params):
    answer = client.get("/ogc/collections/buildings/items", params=params)
    assert answer.status_code == 400
    assert answer.json()["problem"]


# One item


def test_item_by_numeric_id(client):
    answer = _get(client, "/ogc/collections/buildings/items/3")
    assert answer.headers["content-type"].startswith("application/geo+json")
    feature = answer.json()
    assert feature["type"] == "Feature" and feature["id"] == 3
    assert {"self", "collection"} <= set(_rels(feature))


def test_item_by_code(client, city):
    code = _get(client, "/ogc/collections/grids/items", limit=1).json()["features"][0]["id"]
    assert _get(client, f"/ogc/collections/grids/items/{code}").json()["id"] == code


@pytest.mark.parametrize(
    "path",
    [
        "buildings/items/999999", "buildings/items/abc", "buildings/items/²",
        "buildings/items/99999999999999999999999", "grids/items/x", "roads/items/1",
    ],
)  # fmt: skip
def test_unknown_item_is_404(client, path):
    assert client.get(f"/ogc/collections/{path}").status_code == 404


# Part 2: CRS


def test_items_in_cgcs2000_are_latitude_first(client):
    plain = _get(client, "/ogc/collections/facilities/items/1").json()
    answer = _get(client, "/ogc/collections/facilities/items/1", crs=EPSG_4490)
    assert answer.headers["content-crs"] == f"<{EPSG_4490}>"
    lon, lat = plain["geometry"]["coordinates"]
    assert answer.json()["geometry"]["coordinates"] == [lat, lon]


def test_items_default_to_crs84(client):
    answer = _get(client, "/ogc/collections/facilities/items", limit=1)
    assert answer.headers["content-crs"] == f"<{CRS84}>"


def test_bbox_crs_reads_latitude_first(client, city):
    minx, miny, maxx, maxy = city.layers.buildings.total_bounds
    west = (minx, miny, (minx + maxx) / 2, maxy)
    lat_first = ",".join(map(str, (west[1], west[0], west[3], west[2])))
    plain = _get(client, "/ogc/collections/buildings/items", bbox=",".join(map(str, west)))
    flipped = _get(
        client, "/ogc/collections/buildings/items", bbox=lat_first, **{"bbox-crs": EPSG_4490}
    )
    assert flipped.json()["numberMatched"] == plain.json()["numberMatched"]


def test_features_in_4490_flip_back_to_the_same_shapes(client):
    a = _get(client, "/ogc/collections/buildings/items/2").json()["geometry"]
    b = _get(client, "/ogc/collections/buildings/items/2", crs=EPSG_4490).json()["geometry"]
    coords = [[[[y, x] for x, y in ring] for ring in poly] for poly in b["coordinates"]]
    assert shape(a).equals(shape({"type": b["type"], "coordinates": coords}))


# A real client: GDAL's OAPIF driver against the app served by uvicorn


@pytest.fixture(scope="module")
def server(city, database_url, tmp_path_factory):
    """The app served by uvicorn on a free loopback port, in a thread; yields its /ogc URL."""
    settings = Settings(
        db=DatabaseSettings(database_url=database_url, data_dir=tmp_path_factory.mktemp("srv"))
    )
    with live_app(settings) as url:
        yield f"{url}/ogc"


def _ogrinfo(*args):
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    done = subprocess.run(
        ["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


needs_gdal = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL is not installed")


@pytest.mark.db
@needs_gdal
def test_gdal_lists_every_collection(server):
    listing = _ogrinfo("-so", f"OAPIF:{server}")
    assert re.findall(r"^\d+: (\w+)", listing, re.MULTILINE) == list(LAYERS)


@pytest.mark.db
@needs_gdal
@pytest.mark.parametrize("layer", list(LAYERS))
def test_gdal_counts_the_features_of_each_layer(server, city, layer):
    summary = _ogrinfo("-so", f"OAPIF:{server}", layer)
    count = int(re.search(r"^Feature Count: (\d+)", summary, re.MULTILINE).group(1))
    assert count == sql_counts(city.engine, city.plan_id)[layer] > 0


@pytest.mark.db
@needs_gdal
@pytest.mark.parametrize("layer", list(LAYERS))
def test_gdal_reads_every_feature_through_next_links(server, city, layer):
    # A small page size makes GDAL follow many next links.
    dump = _ogrinfo("-al", "-oo", "PAGE_SIZE=7", f"OAPIF:{server}", layer)
    ids = re.findall(rf"^OGRFeature\({layer}\):\d+", dump, re.MULTILINE)
    assert len(ids) == sql_counts(city.engine, city.plan_id)[layer]
