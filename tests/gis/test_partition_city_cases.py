"""Regressions from the synthetic city: communities that once gave grids in pieces or gaps.

The fixture holds four communities of ``make_city("city", rng=default_rng(0))`` (see
``fixtures/extract_city_communities.py``); each is partitioned with the seed the city run
gave it, so the run is the one that went wrong.
"""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis.metrics import coverage
from gis.partition import PartitionParams
from gis.partition.community import _barriers, partition_community
from gis.partition.solver import GridPartitioner, community_inputs, wgs84
from gis.tessellation import tessellate
from gis.testing import assert_valid_partition

FIXTURE = Path(__file__).parent / "fixtures" / "city_communities.gpkg"
CITY_SEEDS = {  # default_rng(0).integers(0, 2**31 - 1, size=290) at each one's position
    "420103008005": 450152621,
    "420106010007": 815020182,
    "420106002003": 87989972,
    "420106007007": 1642588603,
}


@pytest.fixture(scope="module")
def layers():
    return {
        name: gpd.read_file(FIXTURE, layer=name)
        for name in ("communities", "buildings", "compounds", "roads")
    }


@pytest.fixture(scope="module")
def items(layers):
    _, found = community_inputs(
        layers["communities"], layers["buildings"],
        compounds=layers["compounds"], roads=layers["roads"],
    )  # fmt: skip
    return {item.code: item for item in found}


def test_city_seeds_are_the_ones_the_city_run_draws():
    seeds = np.random.default_rng(0).integers(0, 2**31 - 1, size=290)
    assert {int(s) for s in seeds} >= set(CITY_SEEDS.values())


def test_tessellation_cells_do_not_overlap_at_utm_coordinates(items):
    item = items["420103008005"]
    buildings = item.buildings.reset_index(drop=True)
    cells = tessellate(item.boundary, buildings.geometry, _barriers(item)).cells
    overlap = cells.area.sum() - shapely.union_all(cells.values).area
    assert overlap < 1e-3


@pytest.mark.parametrize("code", sorted(CITY_SEEDS))
def test_city_community_grids_are_one_piece_each(items, code):
    part = partition_community(
        items[code], PartitionParams(), np.random.default_rng(CITY_SEEDS[code])
    )
    assert (shapely.get_num_geometries(part.grids.geometry.values) == 1).all()


@pytest.mark.parametrize("code", sorted(CITY_SEEDS))
def test_city_community_grids_tile_it_in_the_metric_crs(items, code):
    item = items[code]
    part = partition_community(item, PartitionParams(), np.random.default_rng(CITY_SEEDS[code]))
    cover = coverage(part.grids.geometry, item.boundary)
    assert cover["gap_m2"] < 0.01 and cover["overlap_m2"] < 0.01


def test_city_communities_tile_after_the_round_trip_through_wgs84(layers):
    result = GridPartitioner(rng=np.random.default_rng(0)).solve(
        layers["communities"], layers["buildings"],
        compounds=layers["compounds"], roads=layers["roads"],
    )  # fmt: skip
    assert_valid_partition(result, layers["communities"], max_gap_m2=0.1)


@pytest.mark.parametrize("code", sorted(CITY_SEEDS))
def test_city_community_grids_tile_after_reprojection_to_wgs84(items, code):
    item = items[code]
    part = partition_community(item, PartitionParams(), np.random.default_rng(CITY_SEEDS[code]))
    back = wgs84(part.grids.geometry).to_crs(part.grids.crs)
    assert back.is_valid.all() and (back.count_geometries() == 1).all()
    cover = coverage(back, item.boundary)
    assert cover["gap_m2"] < 0.1 and cover["overlap_m2"] < 0.1
