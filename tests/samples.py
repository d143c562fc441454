"""A small catalogue of hand-made layers for import tests (EPSG:4326, near Nanjing).

Two communities side by side in one street, a compound in the west one, three buildings and
three facilities. Coordinates are whole hundredths of a degree offsets from one corner.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point, box

X0, Y0 = 118.78, 32.04
D = 0.01  # ~1 km


def streets() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"街道编码": ["320102002"], "街道名称": ["新街口街道"]},
        geometry=[box(X0, Y0, X0 + 2 * D, Y0 + D)],
        crs="EPSG:4326",
    )


def communities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"社区编码": ["320102002001", "320102002002"], "社区名称": ["西社区", "东社区"]},
        geometry=[box(X0, Y0, X0 + D, Y0 + D), box(X0 + D, Y0, X0 + 2 * D, Y0 + D)],
        crs="EPSG:4326",
    )


def compounds() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"小区编号": ["c1"], "小区名称": ["梅园小区"]},
        geometry=[box(X0 + 0.1 * D, Y0 + 0.1 * D, X0 + 0.5 * D, Y0 + 0.5 * D)],
        crs="EPSG:4326",
    )


def buildings() -> gpd.GeoDataFrame:
    size = 0.0004  # ~40 m
    corners = [(0.2, 0.2), (0.3, 0.3), (1.5, 0.5)]
    return gpd.GeoDataFrame(
        {
            "编号": ["b1", "b2", "b3"],
            "楼号": ["1号楼", "2号楼", "东1栋"],
            "层数": [6, None, 18],
            "户数": [None, 40, None],
            "用途": ["住宅", "住宅", "住宅"],
        },
        geometry=[
            box(X0 + a * D, Y0 + b * D, X0 + a * D + size, Y0 + b * D + size) for a, b in corners
        ],
        crs="EPSG:4326",
    )


def facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "编号": ["f1", "f2", "f3"],
            "类别": ["路灯", "警务室", None],
            "类别代码": [None, None, "0304"],
            "状态": ["完好", "损坏", None],
        },
        geometry=[
            Point(X0 + 0.4 * D, Y0 + 0.6 * D),
            Point(X0 + 1.2 * D, Y0 + 0.2 * D),
            Point(X0 + 1.7 * D, Y0 + 0.7 * D),
        ],
        crs="EPSG:4326",
    )


LAYERS = {
    "streets": streets,
    "communities": communities,
    "compounds": compounds,
    "buildings": buildings,
    "facilities": facilities,
}


def write(layer: str, folder: Path, frame: gpd.GeoDataFrame | None = None) -> Path:
    """Write a layer as a GeoPackage and return its path."""
    path = folder / f"{layer}.gpkg"
    (frame if frame is not None else LAYERS[layer]()).to_file(path, driver="GPKG")
    return path
