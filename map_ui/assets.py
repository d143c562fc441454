"""The vendored JS/CSS of the web map, standing in for folium's CDN links.

Street offices use wangge on intranets with no internet, so every asset a page loads is
served by the app from ``map_ui/static`` (mounted at ``/static/map``). Leaflet 1.9.4 and
the plugins come from their npm packages (``npm pack``), listed with versions and licences
in :file:`static/vendor/README.md`. Folium's other defaults (jQuery, Bootstrap, Font
Awesome, awesome-markers) are not needed by these pages and are dropped rather than
vendored. Every folium element a page adds goes through :func:`vendor`, which refuses an
asset it does not know.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

#: Folium's default asset names → file under ``static/`` (``None``: not loaded).
VENDORED_JS: dict[str, str | None] = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "jquery": None,
    "bootstrap": None,
    "awesome_markers": None,
    # folium.plugins.MarkerCluster, Fullscreen, MeasureControl, MiniMap, VectorGridProtobuf
    "markerclusterjs": "vendor/markercluster/leaflet.markercluster.js",
    "Control.Fullscreen.js": "vendor/fullscreen/Control.FullScreen.js",
    "leaflet_measure_js": "vendor/measure/leaflet-measure.cn.js",
    "Control_MiniMap_js": "vendor/minimap/Control.MiniMap.min.js",
    "vectorGrid": "vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js",
}
VENDORED_CSS: dict[str, str | None] = {
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers_font_css": None,
    "awesome_markers_css": None,
    "awesome_rotate_css": None,
    "markerclustercss": "vendor/markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "vendor/markercluster/MarkerCluster.Default.css",
    "Control.FullScreen.css": "vendor/fullscreen/Control.FullScreen.css",
    "leaflet_measure_css": "vendor/measure/leaflet-measure.css",
    "Control_MiniMap_css": "vendor/minimap/Control.MiniMap.min.css",
}
#: The map's own script and style.
OWN_JS = ("wangge_map", "wangge-map.js")
OWN_CSS = ("wangge_map_css", "wangge-map.css")

_REMOTE = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def static_dir() -> Path:
    """The folder served at ``/static/map``."""
    return Path(str(resources.files("map_ui") / "static"))


def localise(
    defaults: list[tuple[str, str]], vendored: dict[str, str | None], static_url: str
) -> list[tuple[str, str]]:
    """Replace folium's CDN links by the vendored copies under ``static_url``.

    Raises
    ------
    KeyError
        For an asset folium added that is neither vendored nor known to be unneeded, so
        that a folium upgrade cannot slip a CDN link into the page.
    """
    local = []
    for name, _url in defaults:
        path = vendored[name]
        if path is not None:
            local.append((name, f"{static_url}/{path}"))
    return local


def vendor(element: Any, static_url: str) -> Any:
    """Point a folium element's ``default_js``/``default_css`` at the vendored copies.

    Raises
    ------
    KeyError
        For an asset that is neither vendored nor known to be unneeded (see :func:`localise`).
    """
    element.default_js = localise(type(element).default_js, VENDORED_JS, static_url)
    element.default_css = localise(type(element).default_css, VENDORED_CSS, static_url)
    return element


def remote_links(html: str) -> list[str]:
    """``src``/``href`` attributes of ``html`` that point to another host."""
    return [m.group(0) for m in _REMOTE.finditer(html)]
