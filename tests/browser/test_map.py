"""The web map in real headless Chromium: offline, layers, legend, popups, search."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import httpx
import pytest
import shapely

from map_ui.page import DETAIL_ZOOM, FACILITY_ZOOM, GRID_ZOOM

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/wangge-map.png"
LOADED = (
    "() => window.wangge && wangge.layers.grids.getLayers().length > 0"
    " && document.querySelectorAll('.wg-legend .wg-class').length > 0"
)
#: A point on screen where a feature of a layer is on top (nothing covers it), as a person
#: would find one to click: ``[layer, key, value]`` picks the feature, ``null`` for any.
VISIBLE_POINT = """([layer, key, value]) => {
  const box = wangge.map.getContainer().getBoundingClientRect();
  for (const f of wangge.layers[layer].getLayers()) {
    if (key !== null && f.feature.properties[key] !== value) continue;
    const b = f.getBounds();
    for (let i = 1; i < 30; i++) for (let j = 1; j < 30; j++) {
      const ll = L.latLng(b.getSouth() + (b.getNorth() - b.getSouth()) * i / 30,
                          b.getWest() + (b.getEast() - b.getWest()) * j / 30);
      const p = wangge.map.latLngToContainerPoint(ll);
      const x = box.left + p.x, y = box.top + p.y;
      if (document.elementFromPoint(x, y) === f.getElement()) return [x, y];
    }
  }
  return null;
}"""


def _tile_point(page, layer):
    """A screen point on top of a feature drawn from vector tiles, with its properties."""
    loaded = f".leaflet-wg-{layer}-pane .leaflet-tile-loaded"
    page.wait_for_function(f"() => document.querySelectorAll('{loaded}').length > 0")
    page.wait_for_load_state("networkidle")
    point = page.evaluate(TILE_POINT, layer)
    assert point is not None, f"no visible feature of {layer} in the tiles"
    return point


def _grid_with_most_facilities(served, city):
    """The grid holding most of the city's facilities, and its ``"路灯 n"`` counts by class."""
    grids = httpx.get(f"{served.url}/collections/grids/items?limit=1000").json()["features"]
    names = {"0117": "路灯", "9003": "警务室"}
    best = None
    for grid in grids:
        inside = city.facilities[
            city.facilities.intersects(shapely.geometry.shape(grid["geometry"]))
        ]
        if best is None or len(inside) > best[0]:
            counts = inside.groupby("class_code").size().items()
            best = (
                len(inside),
                grid["properties"]["code"],
                sorted(f"{names[k]} {n}" for k, n in counts),
            )
    assert best is not None and best[0] > 1
    return best[1], best[2]


#: A point on screen where a vector-tile feature of a layer is on top, and its properties.
TILE_POINT = """(layer) => {
  const grid = wangge[layer];
  for (const key in grid._vectorTiles) {
    const features = grid._vectorTiles[key]._features;
    for (const id in features) {
      const f = features[id].feature;
      const r = f._path.getBoundingClientRect();
      for (let i = 1; i < 8; i++) for (let j = 1; j < 8; j++) {
        const x = r.left + r.width * i / 8, y = r.top + r.height * j / 8;
        if (document.elementFromPoint(x, y) === f._path) {
          return {xy: [x, y], properties: f.properties};
        }
      }
    }
  }
  return null;
}"""


def _open(visit, url):
    visit.page.goto(url)
    visit.page.wait_for_function(LOADED, timeout=15000)
    visit.page.wait_for_load_state("networkidle")
    return visit.page


def _click_grid(page, code, filled=".wg-person"):
    point = page.evaluate(VISIBLE_POINT, ["grids", "code", code])
    assert point is not None, f"no visible point of grid {code}"
    page.mouse.click(*point)
    popup = page.locator(".leaflet-popup-content")
    popup.locator(filled).first.wait_for(timeout=10000)
    return popup


def test_start_page_requests_only_the_app(served, visit):
    _open(visit, f"{served.url}/map")
    hosts = {urlsplit(u).netloc for u in visit.requests if not u.startswith("data:")}
    assert hosts == {urlsplit(served.url).netloc}


def test_start_page_has_no_console_errors(served, visit):
    _open(visit, f"{served.url}/map")
    assert visit.errors == []


def test_every_grid_is_drawn_with_its_number(served, visit):
    page = _open(visit, f"{served.url}/map")
    grids = httpx.get(f"{served.url}/collections/grids/items?limit=1000").json()["features"]
    labels = sorted(page.locator(".wg-grid-label").all_inner_texts())
    assert labels == sorted(str(g["properties"]["seq"]) for g in grids)


def test_grid_outlines_are_magenta(served, visit):
    page = _open(visit, f"{served.url}/map")
    strokes = page.eval_on_selector_all(
        ".leaflet-wg-grids-pane path", "els => els.map(e => e.getAttribute('stroke'))"
    )
    assert strokes and set(strokes) == {"#C0158F"}


def test_legend_lists_facility_classes_with_counts(served, visit, city):
    page = _open(visit, f"{served.url}/map")
    entries = [
        f"{c.locator('.wg-name').inner_text()} {c.locator('.wg-count').inner_text()}"
        for c in page.locator(".wg-legend .wg-class").all()
    ]
    expected = city.facilities.groupby("class_code").size()
    names = {"0117": "路灯", "9003": "警务室"}
    assert sorted(entries) == sorted(f"{names[k]} {n}" for k, n in expected.items())


def test_zooming_out_drops_building_tiles_and_says_so(served, visit):
    page = _open(visit, f"{served.url}/map")
    page.evaluate(f"() => wangge.map.setZoom({DETAIL_ZOOM - 2}, {{animate: false}})")
    page.locator(".wg-legend .wg-hint", has_text="显示建筑").wait_for(timeout=5000)
    page.wait_for_load_state("networkidle")
    assert page.locator(".leaflet-wg-buildings-pane path").count() == 0


def test_zooming_out_to_district_scale_drops_grids_and_says_so(served, visit):
    page = _open(visit, f"{served.url}/map")
    page.evaluate(f"() => wangge.map.setZoom({GRID_ZOOM - 1}, {{animate: false}})")
    page.locator(".wg-legend .wg-hint", has_text="显示网格").wait_for(timeout=5000)
    page.wait_for_load_state("networkidle")
    assert page.locator(".wg-grid-label").count() == 0
    assert page.evaluate("() => wangge.layers.communities.getLayers().length") > 0


def test_layer_control_lists_the_layers(served, visit):
    page = _open(visit, f"{served.url}/map")
    names = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [n.strip() for n in names] == ["街道边界", "社区边界", "网格", "建筑", "部件设施"]


def test_clicking_a_grid_shows_its_staff(served, visit):
    page = _open(visit, f"{served.url}/map")
    popup = _click_grid(page, served.grid_code)
    text = popup.inner_text()
    assert served.person["name"] in text and served.person["phone"] in text
    assert served.grid_code in text and "户数" in text and "面积" in text


def test_clicking_a_building_tile_shows_households_and_grid(served, visit, city):
    page = _open(visit, f"{served.url}/map")
    page.evaluate(f"() => wangge.map.setZoom({DETAIL_ZOOM + 1}, {{animate: false}})")
    point = _tile_point(page, "buildings")
    page.mouse.click(*point["xy"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert point["properties"]["name"] in set(city.layers.buildings["name"])
    assert text.startswith(point["properties"]["name"]) and "户数" in text
    assert point["properties"]["grid_code"] in text


def test_clicking_a_facility_tile_shows_its_class_and_code(served, visit):
    page = _open(visit, f"{served.url}/map")
    page.evaluate(f"() => wangge.map.setZoom({FACILITY_ZOOM}, {{animate: false}})")
    point = _tile_point(page, "facilities")
    page.mouse.click(*point["xy"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert point["properties"]["code"] in text and point["properties"]["class_name"] in text
    assert point["properties"]["status"] == "intact" and "完好" in text


def test_grid_popup_counts_facilities_by_class(served, visit, city):
    code, expected = _grid_with_most_facilities(served, city)
    page = _open(visit, f"{served.url}/map")
    popup = _click_grid(page, code, ".wg-grid-facilities .wg-class")
    shown = [
        f"{c.locator('.wg-name').inner_text()} {c.locator('.wg-count').inner_text()}"
        for c in popup.locator(".wg-grid-facilities .wg-class").all()
    ]
    assert sorted(shown) == expected


def test_facilities_are_clustered_at_low_zoom(served, visit, city):
    page = _open(visit, f"{served.url}/map")
    page.evaluate(f"() => wangge.map.setZoom({FACILITY_ZOOM - 4}, {{animate: false}})")
    page.locator(".marker-cluster").first.wait_for(timeout=10000)
    counts = [int(t) for t in page.locator(".marker-cluster span").all_inner_texts()]
    assert 0 < len(counts) < len(city.facilities) / 5
    assert sum(counts) == len(city.facilities)


def test_search_finds_a_building_by_part_of_its_name(served, visit):
    page = _open(visit, f"{served.url}/map")
    page.locator(".wg-search input").fill("商业")
    hit = page.locator(".wg-hit", has_text="金色路商业楼")
    hit.first.click(timeout=10000)
    page.wait_for_function(
        "() => wangge.map.getZoom() >= 17 && wangge.map.getBounds().contains("
        "wangge.map.getCenter()) && document.querySelector('.leaflet-tooltip') !== null"
    )
    tooltips = page.locator(".leaflet-tooltip", has_text="金色路商业楼")
    assert tooltips.count() == 1


def test_community_page_shows_only_that_community(served, visit, city):
    code = city.layers.communities["code"].iloc[0]
    page = _open(visit, f"{served.url}/map/communities/{code}")
    communities = page.evaluate(
        "() => wangge.layers.grids.getLayers().map(l => l.feature.properties.community_code)"
    )
    assert set(communities) == {code} and visit.errors == []


def test_page_carries_no_data(served):
    answer = httpx.get(f"{served.url}/map")
    assert answer.status_code == 200 and len(answer.content) < 20_000
    assert "FeatureCollection" not in answer.text


def test_unknown_community_page_is_a_json_404(served):
    answer = httpx.get(f"{served.url}/map/communities/000000000000")
    assert answer.status_code == 404
    assert "000000000000" in answer.json()["message"]


def test_screenshot_of_a_grid_popup_is_saved(served, visit, tmp_path):
    page = _open(visit, f"{served.url}/map")
    _click_grid(page, served.grid_code)
    path = tmp_path / "wangge-map.png"
    page.screenshot(path=str(path))
    shutil.copyfile(path, SCREENSHOT)
    assert path.stat().st_size > 20_000
