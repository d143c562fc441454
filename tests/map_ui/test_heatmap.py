"""The heat-map page's HTML: local assets only, config for its script, styles for every class."""

from __future__ import annotations

import json
import re

from gis.hotspots.emerging import EMERGING_CATEGORIES
from gis.hotspots.gistar import HOTSPOT_CLASSES
from map_ui.assets import remote_links, static_dir
from map_ui.heatmap import HeatmapConfig, render_heatmap


def _config(html: str) -> dict:
    text = re.search(r'id="wangge-heat-config">(.*?)</script>', html, re.S).group(1)
    return json.loads(text)


def test_page_loads_only_local_assets_that_exist():
    html = render_heatmap("事件热力图", HeatmapConfig(bounds=[118.7, 32.0, 118.8, 32.1]), "/s")
    assert remote_links(html) == []
    for path in re.findall(r'(?:src|href)="/s/([^"]+)"', html):
        assert (static_dir() / path).is_file(), path


def test_config_carries_bounds_resolutions_and_every_class_style():
    config = _config(render_heatmap("t", HeatmapConfig(bounds=[1.0, 2.0, 3.0, 4.0]), "/s"))
    assert config["bounds"] == [1.0, 2.0, 3.0, 4.0]
    assert set(config["hotspot_colours"]) == set(HOTSPOT_CLASSES) == set(config["hotspot_names"])
    assert set(config["emerging"]) == set(EMERGING_CATEGORIES)
    resolutions = [config["resolutions"][str(z)] for z in range(8, 20)]
    assert resolutions == sorted(resolutions) and 5 <= resolutions[0] and resolutions[-1] == 12


def test_text_in_the_config_cannot_close_the_script():
    html = render_heatmap("t", HeatmapConfig(attribution="</script><b>x"), "/s")
    assert "</script><b>" not in html
    assert _config(html)["attribution"] == "</script><b>x"
