"""Tiling an area with unions of regions: groups parted only by hairline gaps stay whole."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from gis.coverage import tile

FIXTURE = Path(__file__).parent / "fixtures" / "tile_hairline_gap.gpkg"

# Two groups, each of two regions 0.5 mm apart; one hairline gap face, 20 m long, parts
# both: group 0 above the x axis and group 1 below.
GAP_M = 0.0005
AREA = box(0, -10, 20, 10)
REGIONS = np.array(
    [
        box(0, 0, 10, 10),
        box(10 + GAP_M, 0, 20, 10),
        box(0, -10, 10, 0),
        box(10 + GAP_M, -10, 20, 0),
    ]
)
GROUPS = np.array([0, 0, 1, 1])


def _pieces(polygons):
    return {g: shapely.get_num_geometries(p) for g, p in polygons.items()}


def _misfit_m2(polygons, area):
    """Area of the gaps, overlaps and parts outside ``area`` of a tiling, m²."""
    geoms = np.array(list(polygons.values()))
    union = shapely.union_all(geoms)
    overlap = shapely.area(geoms).sum() - union.area
    return overlap + shapely.difference(area, union).area + shapely.difference(union, area).area


def test_a_gap_face_parting_two_groups_leaves_each_in_one_piece():
    assert _pieces(tile(REGIONS, GROUPS, AREA)) == {0: 1, 1: 1}


def test_bridged_groups_still_tile_the_area_exactly():
    assert _misfit_m2(tile(REGIONS, GROUPS, AREA), AREA) < 1e-6


@pytest.fixture(scope="module")
def district_case():
    regions = gpd.read_file(FIXTURE, layer="regions")
    area = gpd.read_file(FIXTURE, layer="area").geometry.iloc[0]
    return regions, area


def test_district_community_has_no_grid_in_pieces(district_case):
    regions, area = district_case
    polygons = tile(
        regions.geometry.values, regions["group"].to_numpy(), area, regions["loose"].to_numpy()
    )
    assert {g: n for g, n in _pieces(polygons).items() if n > 1} == {}


def test_district_community_is_tiled_exactly(district_case):
    regions, area = district_case
    polygons = tile(
        regions.geometry.values, regions["group"].to_numpy(), area, regions["loose"].to_numpy()
    )
    assert len(polygons) == regions["group"].nunique()
    assert _misfit_m2(polygons, area) < 1.0
