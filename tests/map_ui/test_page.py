"""The map page as built by folium: offline assets, plugins, escaped title, configuration."""

import json
import re

import pytest

from api.settings import MapSettings
from gis.chinacoords import wgs84_to_gcj02
from map_ui.assets import VENDORED_CSS, VENDORED_JS, localise, remote_links, static_dir
from map_ui.page import MapConfig, render_page

BOUNDS = (114.29, 30.59, 114.31, 30.61)
INIT = re.compile(r"WanggeMap\.init\(\w+, (\{.*?\}),\s*\{clusters: (\w+), fit: (.*?)\}\);", re.S)


def _init(html):
    """The configuration, cluster group's name and fitted bounds passed to the script."""
    found = INIT.search(html)
    assert found is not None, "the page does not call WanggeMap.init"
    return json.loads(found.group(1)), found.group(2), json.loads(found.group(3))


def test_page_links_no_other_host():
    html = render_page("地图", BOUNDS, MapConfig())
    code = [line for line in html.splitlines() if not line.strip().startswith("//")]
    assert [line for line in code if re.search(r"https?://", line)] == []


def test_every_linked_asset_is_vendored():
    html = render_page("地图", BOUNDS, MapConfig())
    linked = re.findall(r'(?:src|href)="/static/map/([^"]+)"', html)
    assert linked and all((static_dir() / path).is_file() for path in linked)


@pytest.mark.parametrize(
    "asset",
    ["leaflet.markercluster.js", "Control.FullScreen.js", "leaflet-measure.cn.js",
     "Control.MiniMap.min.js", "Leaflet.VectorGrid.bundled.min.js", "MarkerCluster.Default.css",
     "leaflet-measure.css", "Control.MiniMap.min.css", "Control.FullScreen.css"],
)  # fmt: skip
def test_plugin_assets_are_linked(asset):
    html = render_page("地图", BOUNDS, MapConfig())
    assert re.search(rf'(?:src|href)="/static/map/vendor/[^"]+/{re.escape(asset)}"', html)


def test_every_vendored_file_is_recorded_with_its_licence():
    vendor = static_dir() / "vendor"
    readme = (vendor / "README.md").read_text()
    for path in {p for p in [*VENDORED_JS.values(), *VENDORED_CSS.values()] if p}:
        folder = path.split("/")[1]
        assert f"`{folder}/`" in readme and (vendor / folder / "LICENSE").is_file()


def test_images_the_plugin_styles_use_are_vendored():
    vendor = static_dir() / "vendor"
    for css in vendor.glob("*/*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text()):
            if not url.startswith(("data:", "#")):
                assert (css.parent / url).is_file(), f"{css.name} uses {url}"


def test_controls_speak_chinese():
    html = render_page("地图", BOUNDS, MapConfig())
    assert '"title": "\\u5168\\u5c4f"' in html  # 全屏
    assert "leaflet-measure.cn.js" in html


def test_title_is_escaped():
    html = render_page("<script>x</script>社区", BOUNDS, MapConfig())
    assert "<title>&lt;script&gt;x&lt;/script&gt;社区</title>" in html


def test_configuration_reaches_the_script():
    html = render_page("地图", BOUNDS, MapConfig(community="420106001001"))
    config, _, fit = _init(html)
    assert config["community"] == "420106001001" and config["detail_zoom"] == 15
    assert config["facility_zoom"] == 17
    assert fit == [[30.59, 114.29], [30.61, 114.31]]


def test_the_cluster_group_reaches_the_script():
    html = render_page("地图", BOUNDS, MapConfig())
    _, name, _ = _init(html)
    assert f"var {name} = L.markerClusterGroup(" in html


def test_gcj02_basemap_fits_the_shifted_bounds():
    html = render_page("地图", BOUNDS, MapConfig(coords="gcj02"))
    _, _, fit = _init(html)
    lon, lat = wgs84_to_gcj02([BOUNDS[0], BOUNDS[2]], [BOUNDS[1], BOUNDS[3]])
    assert fit[0] + fit[1] == pytest.approx([lat[0], lon[0], lat[1], lon[1]], abs=1e-9)
    assert fit[0][1] - BOUNDS[0] > 0.003  # the shift in Wuhan is hundreds of metres


def test_unknown_folium_asset_is_refused():
    with pytest.raises(KeyError):
        localise([("new_cdn_lib", "https://cdn.example.org/x.js")], VENDORED_JS, "/static/map")


def test_data_attribution_reaches_the_script():
    html = render_page("地图", BOUNDS, MapConfig(attribution="© OpenStreetMap contributors"))
    config, _, _ = _init(html)
    assert config["attribution"] == "© OpenStreetMap contributors"


def test_tianditu_basemap_reaches_the_script_without_linking_another_host():
    layers = MapSettings(basemap="tianditu", tianditu_key="k").tile_layers()
    html = render_page("地图", BOUNDS, MapConfig(basemap=layers))
    config, _, _ = _init(html)
    assert [b["url"].split("/")[3] for b in config["basemap"]] == ["vec_w", "cva_w"]
    assert remote_links(html) == []
