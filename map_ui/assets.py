"""The vendored JS/CSS of the web map, standing in for folium's CDN links.

Street offices use wangge on intranets with no internet, so every asset a page loads is
served by the app from ``map_ui/static`` (mounted at ``/static/map``). Leaflet 1.9.4 comes
from its npm package (``npm pack leaflet@1.9.4``, ``dist/``). Folium's other defaults
(jQuery, Bootstrap, Font Awesome, awesome-markers) are not needed by these pages and are
dropped rather than vendored.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

#: Folium's default asset names → file under ``static/`` (``None``: not loaded).
VENDORED_JS: dict[str, str | None] = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "jquery": None,
    "bootstrap": None,
    "awesome_markers": None,
}
VENDORED_CSS: dict[str, str | None] = {
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers_font_css": None,
    "awesome_markers_css": None,
    "awesome_rotate_css": None,
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


def remote_links(html: str) -> list[str]:
    """``src``/``href`` attributes of ``html`` that point to another host."""
    return [m.group(0) for m in _REMOTE.finditer(html)]
