"""The street-office web map page, built with folium and served offline.

The page holds no data: :file:`static/wangge-map.js` loads streets, communities and grids
as GeoJSON by viewport, buildings and facilities as vector tiles, and facility counts
clustered by cell below the detail zoom. This module sets up the Leaflet map (zh-CN text,
a basemap only when one is configured), adds folium's Fullscreen, MeasureControl and
MarkerCluster plugins, points every asset at the app's own static files and passes the
script its configuration.

folium's ``MiniMap`` and ``VectorGridProtobuf`` are not used as elements: the first wants a
raster tile layer (there is none without a basemap; the overview draws the communities'
vector tiles instead) and the second takes its styles as JavaScript text. The script
builds both; :class:`_PluginAssets` only brings their vendored files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import Fullscreen, MarkerCluster, MeasureControl
from jinja2 import Template
from markupsafe import escape

from gis.chinacoords import wgs84_to_gcj02
from map_ui.assets import OWN_CSS, OWN_JS, remote_links, vendor

#: Where the map opens when there is nothing to fit to (Wuchang district, Wuhan).
DEFAULT_CENTER = (30.55, 114.32)
#: Zoom from which grids are drawn: a district's ~1,000 grids are megabytes of GeoJSON.
GRID_ZOOM = 14
#: Zoom from which buildings are drawn (vector tiles).
DETAIL_ZOOM = 15
#: Zoom from which every facility is drawn (vector tiles); below it, counts by cell.
#: A district holds ~2,000 facilities a km²: at zoom 15 a view would draw ~50,000.
FACILITY_ZOOM = 17

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
    grid_zoom : int
        Zoom from which grids are drawn.
    detail_zoom : int
        Zoom from which buildings are drawn.
    facility_zoom : int
        Zoom from which every facility is drawn; below it, facility counts by cell.
    page_limit : int
        Features asked for per request.
    attribution : str
        Credit for the data drawn (e.g. "© OpenStreetMap contributors" when OSM data are
        shown), added to the map's attribution line; empty for none.
    street : str or None
        Code of the street the page shows (its communities), or ``None``.
    communities : list of str
        On a street page, the codes of the street's communities (their layers are asked
        for community by community); empty elsewhere.
    basemap : list of dict
        Tile layers drawn under the data, bottom first: ``{url, subdomains, attribution,
        max_zoom}`` (see :meth:`api.settings.MapSettings.tile_layers`); empty for none.
    coords : {"wgs84", "gcj02"}
        The basemap's coordinates: with ``gcj02`` the data are shifted WGS84 → GCJ-02 (the
        script shifts GeoJSON, the tile server shifts vector tiles).
    directory : list of dict
        Streets with their communities, ``{code, name, communities: [{code, name}]}``,
        listed as links on the start page; empty elsewhere.
    """

    api_url: str = ""
    community: str | None = None
    grid_zoom: int = GRID_ZOOM
    detail_zoom: int = DETAIL_ZOOM
    facility_zoom: int = FACILITY_ZOOM
    page_limit: int = 2000
    attribution: str = ""
    street: str | None = None
    communities: list[str] = field(default_factory=list)
    basemap: list[dict] = field(default_factory=list)
    coords: str = "wgs84"
    directory: list[dict] = field(default_factory=list)


class _PluginAssets(JSCSSMixin, MacroElement):
    """The vendored Leaflet.VectorGrid and Leaflet-MiniMap, which the script uses."""

    default_js = [
        ("vectorGrid", "https://unpkg.com/leaflet.vectorgrid@1.3.0/dist/Leaflet.VectorGrid.bundled.min.js"),
        ("Control_MiniMap_js", "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.js"),
    ]  # fmt: skip
    default_css = [
        ("Control_MiniMap_css", "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.css"),
    ]  # fmt: skip
    _template = Template("")


class _Init(MacroElement):
    """Calls ``WanggeMap.init`` on the folium map with the page's configuration."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.wangge = WanggeMap.init({{ this._parent.get_name() }}, {{ this.config|tojson }},
            {clusters: {{ this.clusters.get_name() }}, fit: {{ this.fit|tojson }}});
        {% endmacro %}
        """
    )

    def __init__(
        self, config: MapConfig, clusters: MarkerCluster, fit: list[list[float]] | None
    ) -> None:
        super().__init__()
        self._name = "WanggeInit"
        self.config = asdict(config)
        self.clusters = clusters
        self.fit = fit


def _plugins(fmap: folium.Map, static_url: str) -> MarkerCluster:
    """Fullscreen, measuring (zh-CN build), the clusters' group and the script's plugins."""
    fmap.add_child(vendor(Fullscreen(
        position="topleft", title="全屏", title_cancel="退出全屏", force_separate_button=True,
    ), static_url))  # fmt: skip
    fmap.add_child(vendor(MeasureControl(
        position="topleft", primary_length_unit="meters", secondary_length_unit="kilometers",
        primary_area_unit="sqmeters", secondary_area_unit="hectares", active_color="#0050ff",
        completed_color="#0050ff",
    ), static_url))  # fmt: skip
    clusters = MarkerCluster(
        name="部件设施聚合", control=False, show_coverage_on_hover=False,
        spiderfy_on_max_zoom=False, max_cluster_radius=60,
    )  # fmt: skip
    fmap.add_child(vendor(clusters, static_url))
    fmap.add_child(vendor(_PluginAssets(), static_url))
    return clusters


def shifted_bounds(bounds: BBox, coords: str) -> BBox:
    """``bounds`` in the basemap's coordinates: moved to GCJ-02 when ``coords`` says so."""
    if coords != "gcj02":
        return bounds
    lon, lat = wgs84_to_gcj02([bounds[0], bounds[2]], [bounds[1], bounds[3]])
    return float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])


def build_map(
    title: str, bounds: BBox | None, config: MapConfig, static_url: str = "/static/map"
) -> folium.Map:
    """The folium map of a page: vendored assets and plugins, data loaded by the script.

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
        maxZoom=20,
    )  # fmt: skip
    vendor(fmap, static_url)
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.title = str(escape(title))  # the figure template does not escape
    root.header.add_child(Element('<meta http-equiv="content-language" content="zh-CN">'))
    # No favicon request: the app has none, and a 404 is a console error.
    root.header.add_child(Element('<link rel="icon" href="data:,">'))
    root.header.add_child(CssLink(f"{static_url}/{OWN_CSS[1]}"), name=OWN_CSS[0])
    root.header.add_child(JavascriptLink(f"{static_url}/{OWN_JS[1]}"), name=OWN_JS[0])
    fit = None
    if bounds is not None:
        minx, miny, maxx, maxy = shifted_bounds(bounds, config.coords)
        fit = [[miny, minx], [maxy, maxx]]
    clusters = _plugins(fmap, static_url)
    fmap.add_child(_Init(config, clusters, fit))
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
