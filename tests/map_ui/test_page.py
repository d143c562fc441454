"""The map page as built by folium: offline assets, escaped title, configuration."""

import json
import re

import pytest

from map_ui.assets import VENDORED_JS, localise, static_dir
from map_ui.page import MapConfig, render_page

BOUNDS = (114.29, 30.59, 114.31, 30.61)


def test_page_links_no_other_host():
    html = render_page("地图", BOUNDS, MapConfig())
    assert re.findall(r"https?://", html) == []


def test_every_linked_asset_is_vendored():
    html = render_page("地图", BOUNDS, MapConfig())
    linked = re.findall(r'(?:src|href)="/static/map/([^"]+)"', html)
    assert linked and all((static_dir() / path).is_file() for path in linked)


def test_title_is_escaped():
    html = render_page("<script>x</script>社区", BOUNDS, MapConfig())
    assert "<title>&lt;script&gt;x&lt;/script&gt;社区</title>" in html


def test_configuration_reaches_the_script():
    html = render_page("地图", BOUNDS, MapConfig(community="420106001001"))
    config = json.loads(re.search(r"WanggeMap\.init\(\w+, (\{.*?\})\);", html).group(1))
    assert config["community"] == "420106001001" and config["detail_zoom"] == 15


def test_unknown_folium_asset_is_refused():
    with pytest.raises(KeyError):
        localise([("new_cdn_lib", "https://cdn.example.org/x.js")], VENDORED_JS, "/static/map")


def test_data_attribution_reaches_the_script():
    html = render_page("地图", BOUNDS, MapConfig(attribution="© OpenStreetMap contributors"))
    config = json.loads(re.search(r"WanggeMap\.init\(\w+, (\{.*?\})\);", html).group(1))
    assert config["attribution"] == "© OpenStreetMap contributors"
