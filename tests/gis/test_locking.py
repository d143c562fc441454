"""Free land around locked grids, leftover buildings, and grids drawn from an assignment."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import box

from gis.crs import metric_crs
from gis.drawing import draw_grids
from gis.locking import free_land, place_leftovers
from gis.metrics import coverage
from gis.synthetic import make_city

UTM = 32650


@pytest.fixture(scope="module")
def tiny():
    """The tiny synthetic city's first community and its buildings, in metres."""
    city = make_city("tiny", rng=np.random.default_rng(0))
    crs = metric_crs(city.communities)
    community = city.communities.to_crs(crs).iloc[0]
    buildings = city.buildings.to_crs(crs)
    inside = buildings[buildings["community_code"] == community["code"]].reset_index(drop=True)
    return community.geometry, inside


def test_free_land_is_the_community_without_the_locked_grids():
    land = free_land(gpd.GeoSeries([box(0, 0, 200, 100)], crs=UTM),
                     gpd.GeoSeries([box(0, 0, 100, 100)], crs=UTM))  # fmt: skip
    assert land.iloc[0].equals(box(100, 0, 200, 100))


def test_free_land_drops_slivers_along_a_locked_edge():
    locked = gpd.GeoSeries([box(0, 0, 100, 99.999)], crs=UTM)  # 1 mm short of the top
    land = free_land(gpd.GeoSeries([box(0, 0, 200, 100)], crs=UTM), locked)
    assert land.iloc[0].equals(box(100, 0, 200, 100)) or land.area.iloc[0] == pytest.approx(
        10_000.0, abs=0.2
    )
    assert shapely.get_num_geometries(land.iloc[0]) == 1


def test_free_land_is_empty_when_everything_is_locked():
    land = free_land(gpd.GeoSeries([box(0, 0, 10, 10)], crs=UTM),
                     gpd.GeoSeries([box(0, 0, 10, 10)], crs=UTM))  # fmt: skip
    assert land.iloc[0].is_empty


def test_free_land_refuses_data_without_a_crs():
    with pytest.raises(ValueError, match="CRS"):
        free_land(gpd.GeoSeries([box(0, 0, 1, 1)]), gpd.GeoSeries([]))


def test_leftovers_go_to_the_grid_they_overlap_most():
    footprints = gpd.GeoSeries([box(0, 0, 10, 10), box(95, 0, 110, 10)], index=[7, 8], crs=UTM)
    placed = pd.Series(["a", None], index=[7, 8], dtype=object)
    grids = {"a": box(0, 0, 100, 50), "b": box(100, 0, 200, 50)}
    assert place_leftovers(footprints, placed, grids).to_dict() == {7: "a", 8: "b"}


def test_drawn_grids_tile_the_community(tiny):
    community, buildings = tiny
    labels = (buildings.geometry.centroid.x > community.centroid.x).to_numpy().astype(int)
    shapes = draw_grids(community, buildings.geometry, labels)
    assert set(shapes) == {0, 1}
    cover = coverage(gpd.GeoSeries(list(shapes.values()), crs=buildings.crs), community)
    assert cover["gap_m2"] < 1.0 and cover["overlap_m2"] < 1.0 and cover["outside_m2"] < 1.0


def test_drawn_grids_hold_their_buildings(tiny):
    community, buildings = tiny
    labels = (buildings.geometry.centroid.y > community.centroid.y).to_numpy().astype(int)
    shapes = draw_grids(community, buildings.geometry, labels)
    points = buildings.geometry.representative_point()
    inside = [shapes[int(g)].contains(p) for g, p in zip(labels, points, strict=True)]
    assert np.mean(inside) > 0.95
