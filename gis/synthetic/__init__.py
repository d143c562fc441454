"""Synthetic cities for scale work: streets, communities, compounds, buildings and roads.

``make_city`` lays a city out the way Chinese cities are built: main roads in a grid of
superblocks; each community (社区) is one superblock or two side by side, and a street
(街道) is a panel of up to 4 × 3 superblocks; inside a superblock, local roads separate
walled compounds (小区) of walk-ups, mid-rises and high-rises, open blocks whose buildings
belong to no compound, and plots of schools, shops, offices and hospitals.

Geometry is built in metres in CGCS2000 / 3-degree Gauss-Krüger CM 114E (EPSG:4547),
centred on Wuhan (114.3° E, 30.6° N), and returned in EPSG:4326. Every layer has the
canonical columns of :mod:`gis.layers`; codes have the real formats (county 420106…,
street 9 digits, community 12 digits with the neighbourhood part in 001–199).

For any seed: buildings are rectangles that never overlap and lie inside their compound
and community; compounds never overlap; the communities of a street tile it (their shared
edges carry the same vertices, so they stay exact after reprojection); each community
holds 1,500–6,000 households; the same seed gives the same city.

Examples
--------
>>> import numpy as np
>>> city = make_city("tiny", rng=np.random.default_rng(1))
>>> len(city.communities)
2
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.synthetic.buildings import _building_layer, _compounds, _fill, _styles, _trim
from gis.synthetic.layout import _admin, _cells, _grid, _main_roads, _targets
from gis.synthetic.params import (
    CAPACITY_BAND,
    CELL_KINDS,
    CENTRE_LONLAT,
    CN_NUMBERS,
    COMPOUND,
    COMPOUND_ENDINGS,
    COUNTIES,
    DEPTH_M,
    DWELLING_M2,
    FLOORS,
    GAP_M,
    HIGHRISE,
    HOUSEHOLDS,
    LOCAL_HALF_M,
    MAIN_HALF_M,
    MARGIN_M,
    MAX_HOUSEHOLDS,
    METRIC_CRS,
    MIDRISE,
    MIN_HOUSEHOLDS,
    OPEN,
    P_EMPTY,
    P_SERVICE,
    PAIR_SHARE,
    PANEL,
    PLACE_ENDINGS,
    PLACE_WORDS,
    PLOT,
    PLOT_FLOORS,
    PLOT_LABELS,
    PLOT_PITCH,
    PLOT_USE_P,
    PLOT_USES,
    ROAD_WORDS,
    SERVICE,
    SERVICE_USES,
    SIZES,
    STYLE_MIX,
    STYLE_PITCH,
    STYLE_START,
    SUPERBLOCK_M,
    TARGET_PAIR,
    TARGET_SINGLE,
    THREE_CELLS_M,
    WALKUP,
    WALL_M,
)

__all__ = [
    "CAPACITY_BAND",
    "CELL_KINDS",
    "CENTRE_LONLAT",
    "CN_NUMBERS",
    "COMPOUND",
    "COMPOUND_ENDINGS",
    "COUNTIES",
    "DEPTH_M",
    "DWELLING_M2",
    "FLOORS",
    "GAP_M",
    "HIGHRISE",
    "HOUSEHOLDS",
    "LOCAL_HALF_M",
    "MAIN_HALF_M",
    "MARGIN_M",
    "MAX_HOUSEHOLDS",
    "METRIC_CRS",
    "MIDRISE",
    "MIN_HOUSEHOLDS",
    "OPEN",
    "PAIR_SHARE",
    "PANEL",
    "PLACE_ENDINGS",
    "PLACE_WORDS",
    "PLOT",
    "PLOT_FLOORS",
    "PLOT_LABELS",
    "PLOT_PITCH",
    "PLOT_USES",
    "PLOT_USE_P",
    "P_EMPTY",
    "P_SERVICE",
    "ROAD_WORDS",
    "SERVICE",
    "SERVICE_USES",
    "SIZES",
    "STYLE_MIX",
    "STYLE_PITCH",
    "STYLE_START",
    "SUPERBLOCK_M",
    "Size",
    "SyntheticCity",
    "TARGET_PAIR",
    "TARGET_SINGLE",
    "THREE_CELLS_M",
    "WALKUP",
    "WALL_M",
    "make_city",
]

Size = Literal["tiny", "district", "city"]


@dataclass(frozen=True)
class SyntheticCity:
    """The layers of a synthetic city, in EPSG:4326, with canonical columns.

    Attributes
    ----------
    streets, communities, compounds, buildings : GeoDataFrame
        The import layers of :mod:`gis.layers`; buildings carry ``households`` and
        ``floors``.
    roads : GeoDataFrame
        Road centrelines: ``name``, ``highway``, ``main`` (true for the superblock grid).
    """

    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame

    @property
    def households(self) -> int:
        """Total households in the city."""
        return int(self.buildings["households"].sum())


def make_city(size: Size | int = "district", *, rng: np.random.Generator) -> SyntheticCity:
    """Generate a synthetic city.

    Parameters
    ----------
    size : {"tiny", "district", "city"} or int
        ``"tiny"``: 2 communities, about 6,000 households (unit tests); ``"district"``:
        30 communities, about 105,000 households, 3,000 buildings, 150 compounds;
        ``"city"``: 290 communities, about 1,000,000 households. An int is the number of
        communities.
    rng : numpy.random.Generator
        The only source of randomness: the same seed gives the same city.

    Returns
    -------
    SyntheticCity
        Layers in EPSG:4326. Lengths and areas were laid out in EPSG:4547 (metres).

    Examples
    --------
    >>> import numpy as np
    >>> city = make_city(3, rng=np.random.default_rng(7))
    >>> city.communities["code"].str.len().unique().tolist()
    [12]
    """
    n = _n_communities(size)
    grid = _grid(n, rng)
    streets, communities = _admin(grid, rng)
    roads = _main_roads(grid)
    cells, local_roads = _cells(grid, rng)
    target = _targets(grid, rng)
    cells["kind"], cells["style"] = _styles(cells, grid.community, target, rng)
    cells, buildings = _fill(cells, grid.community, rng)
    buildings = _trim(buildings, cells, grid.community, target, rng)
    compounds = _compounds(cells, buildings, grid.community, communities, rng)
    buildings = _building_layer(buildings, cells, compounds, grid, communities, rng)
    layers = {
        "streets": streets,
        "communities": communities,
        "compounds": compounds,
        "buildings": buildings,
        "roads": pd.concat([roads, local_roads], ignore_index=True),
    }
    return SyntheticCity(**{k: _to_lonlat(v) for k, v in layers.items()})


def _n_communities(size: Size | int) -> int:
    """Number of communities for a size name or count."""
    if isinstance(size, str) and size in SIZES:
        return SIZES[size]
    if isinstance(size, int | np.integer) and not isinstance(size, bool) and size >= 1:
        return int(size)
    raise ValueError(f"size must be one of {', '.join(SIZES)} or a positive int, not {size!r}")


def _to_lonlat(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326 and drop helper columns."""
    return frame.drop(columns=["cell"], errors="ignore").to_crs("EPSG:4326")
