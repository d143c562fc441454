"""The street page and the start page's directory in headless Chromium; screenshots."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.test_map import _open

pytestmark = pytest.mark.browser

STREET_SHOT = "/tmp/wangge-street.png"
COMMUNITY_SHOT = "/tmp/wangge-community.png"


@pytest.fixture(scope="module")
def street(city) -> str:
    """Code of the tiny city's first street."""
    return str(city.layers.streets["code"].iloc[0])


def test_street_page_requests_only_the_app(served, visit, street):
    _open(visit, f"{served.url}/map/streets/{street}")
    hosts = {urlsplit(u).netloc for u in visit.requests if not u.startswith("data:")}
    assert hosts == {urlsplit(served.url).netloc}


def test_street_page_has_no_console_errors(served, visit, street):
    _open(visit, f"{served.url}/map/streets/{street}")
    assert visit.errors == []


def test_street_page_shows_that_streets_grids(served, visit, street):
    page = _open(visit, f"{served.url}/map/streets/{street}")
    codes = page.evaluate(
        "() => wangge.layers.grids.getLayers().map(l => l.feature.properties.community_code)"
    )
    grids = httpx.get(f"{served.url}/collections/grids/items?limit=1000").json()["features"]
    expected = [g for g in grids if g["properties"]["community_code"].startswith(street)]
    assert codes and {c[:9] for c in codes} == {street} and len(codes) == len(expected)


def test_street_page_is_fitted_to_the_street(served, visit, street, city):
    page = _open(visit, f"{served.url}/map/streets/{street}")
    minx, miny, maxx, maxy = city.layers.streets.total_bounds
    inside = page.evaluate(
        f"() => wangge.map.getBounds().contains([[{miny}, {minx}], [{maxy}, {maxx}]])"
    )
    assert inside and page.evaluate("() => wangge.map.getZoom()") >= 15


def test_street_page_title_names_the_street(served, visit, street, city):
    page = _open(visit, f"{served.url}/map/streets/{street}")
    assert page.title().startswith(str(city.layers.streets["name"].iloc[0]))


@pytest.mark.parametrize(
    "selector",
    [".leaflet-control-minimap", ".leaflet-control-zoom-fullscreen", ".leaflet-control-measure"],
)
def test_street_page_has_the_control(served, visit, street, selector):
    page = _open(visit, f"{served.url}/map/streets/{street}")
    assert page.locator(selector).count() == 1 and page.locator(selector).is_visible()


def test_fullscreen_and_measure_say_so_in_chinese(served, visit, street):
    page = _open(visit, f"{served.url}/map/streets/{street}")
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "放大"
    assert page.locator(".leaflet-control-minimap-toggle-display").get_attribute("title") == (
        "隐藏鹰眼图"
    )
    assert page.locator(".leaflet-control-zoom-fullscreen").get_attribute("title") == "全屏"
    toggle = page.locator(".leaflet-control-measure-toggle")
    assert toggle.get_attribute("title") == "同时测量距离和面积"
    page.locator(".leaflet-control-measure").hover()
    assert "开始一次新的测量" in page.locator(".leaflet-control-measure").inner_text()


def test_overview_map_draws_the_communities(served, visit, street):
    page = _open(visit, f"{served.url}/map/streets/{street}")
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-control-minimap path').length > 0"
    )
    assert page.locator(".leaflet-control-minimap path").count() >= 1


def test_start_page_links_every_street_and_community(served, visit, city):
    page = _open(visit, f"{served.url}/map")
    links = page.eval_on_selector_all(
        ".wg-directory a", "els => els.map(e => new URL(e.href).pathname)"
    )
    expected = [f"/map/streets/{c}" for c in city.layers.streets["code"]] + [
        f"/map/communities/{c}" for c in city.layers.communities["code"]
    ]
    assert sorted(links) == sorted(expected)


def test_start_page_link_opens_the_street_page(served, visit, street):
    page = _open(visit, f"{served.url}/map")
    page.locator(f".wg-directory a[href$='/map/streets/{street}']").click()
    page.wait_for_url(f"**/map/streets/{street}")
    page.wait_for_function("() => window.wangge && wangge.layers.grids.getLayers().length > 0")
    assert visit.errors == []


def test_unknown_street_page_is_a_json_404(served):
    answer = httpx.get(f"{served.url}/map/streets/999999999")
    assert answer.status_code == 404 and "999999999" in answer.json()["message"]


def test_street_page_screenshot(served, visit, street, tmp_path):
    page = _open(visit, f"{served.url}/map/streets/{street}")
    page.wait_for_load_state("networkidle")
    path = tmp_path / "street.png"
    page.screenshot(path=str(path))
    shutil.copyfile(path, STREET_SHOT)
    assert path.stat().st_size > 20_000


def test_community_page_screenshot(served, visit, city, tmp_path):
    code = city.layers.communities["code"].iloc[1]
    page = _open(visit, f"{served.url}/map/communities/{code}")
    page.wait_for_load_state("networkidle")
    path = tmp_path / "community.png"
    page.screenshot(path=str(path))
    shutil.copyfile(path, COMMUNITY_SHOT)
    assert path.stat().st_size > 20_000


def test_street_page_weighs_under_a_megabyte(served, browser, street):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda r: finished.append(r))
    page.goto(f"{served.url}/map/streets/{street}")
    page.wait_for_function("() => window.wangge && wangge.layers.grids.getLayers().length > 0")
    page.wait_for_load_state("networkidle")
    sizes = [(r.url, r.sizes()) for r in finished]
    context.close()
    total = sum(s["responseBodySize"] + s["responseHeadersSize"] for _, s in sizes)
    leaflet = next(s for u, s in sizes if u.endswith("/leaflet/leaflet.js"))
    print(f"street page: {len(sizes)} requests, {total:,} bytes transferred")
    assert leaflet["responseBodySize"] < 60_000  # 148 kB sent gzipped
    assert total < 1_000_000
