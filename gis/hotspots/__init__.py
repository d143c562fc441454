"""Hotspot statistics of incidents on H3 cells: counts, Gi*, FDR, emerging hotspots.

Pure functions on GeoDataFrames and arrays, no database and no web framework; points in
WGS84 longitude/latitude (EPSG:4326), cells of the h3 v4 library. The modules:

- :mod:`~gis.hotspots.incidents`: read incident files, drop duplicates, read report times,
  filter by date window and category, say what was done;
- :mod:`~gis.hotspots.cells`: the H3 cell of each point, counts and sums per cell,
  hexagon polygons, the resolution for a web-map zoom;
- :mod:`~gis.hotspots.aggregate`: counts and rates per cell with a time window and
  categories, as hexagons to draw;
- :mod:`~gis.hotspots.area`: the study area (observed cells, ring fill, boundary) and
  contiguity weights between cells;
- :mod:`~gis.hotspots.gistar`: Getis-Ord Gi* with permutation inference, FDR and
  hot/cold classes;
- :mod:`~gis.hotspots.fdr`: Benjamini–Hochberg adjusted p-values;
- :mod:`~gis.hotspots.trend`: the Mann–Kendall trend test;
- :mod:`~gis.hotspots.emerging`: Gi* per period plus trend, emerging-hotspot categories.

Examples
--------
>>> import numpy as np
>>> from gis.hotspots import count_cells, hotspots
>>> counts = count_cells(incidents, 9)  # doctest: +SKIP
>>> cells = hotspots(counts, rng=np.random.default_rng(0))  # doctest: +SKIP
>>> cells.loc[cells.hotspot_class.str.startswith("hot"), ["h3", "count", "gi_z"]]  # doctest: +SKIP
"""

from gis.hotspots.aggregate import aggregate, rates
from gis.hotspots.area import contiguity_weights, study_cells
from gis.hotspots.cells import (
    cell_ids,
    cell_polygons,
    cells_frame,
    count_cells,
    resolution_for_zoom,
)
from gis.hotspots.emerging import (
    EMERGING_CATEGORIES,
    classify_emerging,
    emerging_hotspots,
    period_counts,
)
from gis.hotspots.fdr import bh_adjust
from gis.hotspots.gistar import HOTSPOT_CLASSES, GiStar, classify, gi_star, hotspots
from gis.hotspots.incidents import IncidentReport, prepare_incidents, read_incidents
from gis.hotspots.trend import MannKendall, mann_kendall

__all__ = [
    "EMERGING_CATEGORIES",
    "HOTSPOT_CLASSES",
    "GiStar",
    "IncidentReport",
    "MannKendall",
    "aggregate",
    "bh_adjust",
    "cell_ids",
    "cell_polygons",
    "cells_frame",
    "classify",
    "classify_emerging",
    "contiguity_weights",
    "count_cells",
    "emerging_hotspots",
    "gi_star",
    "hotspots",
    "mann_kendall",
    "period_counts",
    "prepare_incidents",
    "rates",
    "read_incidents",
    "resolution_for_zoom",
    "study_cells",
]
