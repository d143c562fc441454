"""Invariants of the synthetic city generator, on tiny seeded cities."""

import re

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from gis.layers import LAYERS
from gis.synthetic import METRIC_CRS, SyntheticCity, make_city

LAYER_NAMES = ("streets", "communities", "compounds", "buildings", "roads")


@pytest.fixture(scope="module")
def city() -> SyntheticCity:
    return make_city("tiny", rng=np.random.default_rng(20240501))


@pytest.fixture(scope="module", params=[1, 2, 3])
def any_city(request) -> SyntheticCity:
    """A few seeds and sizes: the invariants hold for every one, not for one lucky draw."""
    return make_city(request.param + 2, rng=np.random.default_rng(request.param))


def _pairs_touching(geoms) -> np.ndarray:
    """Index pairs (i < j) of geometries that intersect."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    return np.column_stack([left, right])[left < right]


def test_same_seed_gives_the_same_city():
    first = make_city("tiny", rng=np.random.default_rng(7))
    second = make_city("tiny", rng=np.random.default_rng(7))
    for name in LAYER_NAMES:
        assert_geodataframe_equal(getattr(first, name), getattr(second, name))


def test_different_seeds_give_different_cities():
    first = make_city("tiny", rng=np.random.default_rng(7))
    second = make_city("tiny", rng=np.random.default_rng(8))
    assert first.buildings.geometry.to_wkb().tolist() != second.buildings.geometry.to_wkb().tolist()


def test_layers_are_in_wgs84(city):
    assert {getattr(city, name).crs.to_epsg() for name in LAYER_NAMES} == {4326}


def test_import_layers_have_the_canonical_columns(city):
    for name in ("streets", "communities", "compounds", "buildings"):
        missing = set(LAYERS[name].field_names) - set(getattr(city, name).columns)
        assert not missing, f"{name} lacks {missing}"


def test_community_households_are_within_1500_to_6000(any_city):
    totals = any_city.buildings.groupby("community_code")["households"].sum()
    assert len(totals) == len(any_city.communities)
    assert totals.between(1500, 6000).all(), totals.to_dict()


def test_non_residential_buildings_have_no_households(city):
    b = city.buildings
    other = b["use"] != "residential"
    assert other.any()
    assert (b.loc[other, "households"] == 0).all()
    assert b.loc[~other, "households"].between(12, 200).all()


def test_buildings_do_not_overlap(any_city):
    assert len(_pairs_touching(any_city.buildings.geometry.values)) == 0


def test_buildings_lie_within_their_community(any_city):
    community = any_city.communities.set_index("code").geometry
    b = any_city.buildings
    assert shapely.within(b.geometry.values, community.loc[b["community_code"]].values).all()


def test_buildings_lie_within_their_compound(any_city):
    compound = any_city.compounds.set_index("source_id").geometry
    b = any_city.buildings[any_city.buildings["compound"].notna()]
    assert len(b) > 0
    assert shapely.within(b.geometry.values, compound.loc[b["compound"]].values).all()


def test_some_buildings_lie_outside_compounds(city):
    assert city.buildings["compound"].isna().any()


def test_compounds_do_not_overlap(any_city):
    assert len(_pairs_touching(any_city.compounds.geometry.values)) == 0


def test_communities_do_not_overlap(any_city):
    geoms = any_city.communities.to_crs(METRIC_CRS).geometry.values
    pairs = _pairs_touching(geoms)
    overlap = shapely.area(shapely.intersection(geoms[pairs[:, 0]], geoms[pairs[:, 1]]))
    assert overlap.sum() < 1e-3  # m²: neighbours share edges, never area


def test_communities_tile_the_streets(any_city):
    communities = any_city.communities.to_crs(METRIC_CRS).union_all()
    streets = any_city.streets.to_crs(METRIC_CRS).union_all()
    assert communities.symmetric_difference(streets).area < 1.0  # m²


def test_each_street_is_the_union_of_its_communities(any_city):
    communities = any_city.communities.to_crs(METRIC_CRS).dissolve("street_code").geometry
    streets = any_city.streets.to_crs(METRIC_CRS).set_index("code").geometry
    gaps = shapely.area(
        shapely.symmetric_difference(communities.sort_index(), streets.sort_index())
    )
    assert (gaps < 1.0).all()


def test_codes_have_the_statistical_division_formats(any_city):
    streets, communities = any_city.streets, any_city.communities
    assert streets["code"].str.fullmatch(r"4201\d{2}0\d{2}").all()
    assert not streets["code"].str.endswith("000").any()
    assert communities["code"].str.fullmatch(r"\d{12}").all()
    neighbourhood = communities["code"].str[9:].astype(int)
    assert neighbourhood.between(1, 199).all()
    assert (communities["code"].str[:9] == communities["street_code"]).all()
    assert set(communities["street_code"]) == set(streets["code"])


def test_codes_are_unique(any_city):
    assert any_city.streets["code"].is_unique
    assert any_city.communities["code"].is_unique
    assert any_city.compounds["source_id"].is_unique
    assert any_city.buildings["source_id"].is_unique


def test_features_point_to_existing_communities_and_compounds(city):
    codes = set(city.communities["code"])
    assert set(city.compounds["community_code"]) <= codes
    assert set(city.buildings["community_code"]) <= codes
    assert set(city.buildings["compound"].dropna()) <= set(city.compounds["source_id"])


def test_community_names_are_chinese(city):
    assert (
        city.communities["name"].map(lambda n: bool(re.fullmatch(r"[\u4e00-\u9fff]+社区", n))).all()
    )


def test_roads_include_main_and_local_roads(city):
    roads = city.roads
    assert set(roads.columns) >= {"name", "highway", "main", "geometry"}
    assert roads["main"].any() and (~roads["main"]).any()


def test_an_int_size_is_the_number_of_communities():
    assert len(make_city(5, rng=np.random.default_rng(0)).communities) == 5


@pytest.mark.parametrize("size", ["huge", 0, True])
def test_unknown_sizes_are_refused(size):
    with pytest.raises(ValueError, match="size"):
        make_city(size, rng=np.random.default_rng(0))


def test_tiny_is_about_two_communities_of_5000_households(city):
    assert len(city.communities) == 2
    assert 3000 <= city.households <= 9000


def test_district_has_the_size_of_a_district():
    district = make_city("district", rng=np.random.default_rng(0))
    summary = pd.Series(
        {
            "communities": len(district.communities),
            "households": district.households,
            "buildings": len(district.buildings),
            "compounds": len(district.compounds),
        }
    )
    assert summary["communities"] == 30
    assert 90_000 <= summary["households"] <= 120_000, summary
    assert 2_300 <= summary["buildings"] <= 3_600, summary
    assert 110 <= summary["compounds"] <= 200, summary
