"""A named catalogue of tiny hand-made communities for partition tests.

Built in UTM 50N (EPSG:32650, metres) near Nanjing and returned in EPSG:4326, like real
input. Each case is a dict of GeoDataFrames: communities, buildings and optionally
compounds and roads.
"""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString, MultiPolygon, Polygon, box

UTM = "EPSG:32650"
X0, Y0 = 670_000.0, 3_548_000.0
CODE = "320102002001"


def _gdf(data: dict, geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geoms, crs=UTM).to_crs(4326)


def _community(geom, code: str = CODE) -> gpd.GeoDataFrame:
    return _gdf({"code": [code]}, [geom])


def _buildings(boxes: list, households: list, compound: list | None = None) -> gpd.GeoDataFrame:
    data = {
        "source_id": [f"b{i}" for i in range(len(boxes))],
        "households": households,
        "compound": compound or [None] * len(boxes),
    }
    frame = _gdf(data, boxes)
    frame["key"] = frame["source_id"]
    return frame


def block_3x3() -> dict:
    """300 m square, roads every 100 m, 4 buildings of 25 households per block: 900 households."""
    boxes, hh = [], []
    for bx in range(3):
        for by in range(3):
            for dx in (20, 60):
                for dy in (20, 60):
                    x, y = X0 + bx * 100 + dx, Y0 + by * 100 + dy
                    boxes.append(box(x, y, x + 20, y + 12))
                    hh.append(25)
    roads = [LineString([(X0 + d, Y0 - 10), (X0 + d, Y0 + 310)]) for d in (100, 200)]
    roads += [LineString([(X0 - 10, Y0 + d), (X0 + 310, Y0 + d)]) for d in (100, 200)]
    return {
        "communities": _community(box(X0, Y0, X0 + 300, Y0 + 300)),
        "buildings": _buildings(boxes, hh),
        "roads": _gdf({"main": [True, False, False, False]}, roads),
    }


def _row_of(n: int, households: int, y: float = 20.0) -> tuple[list, list]:
    boxes = [box(X0 + 10 + 25 * i, Y0 + y, X0 + 30 + 25 * i, Y0 + y + 12) for i in range(n)]
    return boxes, [households] * n


def giant_highrise() -> dict:
    """One 600-household tower and twelve walk-ups of 25: the tower is a grid of its own."""
    boxes, hh = _row_of(12, 25)
    boxes.append(box(X0 + 100, Y0 + 120, X0 + 160, Y0 + 170))
    hh.append(600)
    return {
        "communities": _community(box(X0, Y0, X0 + 320, Y0 + 220)),
        "buildings": _buildings(boxes, hh),
    }


def smaller_than_band() -> dict:
    """160 households: one grid, flagged."""
    boxes, hh = _row_of(8, 20)
    return {
        "communities": _community(box(X0, Y0, X0 + 220, Y0 + 100)),
        "buildings": _buildings(boxes, hh),
    }


def two_parts() -> dict:
    """A community in two pieces 200 m apart: 600 households in one, 300 in the other."""
    west = box(X0, Y0, X0 + 320, Y0 + 100)
    east = box(X0 + 520, Y0, X0 + 760, Y0 + 100)
    boxes, hh = _row_of(12, 50)
    boxes += [box(X0 + 530 + 25 * i, Y0 + 20, X0 + 550 + 25 * i, Y0 + 32) for i in range(6)]
    hh += [50] * 6
    return {
        "communities": _community(MultiPolygon([west, east])),
        "buildings": _buildings(boxes, hh),
    }


def crossing_boundary() -> dict:
    """Two communities; two buildings straddle their common edge at x = 200 m."""
    west = box(X0, Y0, X0 + 200, Y0 + 200)
    east = box(X0 + 200, Y0, X0 + 400, Y0 + 200)
    boxes, hh = [], []
    for i in range(6):
        for j in range(2):
            for col in (0, 1):
                x = X0 + 15 + 30 * i + col * 200
                boxes.append(box(x, Y0 + 30 + 90 * j, x + 20, Y0 + 45 + 90 * j))
                hh.append(25)
    boxes += [
        box(X0 + 190, Y0 + 100, X0 + 215, Y0 + 112),
        box(X0 + 185, Y0 + 160, X0 + 205, Y0 + 170),
    ]
    hh += [30, 30]
    communities = _gdf({"code": [CODE, "320102002002"]}, [west, east])
    return {"communities": communities, "buildings": _buildings(boxes, hh)}


def compounds_at_band_edge() -> dict:
    """Compound A of exactly 345 households (the band top: kept whole), B of 360, loose walk-ups."""
    boxes, hh, comp = [], [], []
    for i in range(15):  # compound A: 15 × 23 = 345
        x, y = X0 + 10 + 25 * (i % 5), Y0 + 10 + 30 * (i // 5)
        boxes.append(box(x, y, x + 18, y + 12))
        hh.append(23)
        comp.append("A")
    for i in range(12):  # compound B: 12 × 30 = 360
        x, y = X0 + 160 + 25 * (i % 4), Y0 + 10 + 30 * (i // 4)
        boxes.append(box(x, y, x + 18, y + 12))
        hh.append(30)
        comp.append("B")
    for i in range(10):  # loose: 10 × 25 = 250
        x = X0 + 10 + 28 * i
        boxes.append(box(x, Y0 + 130, x + 18, Y0 + 142))
        hh.append(25)
        comp.append(None)
    outlines = [box(X0 + 5, Y0 + 5, X0 + 135, Y0 + 100), box(X0 + 155, Y0 + 5, X0 + 265, Y0 + 100)]
    return {
        "communities": _community(box(X0, Y0, X0 + 300, Y0 + 160)),
        "buildings": _buildings(boxes, hh, comp),
        "compounds": _gdf({"source_id": ["A", "B"], "name": ["甲小区", "乙小区"]}, outlines),
    }


def main_road_strip() -> dict:
    """600 m × 300 m cut by a main road 100 m from its south edge: 300 households south of
    it, 600 north, in even rows; compact thirds would be strips across the road."""
    boxes, hh = [], []
    for x in range(15, 600, 30):
        for y in (20, 60, 130, 170, 210, 250):
            boxes.append(box(X0 + x, Y0 + y, X0 + x + 15, Y0 + y + 12))
            hh.append(15)
    road = LineString([(X0 - 10, Y0 + 100), (X0 + 610, Y0 + 100)])
    return {
        "communities": _community(box(X0, Y0, X0 + 600, Y0 + 300)),
        "buildings": _buildings(boxes, hh),
        "roads": _gdf({"main": [True]}, [road]),
    }


BOWTIE = Polygon([(X0, Y0), (X0 + 300, Y0 + 300), (X0 + 300, Y0), (X0, Y0 + 300), (X0, Y0)])

CASES = {
    "block_3x3": block_3x3,
    "giant_highrise": giant_highrise,
    "smaller_than_band": smaller_than_band,
    "two_parts": two_parts,
    "crossing_boundary": crossing_boundary,
    "compounds_at_band_edge": compounds_at_band_edge,
    "main_road_strip": main_road_strip,
}
