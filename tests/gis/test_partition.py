"""Grid partition invariants on the catalogue of tiny communities and a synthetic district."""

import numpy as np
import pandas as pd
import pytest

from gis.metrics import partition_metrics
from gis.partition import GridPartitioner, PartitionParams
from gis.partition.search import NO_HOUSEHOLDS, OVERSIZED, SMALL_COMMUNITY
from gis.synthetic import make_city
from gis.testing import assert_valid_partition
from tests import partition_cases as cases


def _solve(case, seed=0, **kw):
    return GridPartitioner(rng=np.random.default_rng(seed)).solve(
        case["communities"], case["buildings"],
        compounds=case.get("compounds"), roads=case.get("roads"), **kw,
    )  # fmt: skip


@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_catalogue_case_is_a_valid_partition(name):
    case = cases.CASES[name]()
    assert_valid_partition(_solve(case), case["communities"])


def test_3x3_block_gives_three_grids_in_band_numbered_in_reading_order():
    case = cases.block_3x3()
    result = _solve(case)
    assert sorted(result.grids.households) == [300, 300, 300]
    assert_valid_partition(result, case["communities"], require_band=True, check_order=True)


def test_giant_highrise_is_its_own_flagged_grid():
    result = _solve(cases.giant_highrise())
    tower = result.grids[result.grids.households == 600]
    assert len(tower) == 1 and tower.flag.iloc[0] == OVERSIZED
    assert result.buildings.loc[12, "grid_code"] == tower.grid_code.iloc[0]
    assert (result.buildings.grid_code == tower.grid_code.iloc[0]).sum() == 1


def test_community_smaller_than_band_is_one_flagged_grid():
    result = _solve(cases.smaller_than_band())
    assert len(result.grids) == 1 and result.grids.flag.iloc[0] == SMALL_COMMUNITY


def test_community_in_two_parts_gets_grids_in_each_part():
    result = _solve(cases.two_parts())
    assert sorted(result.grids.households) == [300, 300, 300]
    assert (result.grids.geom_type == "Polygon").all()


def test_buildings_crossing_a_boundary_go_to_the_side_holding_most_of_them():
    result = _solve(cases.crossing_boundary())
    straddling = result.buildings.iloc[-2:]["grid_code"].str[:12].tolist()
    assert straddling == ["320102002002", "320102002001"]


def test_compound_at_band_edge_is_kept_whole_and_larger_one_may_split():
    result = _solve(cases.compounds_at_band_edge())
    by_compound = result.buildings.groupby("compound").grid_code.nunique()
    assert by_compound["A"] == 1


def test_empty_community_is_one_grid_without_households():
    case = cases.smaller_than_band()
    case["buildings"] = case["buildings"].iloc[0:0]
    result = _solve(case)
    assert len(result.grids) == 1 and result.grids.flag.iloc[0] == NO_HOUSEHOLDS


def test_invalid_community_polygon_is_repaired_not_a_crash():
    case = cases.block_3x3()
    case["communities"] = cases._community(cases.BOWTIE)
    result = _solve(case)
    assert result.grids.is_valid.all() and len(result.grids) >= 1


def test_buildings_outside_every_community_get_no_grid():
    case = cases.block_3x3()
    far = case["buildings"].iloc[:1].copy()
    far["geometry"] = far.translate(0.05, 0)
    far["source_id"] = "far"
    case["buildings"] = pd.concat([case["buildings"], far], ignore_index=True)
    result = _solve(case)
    assert result.buildings.grid_code.iloc[-1] is None
    assert_valid_partition(result, case["communities"])


def test_same_seed_same_grids():
    case = cases.compounds_at_band_edge()
    a, b = _solve(case, seed=7), _solve(case, seed=7)
    assert a.buildings.grid_code.tolist() == b.buildings.grid_code.tolist()
    assert a.grids.geometry.geom_equals_exact(b.grids.geometry, 1e-9).all()


def test_codes_survive_moving_one_building():
    case = cases.block_3x3()
    first = _solve(case)
    previous = {
        cases.CODE: {
            int(code[-3:]): frozenset(first.buildings.loc[first.buildings.grid_code == code, "key"])
            for code in first.grids.grid_code
        }
    }
    moved = case["buildings"].copy()
    moved.loc[0, "households"] = 30  # a small change in one building
    second = _solve({**case, "buildings": moved}, seed=3, previous=previous,
                    used={cases.CODE: {1, 2, 3}})  # fmt: skip
    kept = (first.buildings.grid_code == second.buildings.grid_code).mean()
    assert set(second.grids.grid_code) == set(first.grids.grid_code) and kept > 0.8


def test_new_grids_never_reuse_a_withdrawn_number():
    case = cases.block_3x3()
    result = _solve(case, used={cases.CODE: {1, 2, 3, 4}})
    assert sorted(result.grids.grid_code.str[-3:].astype(int)) == [5, 6, 7]


@pytest.fixture(scope="module")
def district():
    city = make_city("district", rng=np.random.default_rng(0))
    result = GridPartitioner(rng=np.random.default_rng(0), jobs=2).solve(
        city.communities, city.buildings, compounds=city.compounds, roads=city.roads
    )
    return city, result


def test_synthetic_district_is_a_valid_partition(district):
    city, result = district
    assert_valid_partition(result, city.communities)


def test_synthetic_district_meets_the_quality_goals(district):
    city, result = district
    m = partition_metrics(result.grids, city.communities, result.buildings, roads=city.roads,
                          crs=result.crs)["overall"]  # fmt: skip
    assert m["within_15"] >= 0.99 and m["within_25"] == 1.0
    assert m["contiguous"] == 1.0 and m["compounds_fit_split"] == 0
    assert m["pp_mean"] >= 0.55
    assert m["max_gap_m2_per_community"] < 1 and m["max_overlap_m2_per_community"] < 1


def test_tolerance_parameter_is_refused_outside_zero_one():
    with pytest.raises(ValueError, match="tolerance"):
        PartitionParams(tolerance=1.5)


def test_zero_area_footprint_joins_the_grid_it_stands_in():
    case = cases.block_3x3()
    flat = case["buildings"].iloc[:1].copy()
    flat["geometry"] = flat.geometry.boundary  # a footprint with no area at all
    flat["source_id"] = flat["key"] = "flat"
    case["buildings"] = pd.concat([case["buildings"], flat], ignore_index=True)
    result = _solve(case)
    assert result.buildings.grid_code.iloc[-1] == result.buildings.grid_code.iloc[0]
    assert_valid_partition(result, case["communities"])


def test_filler_cell_lying_over_building_cells_is_cut_back():
    import geopandas as gpd
    from shapely.geometry import box

    from gis.tessellation import _fillers_yield

    cells = gpd.GeoSeries(
        [box(0, 0, 10, 10), box(10, 0, 20, 10), box(5, 8, 15, 12)], index=[0, 1, -1]
    )
    out = _fillers_yield(cells)
    assert out[-1].area == pytest.approx(10 * 2) and out[0].area == 100 and out[1].area == 100
