"""The incident heat-map page (事件热力图): density, H3 counts, Gi* and emerging hotspots.

One HTML page from a Jinja template, with the vendored Leaflet and leaflet.heat; its script
(``static/wangge-heat.js``) logs in through the app's own ``/login`` flow (the token kept for
the browser session) and reads everything from the API by filter: incident points for the
density layer and its week-by-week animation, ``/incidents/h3`` for hexagon counts,
``/incidents/hotspots`` and ``/incidents/emerging`` for the statistics. Nothing is baked
into the page, so it stays small at district scale.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from gis.hotspots.cells import resolution_for_zoom
from gis.hotspots.emerging import EMERGING_CATEGORIES
from gis.hotspots.gistar import HOTSPOT_CLASSES
from map_ui.jinja import environment

#: Finest H3 resolution the statistics endpoints serve (edges of about 10 m).
MAX_RESOLUTION = 12
#: Diverging colours of the Gi* classes, hottest first (ColorBrewer RdBu, 7 classes).
HOTSPOT_COLOURS = dict(
    zip(HOTSPOT_CLASSES, ("#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf",
                          "#2166ac"), strict=True)
)  # fmt: skip
#: Chinese names of the Gi* classes, for the legend.
HOTSPOT_NAMES = {
    "hot 99%": "热点 99% 置信", "hot 95%": "热点 95% 置信", "hot 90%": "热点 90% 置信",
    "not significant": "不显著", "cold 90%": "冷点 90% 置信", "cold 95%": "冷点 95% 置信",
    "cold 99%": "冷点 99% 置信",
}  # fmt: skip
#: Emerging-hotspot categories: Chinese name and colour.
EMERGING_STYLE = {
    "new": ("新增热点", "#e31a1c"), "intensifying": ("加剧热点", "#fd8d3c"),
    "persistent": ("持续热点", "#fecc5c"), "diminishing": ("减弱热点", "#74a9cf"),
    "sporadic": ("零星热点", "#c2a5cf"), "not a hotspot": ("非热点", "#f0f0f0"),
}  # fmt: skip


@dataclass(frozen=True)
class HeatmapConfig:
    """What the heat-map script needs.

    Attributes
    ----------
    bounds : list of float or None
        ``[minx, miny, maxx, maxy]`` in EPSG:4326 degrees to fit the view to.
    api_url : str
        Root of the API (``""`` for the app that serves the page).
    resolutions : dict
        Web-map zoom → H3 resolution of the hexagon layers (about 12 px per edge).
    hotspot_colours, hotspot_names, emerging : dict
        Legend styles, from the statistics' own class lists.
    basemap : list of dict
        Tile layers under the data (``{url, subdomains, attribution, max_zoom}``); none by
        default.
    coords : {"wgs84", "gcj02"}
        The basemap's coordinates; with ``gcj02`` the script shifts every point and cell
        WGS84 → GCJ-02 (with the street map's formula) to lie on it.
    attribution : str
        Credit for the data drawn.
    """

    bounds: list[float] | None = None
    api_url: str = ""
    resolutions: dict[int, int] = field(
        default_factory=lambda: {
            z: min(MAX_RESOLUTION, resolution_for_zoom(z)) for z in range(8, 20)
        }
    )
    hotspot_colours: dict[str, str] = field(default_factory=lambda: dict(HOTSPOT_COLOURS))
    hotspot_names: dict[str, str] = field(default_factory=lambda: dict(HOTSPOT_NAMES))
    emerging: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(v) for k, v in EMERGING_STYLE.items()}
    )
    basemap: list[dict] = field(default_factory=list)
    coords: str = "wgs84"
    attribution: str = ""


def render_heatmap(title: str, config: HeatmapConfig, static_url: str) -> str:
    """The page's HTML: the template with the config as JSON for the script."""
    assert set(EMERGING_STYLE) == set(EMERGING_CATEGORIES), "a category without a style"
    payload = json.dumps(asdict(config), ensure_ascii=False).replace("</", "<\\/")
    return (
        environment()
        .get_template("heatmap.html")
        .render(title=title, static=static_url, config=payload)
    )
