"""What a sheet shows, handed over by the caller (the API or files): no database here.

Layers are GeoDataFrames in any CRS (normally EPSG:4326); the sheet reprojects them to its
own local metric CRS. Missing optional layers are ``None`` or empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

#: Credit OpenStreetMap data need on every map that shows them (ODbL).
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"


@dataclass
class GridSheet:
    """Everything one grid's diagram shows.

    Attributes
    ----------
    code : str
        The 15-digit grid code.
    seq : int
        The grid's number within its community (第N网格).
    street_name, community_name : str
        Names for the title.
    geometry : shapely geometry
        The grid, in EPSG:4326.
    households, buildings : int
        The grid's statistics; ``households_estimated`` says whether some were estimated.
    area_m2 : float
        Area in square metres (printed in hectares).
    population : int or None
        Residents, when known.
    neighbours : GeoDataFrame
        Other grids in force near it: ``code``, ``seq``, geometry.
    community : shapely geometry or None
        The boundary of the grid's own community (no other administrative boundary is drawn).
    buildings_layer : GeoDataFrame
        ``name`` (楼号), ``households``, ``inside`` (bool: in this grid), footprint.
    compounds : GeoDataFrame or None
        ``name``, outline.
    facilities : GeoDataFrame or None
        ``class_code``, ``class_name``, ``name``, point; only those inside the grid are drawn.
    roads : GeoDataFrame or None
        ``name``, ``highway`` (OSM class, optional), line.
    staff : list of dict
        ``name``, ``post`` (A/B), ``duties``, ``phone``, optional ``photo`` (a file path).
    """

    code: str
    seq: int
    street_name: str
    community_name: str
    geometry: BaseGeometry
    households: int
    buildings: int
    area_m2: float
    buildings_layer: gpd.GeoDataFrame
    neighbours: gpd.GeoDataFrame | None = None
    community: BaseGeometry | None = None
    compounds: gpd.GeoDataFrame | None = None
    facilities: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    staff: list[dict] = field(default_factory=list)
    households_estimated: bool = False
    population: int | None = None
    community_code: str = ""

    @property
    def title(self) -> str:
        """``<street><community>第N网格示意图``."""
        return f"{self.street_name}{self.community_name}第{self.seq}网格示意图"


@dataclass
class SheetOptions:
    """How a sheet is printed.

    Attributes
    ----------
    paper : {"A4", "A3"}
    orientation : {"auto", "portrait", "landscape"}
        ``auto`` picks the one that prints the grid at the larger scale.
    public_url : str
        Base URL of the web app, for the QR code (``<url>/map/communities/<code>``).
    mapping_unit : str
        Who made the map (制图单位); empty: the street office.
    data_source : str
        The data source line of the footer.
    attribution : str
        Credit for the data drawn (OSM's when OSM data are shown), empty for none.
    made_on : date
        The date printed in the footer.
    """

    paper: str = "A4"
    orientation: str = "auto"
    public_url: str = "http://127.0.0.1:8000"
    mapping_unit: str = ""
    data_source: str = "wangge 网格管理系统"
    attribution: str = ""
    made_on: date = field(default_factory=date.today)

    def qr_url(self, community_code: str) -> str:
        """The address the QR code opens: the community's web map."""
        return f"{self.public_url.rstrip('/')}/map/communities/{community_code}"


@dataclass
class CommunitySheet:
    """Everything a community's overview sheet (and an atlas's index page) shows.

    Attributes
    ----------
    code, name, street_name : str
        The community's 12-digit code and names.
    boundary : shapely geometry
        The community, in EPSG:4326.
    grids : GeoDataFrame
        Its grids in force: ``code``, ``seq``, ``households``, ``buildings``, ``area_m2``.
    buildings : GeoDataFrame or None
        Footprints to draw (grey).
    roads : GeoDataFrame or None
        ``name``, ``highway``, lines.
    staff : dict of str to list of dict
        Staff by grid code (``name``, ``post``, ``phone``).
    """

    code: str
    name: str
    street_name: str
    boundary: BaseGeometry
    grids: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    staff: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """``<street><community>网格划分总图``."""
        return f"{self.street_name}{self.name}网格划分总图"
