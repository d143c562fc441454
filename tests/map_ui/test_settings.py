"""The web map's basemap settings (``MapSettings``): kinds, checks, tile layers."""

import pytest
from pydantic import ValidationError

from api.settings import MapSettings, Settings


def test_no_basemap_by_default(monkeypatch):
    for name in ("WANGGE_BASEMAP", "WANGGE_BASEMAP_URL", "WANGGE_TIANDITU_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().map.basemap == "none" and Settings().map.tile_layers() == []


def test_unknown_basemap_kind_is_refused_with_the_kinds_known():
    with pytest.raises(
        ValidationError, match="'google' is not a basemap kind: use one of none, tianditu, xyz"
    ):
        MapSettings(basemap="google")


def test_basemap_kind_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("WANGGE_BASEMAP", "XYZ")
    monkeypatch.setenv("WANGGE_BASEMAP_URL", "http://tiles.gov.local/{z}/{x}/{y}.png")
    monkeypatch.setenv("WANGGE_BASEMAP_CRS", "GCJ02")
    settings = Settings().map
    assert (settings.basemap, settings.basemap_crs) == ("xyz", "gcj02")


def test_xyz_needs_a_url_template():
    with pytest.raises(ValidationError, match=r"missing \{x\} \{y\}"):
        MapSettings(basemap="xyz", basemap_url="http://tiles.gov.local/{z}.png")


def test_xyz_with_subdomain_placeholder_needs_subdomains():
    with pytest.raises(ValidationError, match="WANGGE_BASEMAP_SUBDOMAINS"):
        MapSettings(basemap="xyz", basemap_url="http://{s}.tiles.local/{z}/{x}/{y}.png")


def test_tianditu_needs_a_key():
    with pytest.raises(ValidationError, match="WANGGE_TIANDITU_KEY"):
        MapSettings(basemap="tianditu")


def test_tianditu_is_not_gcj02():
    with pytest.raises(ValidationError, match="must be wgs84"):
        MapSettings(basemap="tianditu", tianditu_key="k", basemap_crs="gcj02")


def test_unknown_crs_is_refused():
    with pytest.raises(ValidationError, match="basemap_crs"):
        MapSettings(basemap_crs="bd09")


def test_tianditu_draws_vector_map_and_labels_in_web_mercator_with_the_key():
    layers = MapSettings(basemap="tianditu", tianditu_key="abc123").tile_layers()
    assert [layer["url"].split(".tianditu.gov.cn/")[1].split("/")[0] for layer in layers] == [
        "vec_w", "cva_w",
    ]  # fmt: skip
    assert all(
        "TILEMATRIXSET=w" in layer["url"] and layer["url"].endswith("&tk=abc123")
        for layer in layers
    )
    assert all(layer["subdomains"] == "01234567" for layer in layers)
    assert "天地图" in layers[0]["attribution"]


def test_xyz_layer_carries_url_attribution_and_zoom():
    settings = MapSettings(
        basemap="xyz", basemap_url="http://tiles.gov.local/{z}/{x}/{y}.png",
        basemap_attribution="区测绘院", basemap_max_zoom=17,
    )  # fmt: skip
    assert settings.tile_layers() == [
        {"url": "http://tiles.gov.local/{z}/{x}/{y}.png", "subdomains": "",
         "attribution": "区测绘院", "max_zoom": 17},
    ]  # fmt: skip
