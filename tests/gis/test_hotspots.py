"""Hotspot statistics: H3 counts, study area, Gi* against esda, FDR, Mann-Kendall, emerging."""

from __future__ import annotations

import datetime as dt
import math

import esda
import geopandas as gpd
import h3
import h3.api.numpy_int as h3int
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from gis.errors import CRSError, InputError, SchemaError
from gis.hotspots import (
    aggregate,
    bh_adjust,
    cell_ids,
    cell_polygons,
    classify,
    classify_emerging,
    contiguity_weights,
    count_cells,
    emerging_hotspots,
    gi_star,
    hotspots,
    mann_kendall,
    period_counts,
    prepare_incidents,
    resolution_for_zoom,
    study_cells,
)
from gis.hotspots.cells import to_h3_strings

NANJING = (118.78, 32.04)  # lon, lat of Xinjiekou
RES = 9


def _points(lon, lat) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def _uniform_in_cells(cells, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform over the union of ``cells`` (rejection from the bounding box)."""
    wanted = np.sort(np.asarray(cells, dtype=np.uint64))
    union = shapely.union_all(cell_polygons(wanted))
    x0, y0, x1, y1 = union.bounds
    lon, lat = np.empty(0), np.empty(0)
    while lon.size < n:
        x, y = rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)
        inside = np.isin(cell_ids(x, y, RES), wanted)
        lon, lat = np.r_[lon, x[inside]], np.r_[lat, y[inside]]
    return lon[:n], lat[:n]


@pytest.fixture(scope="module")
def region() -> np.ndarray:
    """469 res-9 cells: a hexagonal patch 12 rings wide around Xinjiekou."""
    centre = h3int.latlng_to_cell(NANJING[1], NANJING[0], RES)
    return np.sort(np.asarray(h3int.grid_disk(centre, 12), dtype=np.uint64))


# --- H3 counts -----------------------------------------------------------------------


def test_h3_counts_equal_point_in_polygon_counts():
    rng = np.random.default_rng(1)
    lon = rng.uniform(NANJING[0] - 0.02, NANJING[0] + 0.02, 3000)
    lat = rng.uniform(NANJING[1] - 0.02, NANJING[1] + 0.02, 3000)
    counts = count_cells(_points(lon, lat), RES)
    polygons = cell_polygons(counts.index)
    points = shapely.points(lon, lat)
    independent = [int(shapely.contains(polygon, points).sum()) for polygon in polygons]
    assert independent == counts.tolist()
    assert counts.sum() == 3000


def test_count_cells_sums_weights_and_uses_polygon_centroids():
    square = shapely.box(NANJING[0], NANJING[1], NANJING[0] + 0.0002, NANJING[1] + 0.0002)
    frame = gpd.GeoDataFrame(
        {"households": [30, 12]}, geometry=[square, square.centroid], crs="EPSG:4326"
    )
    sums = count_cells(frame, RES, weights=frame["households"])
    assert sums.tolist() == [42.0]
    assert sums.index[0] == cell_ids([square.centroid.x], [square.centroid.y], RES)[0]


def test_count_cells_refuses_points_not_in_lonlat():
    projected = _points([NANJING[0]], [NANJING[1]]).to_crs(3857)
    with pytest.raises(CRSError, match="not EPSG:4326"):
        count_cells(projected, RES)


def test_aggregate_filters_window_and_category_and_computes_rates():
    frame = _points([NANJING[0]] * 4, [NANJING[1]] * 4)
    frame["reported_at"] = pd.to_datetime(
        ["2024-05-01 08:00", "2024-05-31 23:59", "2024-06-01 00:00", None]
    )
    frame["category"] = ["0101", "0101", "0101", "0102"]
    cell = cell_ids([NANJING[0]], [NANJING[1]], RES)[0]
    households = pd.Series([50.0], index=[cell])
    may = aggregate(
        frame, RES, start=dt.date(2024, 5, 1), end=dt.date(2024, 5, 31), categories=["0101"],
        denominator=households,
    )  # fmt: skip
    assert may[["count", "denominator", "rate"]].iloc[0].tolist() == [2, 50.0, 4.0]
    assert may.crs.to_epsg() == 4326 and may.geometry.iloc[0].geom_type == "Polygon"


def test_resolution_for_zoom_grows_with_zoom_and_keeps_hexagons_near_12_pixels():
    chosen = [resolution_for_zoom(z) for z in range(8, 20)]
    assert chosen == sorted(chosen)
    for zoom, res in zip(range(8, 20), chosen, strict=True):
        px = 2 * math.pi * 6378137 / 256 * math.cos(math.radians(30)) / 2**zoom
        edge_px = h3.average_hexagon_edge_length(res, unit="m") / px
        assert 12 / 7**0.25 <= edge_px <= 12 * 7**0.25


# --- study area and weights ----------------------------------------------------------


def test_study_area_adds_a_ring_of_empty_cells_around_observed_ones(region):
    observed = region[:1]
    cells = study_cells(observed, ring=1)
    assert len(cells) == 7 and observed[0] in cells
    assert len(study_cells(observed, ring=0)) == 1


def test_study_area_includes_every_cell_of_a_boundary(region):
    boundary = shapely.union_all(cell_polygons(region)).buffer(-1e-6)
    cells = study_cells(region[:1], ring=0, boundary=boundary)
    assert set(cells.tolist()) == set(region.tolist())


def test_contiguity_weights_are_edge_neighbours(region):
    w = contiguity_weights(region)
    interior = int(np.flatnonzero(region == h3int.latlng_to_cell(NANJING[1], NANJING[0], RES))[0])
    assert len(w.neighbors[interior]) == 6
    for i, around in w.neighbors.items():
        for j in around:
            assert i in w.neighbors[j]
            assert h3int.are_neighbor_cells(int(region[i]), int(region[j]))
    assert min(w.cardinalities.values()) == 3  # corners of the patch


# --- Gi* -----------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # esda's own, called directly
def test_gi_star_matches_esda_on_the_same_weights_and_seed(region):
    y = np.random.default_rng(3).poisson(4, region.size).astype(float)
    w = contiguity_weights(region)
    ours = gi_star(y, w, rng=np.random.default_rng(7), permutations=99)
    seed = int(np.random.default_rng(7).integers(0, 2**31 - 1))
    theirs = esda.G_Local(
        y, w, transform="B", star=True, permutations=99, seed=seed, keep_simulations=True
    )
    np.testing.assert_allclose(ours.z, theirs.z_sim)
    np.testing.assert_allclose(ours.p, np.minimum(1, 2 * theirs.p_z_sim))
    np.testing.assert_allclose(ours.p_sim, theirs.p_sim)
    np.testing.assert_allclose(ours.p_fdr, stats.false_discovery_control(ours.p, method="bh"))


def test_gi_star_leaves_numpys_global_random_state_alone(region):
    y = np.random.default_rng(3).poisson(4, region.size).astype(float)
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    gi_star(y, contiguity_weights(region), rng=np.random.default_rng(0), permutations=99)
    assert np.random.random() == expected


def test_gi_star_refuses_an_all_empty_area(region):
    with pytest.raises(InputError, match="every cell is empty"):
        gi_star(np.zeros(region.size), contiguity_weights(region), rng=np.random.default_rng(0))


def test_spatially_random_points_give_almost_no_significant_cell(region):
    rng = np.random.default_rng(11)
    lon, lat = _uniform_in_cells(region, 20_000, rng)
    boundary = shapely.union_all(cell_polygons(region)).buffer(-1e-6)
    cells = hotspots(
        count_cells(_points(lon, lat), RES), rng=rng, ring=0, boundary=boundary,
        permutations=99,
    )  # fmt: skip
    assert len(cells) == region.size
    significant = (cells["hotspot_class"] != "not significant").mean()
    assert significant <= 0.01
    assert (cells["gi_p"] < 0.05).mean() > 0.01  # uncorrected tests do fire: FDR is at work


def test_an_injected_cluster_comes_out_hot(region):
    rng = np.random.default_rng(12)
    centre = int(region[len(region) // 3])
    cluster = np.asarray(h3int.grid_disk(centre, 1), dtype=np.uint64)
    lon, lat = _uniform_in_cells(region, 20_000, rng)
    extra_lon, extra_lat = _uniform_in_cells(cluster, 1_000, rng)
    points = _points(np.r_[lon, extra_lon], np.r_[lat, extra_lat])
    boundary = shapely.union_all(cell_polygons(region)).buffer(-1e-6)
    cells = hotspots(count_cells(points, RES), rng=rng, ring=0, boundary=boundary, permutations=99)
    by_cell = cells.set_index("h3")["hotspot_class"]
    assert by_cell[to_h3_strings([centre])[0]] == "hot 99%"
    assert by_cell[to_h3_strings(cluster)].str.startswith("hot").all()
    far = cells.loc[~cells["h3"].isin(to_h3_strings(h3int.grid_disk(centre, 3)))]
    assert (far["hotspot_class"].str.startswith("hot")).mean() <= 0.01


def test_hotspots_keep_the_zero_cells_they_are_given(region):
    counts = pd.Series(0, index=region)
    counts.iloc[:50] = 5
    cells = hotspots(counts, rng=np.random.default_rng(0), ring=0, permutations=99)
    assert len(cells) == region.size and cells["count"].sum() == 250
    assert list(cells.columns) == [
        "h3", "count", "gi_z", "gi_p", "gi_p_fdr", "hotspot_class", "geometry"
    ]  # fmt: skip


def test_classes_follow_z_sign_and_adjusted_p():
    z = [3.0, 3.0, 3.0, 3.0, -3.0, -3.0, 0.1]
    p = [0.001, 0.01, 0.05, 0.2, 0.02, 0.1, 0.001]
    assert classify(z, p).tolist() == [
        "hot 99%", "hot 99%", "hot 95%", "not significant", "cold 95%", "cold 90%", "hot 99%",
    ]  # fmt: skip


def test_bh_adjust_matches_scipy_and_keeps_nan():
    p = np.random.default_rng(5).uniform(size=300) ** 3
    np.testing.assert_allclose(bh_adjust(p), stats.false_discovery_control(p, method="bh"))
    assert np.isnan(bh_adjust([0.01, np.nan])[1])
    assert bh_adjust([0.01, 0.04, 0.03, 0.5]).round(4).tolist() == [0.04, 0.0533, 0.0533, 0.5]


# --- Mann-Kendall --------------------------------------------------------------------


def test_mann_kendall_with_ties_matches_hand_computation():
    r = mann_kendall([1, 2, 2, 3, 5, 4, 6])
    # S: 21 pairs, 1 tie, 1 discordant (5 > 4) -> 19 - 1 = 18
    # var: (7*6*19 - 2*1*9) / 18 = 780 / 18; z = (18 - 1) / sqrt(780 / 18)
    z = 17 / math.sqrt(780 / 18)
    assert r.s[0] == 18 and r.var_s[0] == pytest.approx(780 / 18)
    assert r.z[0] == pytest.approx(z) and r.p[0] == pytest.approx(2 * stats.norm.sf(z))
    assert r.tau[0] == pytest.approx(18 / 21)


def test_mann_kendall_signs_and_a_constant_series():
    r = mann_kendall([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [2, 2, 2, 2, 2]])
    assert r.trend(0.05).tolist() == ["increasing", "decreasing", "no trend"]
    assert r.z[2] == 0 and r.p[2] == 1
    assert r.p[0] == pytest.approx(2 * stats.norm.sf(9 / math.sqrt(50 / 3)))


def test_mann_kendall_agrees_with_pymannkendall():
    pymk = pytest.importorskip("pymannkendall")
    series = np.random.default_rng(2).integers(0, 4, (30, 12)).astype(float)
    ours = mann_kendall(series)
    for i, row in enumerate(series):
        theirs = pymk.original_test(row)
        assert (ours.s[i], ours.var_s[i]) == pytest.approx((theirs.s, theirs.var_s))
        assert (ours.z[i], ours.p[i]) == pytest.approx((theirs.z, theirs.p))


# --- emerging hotspots ---------------------------------------------------------------


def test_emerging_categories_on_constructed_series():
    t = 10
    rising = np.linspace(2, 8, t)
    hot = np.array(
        [
            [False] * t,  # never hot
            [False] * (t - 1) + [True],  # only now
            [True] * t,  # always, rising z
            [True] * t,  # always, flat z
            [True] * t,  # always, falling z
            [True, False] * (t // 2),  # on and off
        ]
    )
    flat = 3 + 0.1 * np.array([1, -1] * (t // 2))
    now = np.r_[np.zeros(t - 1), 3]
    z = np.vstack([np.zeros(t), now, rising, flat, rising[::-1], np.tile([3, 0], t // 2)])
    categories = classify_emerging(hot, mann_kendall(z)).tolist()
    assert categories == [
        "not a hotspot", "new", "intensifying", "persistent", "diminishing", "sporadic",
    ]  # fmt: skip


def test_a_cluster_appearing_in_the_last_week_is_a_new_hotspot(region):
    rng = np.random.default_rng(21)
    centre = int(region[len(region) // 2])
    cluster = np.asarray(h3int.grid_disk(centre, 1), dtype=np.uint64)
    frames = []
    for week in range(4):
        lon, lat = _uniform_in_cells(region, 4_000, rng)
        if week == 3:
            extra = _uniform_in_cells(cluster, 600, rng)
            lon, lat = np.r_[lon, extra[0]], np.r_[lat, extra[1]]
        frame = _points(lon, lat)
        frame["reported_at"] = pd.Timestamp("2024-05-06") + pd.Timedelta(days=7 * week + 2)
        frames.append(frame)
    incidents = pd.concat(frames, ignore_index=True)
    counts = period_counts(incidents, RES, freq="W")
    assert counts.shape[1] == 4 and counts.to_numpy().sum() == len(incidents)
    boundary = shapely.union_all(cell_polygons(region)).buffer(-1e-6)
    cells = emerging_hotspots(counts, rng=rng, ring=0, boundary=boundary, permutations=99)
    assert cells.set_index("h3").loc[to_h3_strings([centre])[0], "category"] == "new"
    assert (cells["category"] == "not a hotspot").mean() > 0.95


# --- incidents -----------------------------------------------------------------------


@pytest.fixture
def raw_incidents() -> gpd.GeoDataFrame:
    frame = _points([NANJING[0]] * 5 + [NANJING[0] + 0.01], [NANJING[1]] * 6)
    frame["date"] = ["2024-05-01", "2024-05-01", "2024-05-02", None, "2024-06-10", "2024-05-03"]
    frame["time"] = ["08:30", "08:30", None, None, "23:00", "7:05"]
    frame["类别"] = ["0304", "0304", "0304", "0101", "0304", "0101"]
    return frame


def test_prepare_reports_duplicates_and_missing_times(raw_incidents):
    out, report = prepare_incidents(raw_incidents)
    assert (report.rows, report.duplicates, report.kept) == (6, 1, 5)
    assert (report.without_date, report.without_time_of_day) == (1, 1)
    assert report.time_fields == ("date", "time") and report.category_field == "类别"
    assert out["reported_at"].tolist()[:2] == [pd.Timestamp("2024-05-01 08:30"),
                                               pd.Timestamp("2024-05-02")]  # fmt: skip
    assert out["reported_at"].iloc[-1] == pd.Timestamp("2024-05-03 07:05")


def test_prepare_window_drops_undated_rows_only_when_a_window_is_given(raw_incidents):
    may = {"start": dt.date(2024, 5, 1), "end": dt.date(2024, 5, 31)}
    out, report = prepare_incidents(raw_incidents, **may)
    assert report.outside_window == 2 and len(out) == 3  # the undated row and June
    out, report = prepare_incidents(raw_incidents, categories=["0101"])
    assert len(out) == 2 and report.other_category == 3


def test_prepare_explains_an_empty_result_and_missing_fields(raw_incidents):
    with pytest.raises(InputError, match="no incident left"):
        prepare_incidents(raw_incidents, start=dt.date(2025, 1, 1))
    with pytest.raises(SchemaError, match="no report-time column"):
        prepare_incidents(raw_incidents.drop(columns=["date", "time"]), end=dt.date(2024, 5, 1))
    with pytest.raises(SchemaError, match="category field 'kind' not found"):
        prepare_incidents(raw_incidents, category_field="kind", categories=["x"])
