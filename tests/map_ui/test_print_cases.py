"""Synthetic grids for the print tests: a community of two grids, built in metres.

Everything is laid out in a local metric CRS around a point in Nanjing and handed over in
EPSG:4326, as the database does. No tests here: builders only.
"""

from __future__ import annotations

import geopandas as gpd
import pyproj
from shapely.geometry import LineString, Point, box

COMMUNITY = "320102002001"
STREET_NAME, COMMUNITY_NAME = "新街口街道", "中山东路社区"
LOCAL = pyproj.CRS.from_proj4("+proj=aeqd +lat_0=32.04 +lon_0=118.79 +datum=WGS84 +units=m")
STAFF = [
    {"name": "王芳", "post": "B", "duties": "巡查走访、信息采集", "phone": "13812345678"},
    {"name": "李建国", "post": "A", "duties": "消防安全", "phone": "025-84321234"},
]
#: Facility classes placed in grid 1, and the one placed only in grid 2.
IN_GRID_1 = {"0117": "路灯", "9003": "警务室"}
ONLY_IN_GRID_2 = ("0304", "垃圾箱")


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=LOCAL).to_crs("EPSG:4326")


def grids(width: float = 300.0, height: float = 400.0) -> gpd.GeoDataFrame:
    """Two grids side by side, ``width`` × ``height`` metres each."""
    return _frame([
        {"code": f"{COMMUNITY}001", "seq": 1, "community_code": COMMUNITY,
         "geometry": box(0, 0, width, height)},
        {"code": f"{COMMUNITY}002", "seq": 2, "community_code": COMMUNITY,
         "geometry": box(width, 0, 2 * width, height)},
    ])  # fmt: skip


def communities(width: float = 300.0, height: float = 400.0) -> gpd.GeoDataFrame:
    """The community covering both grids."""
    return _frame([{"code": COMMUNITY, "name": COMMUNITY_NAME, "street_name": STREET_NAME,
                    "geometry": box(0, 0, 2 * width, height)}])  # fmt: skip


def buildings(per_side: int = 3, width: float = 300.0, height: float = 400.0) -> gpd.GeoDataFrame:
    """``per_side`` × ``per_side`` buildings in each grid, named 1栋, 2栋…, 24–60 households."""
    rows = []
    for grid in range(2):
        for i in range(per_side):
            for j in range(per_side):
                cell_w, cell_h = (width - 20) / per_side, (height - 20) / per_side
                x0 = grid * width + 10 + i * cell_w + cell_w * 0.15
                y0 = 10 + j * cell_h + cell_h * 0.3
                n = i * per_side + j + 1
                rows.append({
                    "name": f"{n}栋", "households": 24 + (n * 7) % 37,
                    "geometry": box(x0, y0, x0 + cell_w * 0.7, y0 + cell_h * 0.4),
                })  # fmt: skip
    return _frame(rows)


def facilities(width: float = 300.0) -> gpd.GeoDataFrame:
    """Lamps and a police room in grid 1; a trash bin in grid 2 only."""
    (lamp, lamp_name), (police, police_name) = IN_GRID_1.items()
    rows = [
        {"class_code": lamp, "class_name": lamp_name, "name": None, "geometry": Point(40, 20)},
        {"class_code": lamp, "class_name": lamp_name, "name": None, "geometry": Point(200, 380)},
        {"class_code": police, "class_name": police_name, "name": "东路警务室",
         "geometry": Point(150, 200)},
        {"class_code": ONLY_IN_GRID_2[0], "class_name": ONLY_IN_GRID_2[1], "name": None,
         "geometry": Point(width + 100, 100)},
    ]  # fmt: skip
    return _frame(rows)


def roads(width: float = 300.0, height: float = 400.0) -> gpd.GeoDataFrame:
    """A road along the grids' shared edge and one across them."""
    return _frame([
        {"name": "中山路", "highway": "secondary",
         "geometry": LineString([(width, -100), (width, height + 100)])},
        {"name": "长江路", "highway": "residential",
         "geometry": LineString([(-100, height / 2), (2 * width + 100, height / 2)])},
    ])  # fmt: skip


def compounds(width: float = 300.0, height: float = 400.0) -> gpd.GeoDataFrame:
    """A named compound in grid 1."""
    return _frame([{"name": "幸福小区", "geometry": box(5, 5, width - 5, height / 2 - 5)}])


def grid_sheet(per_side: int = 3, width: float = 300.0, height: float = 400.0, **extra):
    """Grid 1's sheet with every layer."""
    from map_ui.print.frames import sheet_from_frames

    return sheet_from_frames(
        f"{COMMUNITY}001", grids(width, height), buildings(per_side, width, height),
        facilities=facilities(width), compounds=compounds(width, height),
        roads=roads(width, height), communities=communities(width, height),
        staff=extra.pop("staff", STAFF), **extra,
    )  # fmt: skip
