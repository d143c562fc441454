"""The street-office web map page, built with folium and served offline.

The page holds no data: :file:`static/wangge-map.js` loads communities, grids, buildings and
facilities from the API by viewport. This module only sets up the Leaflet map (no basemap,
zh-CN text), points every asset at the app's own static files and passes the script its
configuration.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from jinja2 import Template
from markupsafe import escape

from map_ui.assets import OWN_CSS, OWN_JS, VENDORED_CSS, VENDORED_JS, localise, remote_links

#: Where the map opens when there is nothing to fit to (Wuchang district, Wuhan).
DEFAULT_CENTER = (30.55, 114.32)
#: Zoom from which buildings and facilities are loaded.
DETAIL_ZOOM = 15

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class MapConfig:
    """What the page's script needs: where the API is and what to show.

    Attributes
    ----------
    api_url : str
        Root of the API (``""`` for the app that serves the page).
    community : str or None
        Code of the community the page shows (its layers are filtered to it), or ``None``
        for every community.
    detail_zoom : int
        Zoom from which buildings and facilities are loaded.
    page_limit : int
        Features asked for per request.
    attribution : str
        Credit for the data drawn (e.g. "© OpenStreetMap contributors" when OSM data are
        shown), added to the map's attribution line; empty for none.
    """

    api_url: str = ""
    community: str | None = None
    detail_zoom: int = DETAIL_ZOOM
    page_limit: int = 2000
    attribution: str = ""


class _Init(MacroElement):
    """Calls ``WanggeMap.init`` on the folium map with the page's configuration."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.wangge = WanggeMap.init({{ this._parent.get_name() }}, {{ this.config|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, config: MapConfig) -> None:
        super().__init__()
        self._name = "WanggeInit"
        self.config = asdict(config)


def build_map(
    title: str, bounds: BBox | None, config: MapConfig, static_url: str = "/static/map"
) -> folium.Map:
    """The folium map of a page: no basemap, vendored assets, data loaded by the script.

    Parameters
    ----------
    title : str
        Page title (zh-CN).
    bounds : tuple of float or None
        ``(minx, miny, maxx, maxy)`` in EPSG:4326 to fit the view to; ``None`` opens at
        :data:`DEFAULT_CENTER`.
    config : MapConfig
        Passed to the page's script.
    static_url : str
        URL path where ``map_ui/static`` is served.
    """
    fmap = folium.Map(
        location=DEFAULT_CENTER, zoom_start=13, tiles=None, control_scale=False,
    )  # fmt: skip
    fmap.default_js = localise(folium.Map.default_js, VENDORED_JS, static_url)
    fmap.default_css = localise(folium.Map.default_css, VENDORED_CSS, static_url)
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.title = str(escape(title))  # the figure template does not escape
    root.header.add_child(Element('<meta http-equiv="content-language" content="zh-CN">'))
    # No favicon request: the app has none, and a 404 is a console error.
    root.header.add_child(Element('<link rel="icon" href="data:,">'))
    root.header.add_child(CssLink(f"{static_url}/{OWN_CSS[1]}"), name=OWN_CSS[0])
    root.header.add_child(JavascriptLink(f"{static_url}/{OWN_JS[1]}"), name=OWN_JS[0])
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    fmap.add_child(_Init(config))
    return fmap


def render_page(
    title: str, bounds: BBox | None, config: MapConfig, static_url: str = "/static/map"
) -> str:
    """The page's HTML.

    Raises
    ------
    RuntimeError
        If the page would load anything from another host.
    """
    html = build_map(title, bounds, config, static_url).get_root().render()
    html = html.replace("<html>", '<html lang="zh-CN">', 1)
    remote = remote_links(html)
    if remote:
        raise RuntimeError(f"the map page links to other hosts: {remote}")
    return html
