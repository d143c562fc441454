import numpy as np
import pyproj
import pytest

from gis import chinacoords as cc
from gis.errors import CRSError

GEOD = pyproj.Geod(ellps="WGS84")

# Test vectors published with the reference implementations of the public formulas:
# eviltransform (WGS84 -> GCJ-02) and coordtransform (WGS84 -> GCJ-02, GCJ-02 <-> BD-09).
# (lon, lat) in, (lon, lat) out, degrees.
WGS_TO_GCJ = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),  # Beijing
]
GCJ_TO_BD = ((116.404, 39.915), (116.41036949371029, 39.92133699351021))
# Baidu's one-step approximate inverse of the same point, as published.
BD_TO_GCJ_ONE_STEP = ((116.404, 39.915), (116.39762729119315, 39.90865673957631))

INSIDE = {
    "Beijing": (116.39, 39.91),
    "Urumqi": (87.62, 43.83),
    "Kashgar": (75.99, 39.47),
    "Lhasa": (91.13, 29.65),
    "Mohe, northern tip": (122.35, 53.47),
    "Fuyuan, eastern tip": (134.29, 48.36),
    "Hunchun": (130.37, 42.87),
    "Dandong": (124.38, 40.13),
    "Shengsi islands": (122.45, 30.73),
    "Dongxing": (107.97, 21.55),
    "Hekou": (103.95, 22.51),
    "Mohan": (101.68, 21.18),
    "Ruili": (97.85, 24.01),
    "Zhangmu": (85.98, 27.99),
    "Khunjerab pass": (75.42, 36.85),
    "Khorgos": (80.42, 44.21),
    "Erenhot": (111.98, 43.65),
    "Manzhouli": (117.43, 49.6),
    "Sanya": (109.51, 18.25),
    "Weizhou island": (109.1, 21.03),
    "Yongxing island (Xisha)": (112.34, 16.83),
    "Hong Kong": (114.17, 22.3),
    "Macau": (113.54, 22.19),
}
OUTSIDE = {
    "Taipei": (121.56, 25.03),
    "Kaohsiung": (120.3, 22.63),
    "Penghu": (119.57, 23.57),
    "Seoul": (126.98, 37.57),
    "Pyongyang": (125.75, 39.03),
    "Vladivostok": (131.89, 43.12),
    "Ulaanbaatar": (106.92, 47.92),
    "Choibalsan": (114.5, 48.07),
    "Almaty": (76.9, 43.25),
    "Naryn": (76.0, 41.43),
    "Gilgit": (74.31, 35.92),
    "Leh": (77.58, 34.16),
    "Kathmandu": (85.32, 27.7),
    "Thimphu": (89.64, 27.47),
    "Gangtok": (88.61, 27.33),
    "Myitkyina": (97.4, 25.38),
    "Hanoi": (105.85, 21.03),
    "Cao Bang": (106.25, 22.67),
    "Bach Long Vi island": (107.72, 20.13),
    "Manila": (120.98, 14.6),
    "Naha": (127.68, 26.21),
    "Tokyo": (139.69, 35.69),
    "Paris": (2.35, 48.85),
}


@pytest.fixture(scope="module")
def china_grid():
    """About 10,000 WGS84 points on a regular grid over China (lon, lat arrays)."""
    lon, lat = np.meshgrid(np.linspace(73.0, 135.5, 190), np.linspace(15.6, 53.8, 130))
    lon, lat = lon.ravel(), lat.ravel()
    keep = cc.in_china(lon, lat)
    return lon[keep], lat[keep]


def _distance_m(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize(("wgs", "gcj"), WGS_TO_GCJ)
def test_wgs84_to_gcj02_matches_published_vectors(wgs, gcj):
    lon, lat = cc.wgs84_to_gcj02(*wgs)
    assert (float(lon), float(lat)) == pytest.approx(gcj, abs=1e-9)


def test_gcj02_to_bd09_matches_published_vector():
    lon, lat = cc.gcj02_to_bd09(*GCJ_TO_BD[0])
    assert (float(lon), float(lat)) == pytest.approx(GCJ_TO_BD[1], abs=1e-9)


def test_bd09_to_gcj02_is_within_centimetres_of_published_one_step_inverse():
    lon, lat = cc.bd09_to_gcj02(*BD_TO_GCJ_ONE_STEP[0])
    assert _distance_m(lon, lat, *BD_TO_GCJ_ONE_STEP[1]) < 0.1


def test_raw_offset_near_shanghai_is_300_to_700_m():
    lon, lat = cc.wgs84_to_gcj02(121.47, 31.23)
    assert 300 < _distance_m(121.47, 31.23, lon, lat) < 700


def test_grid_covers_about_ten_thousand_points(china_grid):
    assert 9_000 < china_grid[0].size < 12_000


def test_gcj02_round_trip_is_within_half_a_metre_across_china(china_grid):
    lon, lat = china_grid
    back = cc.gcj02_to_wgs84(*cc.wgs84_to_gcj02(lon, lat))
    # Measured: 1.1e-04 m at most (0.1 mm) with the default tol_m=0.01.
    assert _distance_m(lon, lat, *back).max() < 0.5


@pytest.mark.parametrize("tol_m", [0.01, 0.001])
def test_gcj02_inverse_meets_its_tolerance(china_grid, tol_m):
    lon, lat = china_grid
    back = cc.gcj02_to_wgs84(*cc.wgs84_to_gcj02(lon, lat), tol_m=tol_m)
    assert _distance_m(lon, lat, *back).max() < 1.05 * tol_m


def test_one_step_gcj02_inverse_is_not_accepted(china_grid):
    # The one-step inverse leaves metres of error: it must not pass for 1 cm.
    with pytest.raises(CRSError, match="did not converge"):
        cc.gcj02_to_wgs84(*cc.wgs84_to_gcj02(*china_grid), max_iter=0)


def test_bd09_round_trip_is_within_half_a_metre_across_china(china_grid):
    lon, lat = china_grid
    back = cc.bd09_to_wgs84(*cc.wgs84_to_bd09(lon, lat))
    # Measured: 1.4e-03 m at most (1.4 mm).
    assert _distance_m(lon, lat, *back).max() < 0.5


def test_bd09_to_gcj02_inverts_gcj02_to_bd09(china_grid):
    lon, lat = china_grid
    back = cc.bd09_to_gcj02(*cc.gcj02_to_bd09(lon, lat))
    assert _distance_m(lon, lat, *back).max() < 0.011


def test_arrays_broadcast_and_keep_their_shape():
    lon, lat = cc.gcj02_to_wgs84(np.full((2, 3), 116.4), 39.9)
    assert lon.shape == lat.shape == (2, 3)


def test_nan_passes_through_without_spoiling_other_points():
    lon, lat = cc.gcj02_to_wgs84([np.nan, 121.47], [31.0, 31.23])
    assert np.isnan(lon[0]) and np.isfinite(lon[1]) and np.isfinite(lat[1])


@pytest.mark.parametrize("place", sorted(INSIDE))
def test_in_china_accepts_places_in_china(place):
    assert cc.in_china(*INSIDE[place]).item()


@pytest.mark.parametrize("place", sorted(OUTSIDE))
def test_in_china_refuses_places_outside_china(place):
    assert not cc.in_china(*OUTSIDE[place]).item()


def test_in_china_bbox_method_takes_in_taiwan():
    assert cc.in_china(*OUTSIDE["Taipei"], method="bbox").item()


def test_in_china_region_lies_within_the_common_bbox():
    lon, lat = np.array(cc._REGION_VERTICES).T
    assert cc.in_china(lon, lat, method="bbox").all()


def test_in_china_is_false_for_nan():
    assert not cc.in_china(np.nan, 35.0).item()
