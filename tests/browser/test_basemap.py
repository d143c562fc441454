"""A configured basemap in headless Chromium: an XYZ server on loopback, and GCJ-02 shifting.

The tile server is a fixture (a PNG for every ``/{z}/{x}/{y}.png``) on another loopback
port, standing in for an intranet tile server; nothing leaves the machine.
"""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from api.settings import DatabaseSettings, MapSettings, Settings
from gis.chinacoords import wgs84_to_gcj02
from map_ui.page import FACILITY_ZOOM
from tests.browser.test_map import _open
from tests.live import live_app

pytestmark = pytest.mark.browser

TILE_PATH = re.compile(r"^/basemap/(\d+)/(\d+)/(\d+)\.png$")
#: Where a feature of a vector-tile layer is drawn on screen (the centre of its element).
FEATURE_CENTRE = """([layer, id]) => {
  const grid = wangge[layer];
  for (const key in grid._vectorTiles) {
    const f = grid._vectorTiles[key]._features[id];
    if (!f) continue;
    const r = f.feature._path.getBoundingClientRect();
    if (r.width > 0) return [r.left + r.width / 2, r.top + r.height / 2];
  }
  return null;
}"""


class _Tiles(BaseHTTPRequestHandler):
    png = b""
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        self.seen.append(self.path)
        if not TILE_PATH.match(self.path):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.png)))
        self.end_headers()
        self.wfile.write(self.png)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def tile_server() -> Iterator[tuple[str, list[str]]]:
    """An XYZ tile server on loopback: its root URL and the paths asked for."""
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 230, 200)).save(buffer, format="PNG")
    handler = type("Tiles", (_Tiles,), {"png": buffer.getvalue(), "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler.seen
    server.shutdown()
    thread.join(timeout=10)


def _served(city, database_url, tmp_path_factory, tiles: str, crs: str) -> Iterator[str]:
    settings = Settings(
        db=DatabaseSettings(database_url=database_url, data_dir=tmp_path_factory.mktemp("data")),
        map=MapSettings(
            basemap="xyz", basemap_url=f"{tiles}/basemap/{{z}}/{{x}}/{{y}}.png",
            basemap_attribution="区测绘院底图", basemap_crs=crs,
        ),
    )  # fmt: skip
    with live_app(settings) as url:
        yield url


@pytest.fixture(scope="module")
def wgs84_app(city, database_url, tmp_path_factory, tile_server) -> Iterator[str]:
    """The app with the loopback XYZ basemap, in WGS84."""
    yield from _served(city, database_url, tmp_path_factory, tile_server[0], "wgs84")


@pytest.fixture(scope="module")
def gcj02_app(city, database_url, tmp_path_factory, tile_server) -> Iterator[str]:
    """The app with the loopback XYZ basemap declared GCJ-02."""
    yield from _served(city, database_url, tmp_path_factory, tile_server[0], "gcj02")


def _pixel(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web-mercator pixel coordinates of a point at ``zoom`` (256-pixel tiles)."""
    scale = 256 * 2**zoom
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return (lon + 180) / 360 * scale, (1 - y / math.pi) / 2 * scale


def test_basemap_tiles_come_from_the_configured_server(wgs84_app, tile_server, visit):
    page = _open(visit, f"{wgs84_app}/map")
    asked = [u for u in visit.requests if u.startswith(f"{tile_server[0]}/basemap/")]
    zoom = page.evaluate("() => wangge.map.getZoom()")
    assert asked and all(TILE_PATH.match(urlsplit(u).path) for u in asked)
    assert any(TILE_PATH.match(p).group(1) == str(zoom) for p in tile_server[1])
    hosts = {urlsplit(u).netloc for u in visit.requests if not u.startswith("data:")}
    assert hosts == {urlsplit(wgs84_app).netloc, urlsplit(tile_server[0]).netloc}


def test_basemap_is_drawn_with_its_attribution(wgs84_app, tile_server, visit):
    page = _open(visit, f"{wgs84_app}/map")
    page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile-loaded').length > 0")
    assert "区测绘院底图" in page.locator(".leaflet-control-attribution").inner_text()
    assert visit.errors == []


def test_gcj02_basemap_shifts_grids_by_the_gcj02_formula(gcj02_app, visit):
    page = _open(visit, f"{gcj02_app}/map")
    grid = httpx.get(f"{gcj02_app}/collections/grids/items?limit=1").json()["features"][0]
    lon, lat = grid["geometry"]["coordinates"][0][0][0]
    drawn = page.evaluate(
        "(code) => { const l = wangge.layers.grids.getLayers()"
        ".find(g => g.feature.properties.code === code);"
        " const p = l.getLatLngs()[0][0][0]; return [p.lng, p.lat]; }",
        grid["properties"]["code"],
    )
    expected = wgs84_to_gcj02(lon, lat)
    assert drawn == pytest.approx([float(expected[0]), float(expected[1])], abs=1e-9)
    assert abs(drawn[0] - lon) > 0.003  # hundreds of metres in Wuhan


def test_gcj02_basemap_shifts_vector_tiles_by_the_offset_on_screen(
    wgs84_app, gcj02_app, browser, city
):
    facility = httpx.get(f"{wgs84_app}/collections/facilities/items?limit=1").json()["features"][0]
    lon, lat = facility["geometry"]["coordinates"]
    zoom = FACILITY_ZOOM
    where = []
    for app in (wgs84_app, gcj02_app):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"{app}/map")
        page.wait_for_function("() => window.wangge && wangge.layers.grids.getLayers().length > 0")
        page.evaluate(f"() => wangge.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
        page.wait_for_function(f"() => ({FEATURE_CENTRE})(['facilities', {facility['id']}])")
        where.append(page.evaluate(FEATURE_CENTRE, ["facilities", facility["id"]]))
        context.close()
    gcj = wgs84_to_gcj02(lon, lat)
    x0, y0 = _pixel(lon, lat, zoom)
    x1, y1 = _pixel(float(gcj[0]), float(gcj[1]), zoom)
    moved = (where[1][0] - where[0][0], where[1][1] - where[0][1])
    assert abs(x1 - x0) > 100  # the offset is large on screen at this zoom
    assert moved == pytest.approx((x1 - x0, y1 - y0), abs=1.5)
