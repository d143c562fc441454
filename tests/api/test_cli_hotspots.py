"""``wangge hotspots`` on files: the San Francisco sample and small made-up inputs."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import matplotlib
import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

from api.cli import app
from gis.hotspots import EMERGING_CATEGORIES

matplotlib.use("Agg")

SF = Path(__file__).resolve().parents[2] / "data" / "sf_incidents_2016" / "sf_incidents_4areas.csv"
COLUMNS = ["h3", "count", "gi_z", "gi_p", "gi_p_fdr", "hotspot_class"]
CLASS_COLOURS = {
    "hot 99%": "#b2182b", "hot 95%": "#ef8a62", "hot 90%": "#fddbc7",
    "not significant": "#f7f7f7", "cold 90%": "#d1e5f0", "cold 95%": "#67a9cf",
    "cold 99%": "#2166ac",
}  # fmt: skip

runner = CliRunner()
ENV = {"COLUMNS": "200"}


def _run(*args: str):
    return runner.invoke(app, ["hotspots", *args], env=ENV)


@pytest.fixture(scope="module")
def sf_result(tmp_path_factory) -> tuple[gpd.GeoDataFrame, str, Path]:
    out = tmp_path_factory.mktemp("sf") / "sf_hotspots.gpkg"
    result = _run("--incidents", str(SF), "--crs", "4326", "--resolution", "9",
                  "--permutations", "99", "--seed", "0", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    return gpd.read_file(out, layer="hotspots"), result.output, out


def test_sf_writes_one_row_per_cell_with_the_columns(sf_result):
    cells, _, out = sf_result
    assert [name for name, _ in pyogrio.list_layers(out)] == ["hotspots"]
    assert list(cells.columns) == [*COLUMNS, "geometry"]
    assert cells.crs.to_epsg() == 4326 and cells.geom_type.eq("Polygon").all()
    assert cells["h3"].is_unique and cells["h3"].str.len().eq(15).all()
    assert cells["count"].sum() == 9_624 - 101  # the duplicates are dropped
    assert (cells["count"] == 0).any()  # the ring of empty cells is part of the study area


def test_sf_reports_duplicates_and_missing_times(sf_result):
    _, output, _ = sf_result
    assert "9,624 rows read" in output
    assert "101 exact duplicate rows dropped" in output
    assert "1,984 with a date but no time of day" in output


def _bbox_holds(points: pd.DataFrame, centres: gpd.GeoSeries) -> pd.Series:
    x0, x1 = points["lon"].min(), points["lon"].max()
    y0, y1 = points["lat"].min(), points["lat"].max()
    return centres.x.between(x0, x1) & centres.y.between(y0, y1)


def test_sf_hot_area_is_the_densest_part_of_soma(sf_result):
    cells, _, _ = sf_result
    hot = cells[cells["hotspot_class"].str.startswith("hot")]
    assert 3 <= len(hot) <= 25
    assert cells.loc[cells["count"].idxmax(), "hotspot_class"] == "hot 99%"
    assert hot["count"].mean() > 3 * cells["count"].mean()
    areas = pd.read_csv(SF).groupby("area_file")
    centres = hot.geometry.representative_point()
    soma = pd.concat([areas.get_group("westSoma"), areas.get_group("hackReactor")])
    assert _bbox_holds(soma, centres).all()  # SoMa / Mid-Market, around 6th and Market
    assert not _bbox_holds(areas.get_group("bernalHeights"), centres).any()
    assert (hot["gi_z"] > 0).all() and (hot["gi_p_fdr"] <= 0.10).all()


def test_sf_map_renders_to_png(sf_result, tmp_path):
    import matplotlib.pyplot as plt

    cells, _, out = sf_result
    points = pd.read_csv(SF)
    fig, ax = plt.subplots(figsize=(7, 9))
    cells.plot(ax=ax, color=cells["hotspot_class"].map(CLASS_COLOURS), edgecolor="#999",
               linewidth=0.4)  # fmt: skip
    ax.scatter(points["lon"], points["lat"], s=0.3, c="k", alpha=0.3)
    ax.set_title("Gi* hotspots, SFPD incidents 2016 (DataSF), H3 res 9")
    png = out.with_suffix(".png")
    fig.savefig(png, dpi=80, bbox_inches="tight")
    plt.close(fig)
    assert png.stat().st_size > 20_000


def test_date_window_and_category_narrow_the_analysis(tmp_path):
    out = tmp_path / "june_theft.gpkg"
    result = _run("--incidents", str(SF), "--crs", "4326", "--from", "2016-06-01",
                  "--to", "2016-06-30", "--category", "LARCENY/THEFT", "--permutations", "99",
                  "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    points = pd.read_csv(SF).drop_duplicates()
    june = points["date"].str[:7].eq("2016-06") & points["category"].eq("LARCENY/THEFT")
    assert gpd.read_file(out)["count"].sum() == june.sum()
    assert "rows outside the date window left out" in result.output


def test_geojson_with_named_fields_and_gcj02(tmp_path):
    """A GeoJSON of points copied from AMap (GCJ-02), with Chinese column names."""
    from gis.chinacoords import wgs84_to_gcj02

    lon, lat = [118.78 + 0.001 * i for i in range(30)], [32.04] * 30
    glon, glat = wgs84_to_gcj02(lon, lat)
    frame = gpd.GeoDataFrame(
        {"上报时间": ["2024-05-01 08:00"] * 30, "事件类别": ["0304"] * 30},
        geometry=gpd.points_from_xy(glon, glat), crs="EPSG:4326",
    )  # fmt: skip
    path = tmp_path / "incidents.geojson"
    path.write_text(frame.to_json(), encoding="utf-8")
    out = tmp_path / "out.gpkg"
    result = _run("--incidents", str(path), "--crs", "gcj02", "--category", "0304",
                  "--from", "2024-05-01", "--permutations", "99", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    cells = gpd.read_file(out)
    assert cells["count"].sum() == 30
    assert cells.total_bounds[0] < 118.78 < cells.total_bounds[2]  # back in WGS84
    assert json.loads(path.read_text(encoding="utf-8"))["features"]


def test_csv_without_crs_is_refused_with_the_fix(tmp_path):
    result = _run("--incidents", str(SF), "--out", str(tmp_path / "x.gpkg"))
    assert result.exit_code == 2
    assert "no coordinate reference system" in result.output and "--crs" in result.output


def test_wrong_china_offset_is_refused(tmp_path):
    result = _run("--incidents", str(SF), "--crs", "bd09", "--out", str(tmp_path / "x.gpkg"))
    assert result.exit_code == 2 and "outside" in result.output


def test_missing_lon_field_is_named(tmp_path):
    result = _run("--incidents", str(SF), "--crs", "4326", "--lon-field", "x",
                  "--lat-field", "lat", "--out", str(tmp_path / "x.gpkg"))  # fmt: skip
    assert result.exit_code == 2 and "no column 'x'" in result.output


def test_empty_result_is_explained(tmp_path):
    result = _run("--incidents", str(SF), "--crs", "4326", "--from", "2020-01-01",
                  "--out", str(tmp_path / "x.gpkg"))  # fmt: skip
    assert result.exit_code == 2 and "no incident left" in result.output
    assert not (tmp_path / "x.gpkg").exists()


def test_bad_date_is_explained(tmp_path):
    result = _run("--incidents", str(SF), "--crs", "4326", "--to", "June",
                  "--out", str(tmp_path / "x.gpkg"))  # fmt: skip
    assert result.exit_code == 2 and "--to 'June' is not a date" in result.output


def test_emerging_by_month_writes_a_second_layer(tmp_path):
    out = tmp_path / "emerging.gpkg"
    result = _run("--incidents", str(SF), "--crs", "4326", "--emerging", "month",
                  "--permutations", "99", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [name for name, _ in pyogrio.list_layers(out)] == ["hotspots", "emerging"]
    trends = gpd.read_file(out, layer="emerging")
    assert set(trends["category"]) <= set(EMERGING_CATEGORIES)
    assert trends["periods"].eq(7).all()  # May to November 2016
    assert trends["count"].sum() == 9_624 - 101
    assert (trends["category"] != "not a hotspot").any()
    assert "emerging hotspots by month" in result.output
