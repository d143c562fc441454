"""Printed grid diagrams (网格示意图): one sheet per grid, the community overview, the atlas.

Sheets are drawn with matplotlib as vector PDFs (A4/A3, CJK text embedded as TrueType so it
stays searchable) or PNGs. This package never queries the database: callers hand it
GeoDataFrames and dicts (:class:`GridSheet`), see ``api/prints.py`` and ``wangge print``.
"""

from map_ui.print.content import OSM_ATTRIBUTION, GridSheet, SheetOptions
from map_ui.print.sheet import Sheet, render_grid_sheet

__all__ = ["OSM_ATTRIBUTION", "GridSheet", "Sheet", "SheetOptions", "render_grid_sheet"]
