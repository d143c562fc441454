"""The incident heat-map page in real Chromium: login, filters, modes, legend, offline."""

from __future__ import annotations

import re

import pytest

from gis.chinacoords import wgs84_to_gcj02
from tests.api.conftest import bearer
from tests.api.test_incident_maps import CLUSTER_WEEKS, N_BACKGROUND
from tests.api.test_incident_maps import incidents as incidents  # noqa: PLC0414  (fixture)
from tests.browser.test_basemap import _served
from tests.browser.test_basemap import tile_server as tile_server  # noqa: PLC0414  (fixture)

TOTAL = N_BACKGROUND + sum(CLUSTER_WEEKS)


@pytest.fixture
def logged_in(visit, served, city, incidents):  # noqa: ARG001  (incidents are loaded)
    token = bearer(city.engine, "admin")["Authorization"].split()[1]
    visit.page.add_init_script(f"sessionStorage.setItem('wangge.token', '{token}')")
    return visit


def _ready(page) -> None:  # noqa: ANN001
    page.wait_for_function("() => window.wanggeHeat && window.wanggeHeat.ready && "
                           "!window.wanggeHeat.loading", timeout=60_000)  # fmt: skip


def _state(page, key: str):  # noqa: ANN001, ANN202
    return page.evaluate(f"() => window.wanggeHeat.{key}")


def test_without_login_the_page_sends_to_the_login(served, visit):
    visit.page.goto(f"{served.url}/map/incidents")
    visit.page.wait_for_url(re.compile(r".*/login\?next=%2Fmap%2Fincidents$"))
    assert visit.page.locator("#login-button").is_visible()


def test_heat_map_draws_every_incident_offline_with_a_legend(served, logged_in):
    page = logged_in.page
    page.goto(f"{served.url}/map/incidents")
    _ready(page)
    assert _state(page, "lastError") is None
    assert _state(page, "drawn") == TOTAL
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    assert "事件密度" in page.text_content("#legend")
    page.wait_for_load_state("networkidle")
    host = served.url.split("//")[1]
    assert [u for u in logged_in.requests if host not in u and not u.startswith("data:")] == []
    assert logged_in.errors == []


def test_category_filter_changes_what_is_drawn(served, logged_in):
    page = logged_in.page
    page.goto(f"{served.url}/map/incidents")
    _ready(page)
    page.wait_for_function("() => document.querySelectorAll('#class option').length > 40")
    page.select_option("#class", "51")  # disputes: none were reported
    page.wait_for_function("() => window.wanggeHeat.drawn === 0 && !window.wanggeHeat.loading")
    page.select_option("#class", "0102")
    page.wait_for_function(f"() => window.wanggeHeat.drawn === {TOTAL}")
    assert logged_in.errors == []


def test_week_slider_shows_one_week(served, logged_in):
    page = logged_in.page
    page.goto(f"{served.url}/map/incidents")
    _ready(page)
    assert _state(page, "weeks.length") >= 10
    page.fill("#week", "9")
    page.dispatch_event("#week", "input")
    drawn = _state(page, "drawn")
    assert 0 < drawn < TOTAL and "起一周" in page.text_content("#week-label")


def test_hotspot_mode_colours_the_cluster_hot(served, logged_in):
    page = logged_in.page
    page.goto(f"{served.url}/map/incidents")
    _ready(page)
    page.select_option("#mode", "hotspot")
    page.wait_for_function("() => window.wanggeHeat.mode === 'hotspot' && "
                           "!window.wanggeHeat.loading && window.wanggeHeat.cells > 0",
                           timeout=120_000)  # fmt: skip
    tally = _state(page, "tally")
    assert sum(v for k, v in tally.items() if k.startswith("hot")) > 0
    legend = page.text_content("#legend")
    assert "热点 99% 置信" in legend and "冷点 99% 置信" in legend and "不显著" in legend
    page.screenshot(path="/tmp/wangge-heatmap-hotspots.png")
    page.select_option("#mode", "heat")
    _ready(page)
    page.screenshot(path="/tmp/wangge-heatmap-density.png")
    assert logged_in.errors == []


@pytest.fixture(scope="module")
def gcj02_heat_app(city, database_url, tmp_path_factory, tile_server):
    """The app with the loopback XYZ basemap declared GCJ-02."""
    yield from _served(city, database_url, tmp_path_factory, tile_server[0], "gcj02")


def test_on_a_gcj02_basemap_the_incidents_are_shifted(gcj02_heat_app, tile_server, visit,
                                                      city, incidents):  # fmt: skip
    token = bearer(city.engine, "admin")["Authorization"].split()[1]
    page = visit.page
    page.add_init_script(f"sessionStorage.setItem('wangge.token', '{token}')")
    page.goto(f"{gcj02_heat_app}/map/incidents")
    _ready(page)
    lon, lat = incidents["placed"][0][:2]
    gx, gy = (float(v) for v in wgs84_to_gcj02(lon, lat))
    shown = page.evaluate("([x, y]) => window.wanggeHeat.latLng(x, y)", [lon, lat])
    assert shown["lng"] == pytest.approx(gx, abs=1e-7) and shown["lat"] == pytest.approx(
        gy, abs=1e-7
    )
    drawn = page.evaluate("() => window.wanggeHeat.points.map(p => [p[1], p[0]])")
    assert min(abs(x - gx) + abs(y - gy) for x, y in drawn) < 1e-9  # drawn where GCJ-02 has it
    assert any(path.startswith("/basemap/") for path in tile_server[1])
    assert visit.errors == []
