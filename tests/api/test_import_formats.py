"""Each format goes all the way into PostGIS with the right values and positions."""

import json
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import sqlalchemy as sa
from pyproj import Geod
from shapely.geometry import Point, box

from api.loading import facility_class_names, load_layer
from gis.chinacoords import wgs84_to_bd09, wgs84_to_gcj02
from gis.importing import prepare_layer

GEOD = Geod(ellps="WGS84")
TRUTH = [(118.7801, 32.0412), (118.7855, 32.0473), (118.7912, 32.0398)]  # WGS84 lon, lat


def _facilities_from_db(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT ST_X(location), ST_Y(location) FROM facility ORDER BY source_id")
        ).all()
    return np.array(rows)


def _max_error_m(points):
    lon, lat = np.array(TRUTH).T
    _, _, dist = GEOD.inv(lon, lat, points[:, 0], points[:, 1])
    return float(np.max(dist))


def _csv_points(path, lon, lat):
    lines = ["编号,类别代码,经度,纬度"]
    lines += [f"f{i},0117,{x:.9f},{y:.9f}" for i, (x, y) in enumerate(zip(lon, lat, strict=True))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _load(engine, layer, path, **kw):
    classes = facility_class_names(engine) if layer == "facilities" else None
    return load_layer(engine, prepare_layer(layer, path, facility_classes=classes, **kw))


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_web_map_points_land_within_half_a_metre(db, tmp_path, system):
    forward = wgs84_to_gcj02 if system == "gcj02" else wgs84_to_bd09
    lon, lat = forward(*np.array(TRUTH).T)
    _load(db, "facilities", _csv_points(tmp_path / "p.csv", lon, lat), crs=system)
    assert _max_error_m(_facilities_from_db(db)) < 0.5


def test_web_map_points_without_conversion_would_be_hundreds_of_metres_off():
    lon, lat = wgs84_to_gcj02(*np.array(TRUTH).T)
    assert _max_error_m(np.column_stack([lon, lat])) > 100


def test_gauss_kruger_zone_file_lands_in_place(db, tmp_path):
    truth = gpd.GeoSeries([Point(x, y) for x, y in TRUTH], crs=4326)
    frame = gpd.GeoDataFrame({"类别代码": ["0117"] * 3, "编号": ["a", "b", "c"]},
                             geometry=truth.to_crs(4549).values)  # fmt: skip
    path = tmp_path / "gk.gpkg"
    frame.to_file(path)
    _load(db, "facilities", path)
    assert _max_error_m(_facilities_from_db(db)) < 0.01


def test_city_system_given_as_proj_string(db, tmp_path):
    local = "+proj=tmerc +lat_0=0 +lon_0=118.5 +k=1 +x_0=500000 +y_0=-3000000 +ellps=GRS80 +units=m"
    truth = gpd.GeoSeries([Point(x, y) for x, y in TRUTH], crs=4326).to_crs(local)
    path = _csv_points(tmp_path / "local.csv", truth.x, truth.y)
    _load(db, "facilities", path, crs=local)
    assert _max_error_m(_facilities_from_db(db)) < 0.01


def test_gbk_shapefile_keeps_chinese_names(db, tmp_path):
    frame = gpd.GeoDataFrame(
        {"社区编码": ["320102002001"], "社区名称": ["龙蟠里社区"]},
        geometry=[box(118.78, 32.04, 118.79, 32.05)],
        crs=4326,
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "社区.shp", encoding="GBK")
    (folder / "社区.cpg").unlink(missing_ok=True)
    archive = tmp_path / "communities.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    report = _load(db, "communities", archive)
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM community")).scalar_one() == "龙蟠里社区"
    assert report.format == "shapefile"


def test_esri_json_curve_ring_area_is_kept(db, tmp_path):
    """A compound outline with a round end: square 100 m + half disc r=50 m, in EPSG:4549."""
    x0, y0 = 573000.0, 3545000.0
    ring = [[x0, y0], [x0, y0 + 100], [x0 + 100, y0 + 100],
            {"c": [[x0 + 100, y0], [x0 + 150, y0 + 50]]}, [x0, y0]]  # fmt: skip
    doc = {
        "spatialReference": {"wkid": 4549},
        "features": [{"attributes": {"名称": "圆弧小区", "编号": "r1"},
                      "geometry": {"curveRings": [ring]}}],
    }  # fmt: skip
    path = tmp_path / "compound.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    _load(db, "compounds", path)
    with db.connect() as conn:
        area = conn.execute(
            sa.text("SELECT ST_Area(ST_Transform(outline, 4549)) FROM compound")
        ).scalar_one()
    truth = 100 * 100 + np.pi * 50**2 / 2
    assert area == pytest.approx(truth, rel=1e-3)
