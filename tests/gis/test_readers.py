"""Tests of gis.readers and gis.esrijson: every fixture is written to tmp_path."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

from gis.errors import FormatError
from gis.readers import read_vector

CHINESE_NAMES = ["朝阳门街道建国门社区", "东华门街道多福巷社区", "鑫苑小区3号楼"]


def _frame(crs: str | None = "EPSG:4490") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"名称": CHINESE_NAMES, "户数": [120, 85, 40]},
        geometry=[box(116.40, 39.90, 116.41, 39.91), box(116.41, 39.90, 116.42, 39.91), None],
        crs=crs,
    )


def _write_shapefile(folder: Path, *, encoding: str, keep_cpg: bool) -> Path:
    folder.mkdir(exist_ok=True)
    shp = folder / "社区.shp"
    pyogrio.write_dataframe(_frame(), shp, encoding=encoding)
    if not keep_cpg:
        shp.with_suffix(".cpg").unlink(missing_ok=True)
    return shp


def _zip(path: Path, members: dict[str, Path | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            data = content.read_bytes() if isinstance(content, Path) else content
            archive.writestr(name, data)
    return path


def _shapefile_parts(shp: Path) -> dict[str, Path]:
    return {p.name: p for p in shp.parent.iterdir() if p.stem == shp.stem}


def _esri(features: list[dict], wkid: int | None = 3857, **extra) -> dict:
    reference = {"spatialReference": {"wkid": wkid}} if wkid else {}
    return {"geometryType": "esriGeometryPolygon", **reference, "features": features, **extra}


def _write_json(path: Path, obj: dict) -> Path:
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return path


def _esri_area(tmp_path: Path, ring: list) -> float:
    feature = {"attributes": {"id": 1}, "geometry": {"curveRings": [ring]}}
    raw = read_vector(_write_json(tmp_path / "curve.json", _esri([feature])))
    return raw.frame.geometry.iloc[0].area


# --- formats ----------------------------------------------------------------------------


def test_reads_gpkg_with_its_crs(tmp_path):
    path = tmp_path / "communities.gpkg"
    _frame().to_file(path, layer="社区")
    raw = read_vector(path)
    assert (raw.format, raw.frame.crs.to_epsg(), list(raw.frame["名称"])) == (
        "gpkg",
        4490,
        CHINESE_NAMES,
    )


def test_gpkg_takes_only_spatial_layer_among_tables(tmp_path):
    path = tmp_path / "mixed.gpkg"
    _frame().to_file(path, layer="grids")
    pyogrio.write_dataframe(pd.DataFrame({"code": ["110101"]}), path, layer="codes")
    raw = read_vector(path)
    assert len(raw.frame) == 3
    assert any("'grids'" in note for note in raw.notes)


def test_gpkg_layer_argument_picks_layer(tmp_path):
    path = tmp_path / "two.gpkg"
    _frame().to_file(path, layer="a")
    _frame().iloc[:1].to_file(path, layer="b")
    assert len(read_vector(path, layer="b").frame) == 1


def test_gpkg_with_several_spatial_layers_lists_them(tmp_path):
    path = tmp_path / "two.gpkg"
    _frame().to_file(path, layer="streets")
    _frame().to_file(path, layer="buildings")
    with pytest.raises(FormatError, match="streets") as info:
        read_vector(path)
    assert "buildings" in str(info.value) and "layer=" in str(info.value)


def test_gpkg_unknown_layer_lists_layers(tmp_path):
    path = tmp_path / "one.gpkg"
    _frame().to_file(path, layer="streets")
    with pytest.raises(FormatError, match="no layer 'roads'.*streets"):
        read_vector(path, layer="roads")


def test_reads_geojson_with_declared_crs(tmp_path):
    path = tmp_path / "grids.geojson"
    _frame().to_file(path, driver="GeoJSON")
    raw = read_vector(path)
    assert (raw.format, raw.frame.crs.to_epsg(), raw.frame["名称"].iloc[0]) == (
        "geojson",
        4490,
        CHINESE_NAMES[0],
    )


def test_geojson_without_crs_member_is_wgs84_with_a_gcj02_hint(tmp_path):
    feature = {
        "type": "Feature",
        "properties": {"n": 1},
        "geometry": Point(116, 40).__geo_interface__,
    }
    path = _write_json(tmp_path / "p.json", {"type": "FeatureCollection", "features": [feature]})
    raw = read_vector(path)
    assert raw.frame.crs.to_epsg() == 4326
    assert any('without a "crs" member' in note and "gcj02" in note for note in raw.notes)


def test_sniffs_geojson_without_extension(tmp_path):
    source = tmp_path / "grids.geojson"
    _frame().to_file(source, driver="GeoJSON")
    path = tmp_path / "download"
    path.write_bytes(source.read_bytes())
    assert read_vector(path).format == "geojson"


def test_reads_shapefile_with_crs(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="UTF-8", keep_cpg=True)
    raw = read_vector(shp)
    assert (raw.format, raw.frame.crs.to_epsg(), raw.frame.geometry.name) == (
        "shapefile",
        4490,
        "geometry",
    )


def test_gbk_zipped_shapefile_without_cpg_decodes_chinese(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="GBK", keep_cpg=False)
    assert not shp.with_suffix(".cpg").exists()
    path = _zip(tmp_path / "gbk.zip", _shapefile_parts(shp))
    assert list(read_vector(path).frame["名称"]) == CHINESE_NAMES


def test_gbk_shapefile_without_cpg_notes_gb18030(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="GBK", keep_cpg=False)
    notes = read_vector(shp).notes
    assert any("GB18030" in note and "no .cpg" in note for note in notes)


def test_gbk_shapefile_with_cpg_honours_it(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="GBK", keep_cpg=True)
    raw = read_vector(shp)
    assert list(raw.frame["名称"]) == CHINESE_NAMES
    assert any(".cpg" in note for note in raw.notes)


def test_utf8_shapefile_with_cpg_decodes_chinese(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="UTF-8", keep_cpg=True)
    assert shp.with_suffix(".cpg").read_text().strip().upper().startswith("UTF")
    assert list(read_vector(shp).frame["名称"]) == CHINESE_NAMES


def test_utf8_shapefile_without_cpg_is_detected(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="UTF-8", keep_cpg=False)
    assert list(read_vector(shp).frame["名称"]) == CHINESE_NAMES


def test_zipped_shapefile_notes_member(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="UTF-8", keep_cpg=True)
    raw = read_vector(_zip(tmp_path / "layer.zip", _shapefile_parts(shp)))
    assert raw.format == "shapefile"
    assert raw.notes[0] == "read 社区.shp from layer.zip"


def test_zip_with_several_shapefiles_lists_them(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="UTF-8", keep_cpg=True)
    members = {f"{d}/{n}": p for d in ("a", "b") for n, p in _shapefile_parts(shp).items()}
    with pytest.raises(FormatError, match="2 shapefiles: a/社区.shp, b/社区.shp"):
        read_vector(_zip(tmp_path / "two.zip", members))


def test_zip_layer_argument_picks_shapefile(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="UTF-8", keep_cpg=True)
    members = {f"{d}/{n}": p for d in ("a", "b") for n, p in _shapefile_parts(shp).items()}
    raw = read_vector(_zip(tmp_path / "two.zip", members), layer="b/社区.shp")
    assert raw.notes[0] == "read b/社区.shp from two.zip"


def test_zip_with_gbk_member_names_lists_them_decoded(tmp_path):
    path = _zip(tmp_path / "gbk.zip", {"aaaa.shp": b"x", "bbbb.shp": b"x"})
    data = path.read_bytes().replace(b"aaaa", "社区".encode("gbk"))
    path.write_bytes(data.replace(b"bbbb", "网格".encode("gbk")))
    with pytest.raises(FormatError, match="社区.shp, 网格.shp"):
        read_vector(path)


@pytest.mark.parametrize("member", ["../evil.shp", "/etc/evil.shp", "a/../../evil.shp"])
def test_zip_member_outside_archive_is_refused(tmp_path, member):
    path = _zip(tmp_path / "evil.zip", {member: b"x", "ok.txt": b"x"})
    with pytest.raises(FormatError, match="outside the archive"):
        read_vector(path)


def test_damaged_zip_raises_format_error(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="UTF-8", keep_cpg=True)
    path = _zip(tmp_path / "layer.zip", _shapefile_parts(shp))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(FormatError, match="layer.zip"):
        read_vector(path)


def test_zip_with_one_geojson_reads_it(tmp_path):
    source = tmp_path / "grids.geojson"
    _frame().to_file(source, driver="GeoJSON")
    assert read_vector(_zip(tmp_path / "g.zip", {"grids.geojson": source})).format == "geojson"


# --- Esri JSON --------------------------------------------------------------------------


def test_esri_circle_of_two_arcs_has_circle_area(tmp_path):
    # Clockwise circle of radius 100 m about (500000, 4400000), as two half-circle arcs.
    cx, cy = 500_000.0, 4_400_000.0
    ring = [
        [cx - 100, cy],
        {"c": [[cx + 100, cy], [cx, cy + 100]]},
        {"c": [[cx - 100, cy], [cx, cy - 100]]},
    ]
    assert _esri_area(tmp_path, ring) == pytest.approx(math.pi * 100**2, rel=1e-3)


def test_esri_rectangle_with_arc_side_has_analytic_area(tmp_path):
    # 200 x 100 rectangle whose top side is a half circle of radius 100 bulging out.
    ring = [[0, 0], [0, 100], {"c": [[200, 100], [100, 200]]}, [200, 0], [0, 0]]
    expected = 200 * 100 + math.pi * 100**2 / 2
    assert _esri_area(tmp_path, ring) == pytest.approx(expected, rel=1e-3)


def test_esri_minor_arc_segment_has_analytic_area(tmp_path):
    # Chord from (-60, 80) to (60, 80) on a circle of radius 100 about the origin, closed
    # by the arc over the top: a circular segment of central angle 2*asin(0.6).
    ring = [[-60, 80], {"c": [[60, 80], [0, 100]]}, [-60, 80]]
    angle = 2 * math.asin(0.6)
    expected = 100**2 / 2 * (angle - math.sin(angle))
    assert _esri_area(tmp_path, ring) == pytest.approx(expected, rel=1e-3)


def test_esri_centre_arc_full_circle_has_circle_area(tmp_path):
    ring = [[100, 0], {"a": [[100, 0], [0, 0], 0, 1]}]
    assert _esri_area(tmp_path, ring) == pytest.approx(math.pi * 100**2, rel=1e-3)


def test_esri_elliptic_arc_full_ellipse_has_ellipse_area(tmp_path):
    # Major axis 100 turned 90 degrees (along y), minor axis 50.
    ring = [[0, 100], {"a": [[0, 100], [0, 0], 0, 1, math.pi / 2, 100, 0.5]}]
    assert _esri_area(tmp_path, ring) == pytest.approx(math.pi * 100 * 50, rel=1e-3)


def test_esri_half_circle_centre_arc_has_analytic_area(tmp_path):
    ring = [[-100, 0], {"a": [[100, 0], [0, 0], 1, 1]}, [-100, 0]]
    assert _esri_area(tmp_path, ring) == pytest.approx(math.pi * 100**2 / 2, rel=1e-3)


def test_esri_centre_arc_follows_clockwise_flag(tmp_path):
    # Clockwise from west to east about the origin passes north of the centre.
    ring = [[-100, 0], {"a": [[100, 0], [0, 0], 1, 1]}, [-100, 0]]
    path = _write_json(tmp_path / "a.json", _esri([{"geometry": {"curveRings": [ring]}}]))
    _, miny, _, maxy = read_vector(path).frame.geometry.iloc[0].bounds
    assert (miny, maxy) == pytest.approx((0, 100), abs=1e-6)


def test_esri_elliptic_quarter_arc_has_analytic_area(tmp_path):
    # Counter-clockwise quarter of the 100 x 50 ellipse, closed through its centre.
    ring = [[0, 0], [100, 0], {"a": [[0, 50], [0, 0], 1, 0, 0, 100, 0.5]}, [0, 0]]
    assert _esri_area(tmp_path, ring) == pytest.approx(math.pi * 100 * 50 / 4, rel=1e-3)


def test_esri_bezier_has_analytic_area(tmp_path):
    # The area between this cubic and its chord is 0.6 * width * height.
    ring = [[0, 0], {"b": [[100, 0], [0, 100], [100, 100]]}, [0, 0]]
    assert _esri_area(tmp_path, ring) == pytest.approx(0.6 * 100 * 100, rel=1e-3)


def test_esri_curves_are_noted(tmp_path):
    ring = [[0, 0], [0, 100], {"c": [[200, 100], [100, 200]]}, [200, 0], [0, 0]]
    path = _write_json(tmp_path / "c.json", _esri([{"geometry": {"curveRings": [ring]}}]))
    assert any("densified 1 curveRings" in note for note in read_vector(path).notes)


@pytest.mark.parametrize(("wkid", "epsg"), [(4490, 4490), (102100, 3857), (4326, 4326)])
def test_esri_crs_from_wkid(tmp_path, wkid, epsg):
    feature = {"attributes": {"id": 1}, "geometry": {"x": 116.4, "y": 39.9}}
    path = _write_json(tmp_path / "p.json", _esri([feature], wkid=wkid))
    assert read_vector(path).frame.crs.to_epsg() == epsg


def test_esri_latest_wkid_wins(tmp_path):
    feature = {"attributes": {}, "geometry": {"x": 1.0, "y": 2.0}}
    obj = _esri([feature], wkid=None, spatialReference={"wkid": 102100, "latestWkid": 3857})
    assert read_vector(_write_json(tmp_path / "p.json", obj)).frame.crs.to_epsg() == 3857


def test_esri_rings_with_hole_make_valid_polygon(tmp_path):
    shell = [[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]  # clockwise: Esri shell
    hole = [[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]]  # counter-clockwise: Esri hole
    feature = {"attributes": {"名称": "社区"}, "geometry": {"rings": [hole, shell]}}
    raw = read_vector(_write_json(tmp_path / "h.esrijson", _esri([feature])))
    polygon = raw.frame.geometry.iloc[0]
    assert (raw.format, polygon.geom_type, len(polygon.interiors)) == ("esrijson", "Polygon", 1)
    assert polygon.is_valid and polygon.area == pytest.approx(96)


def test_esri_two_shells_make_multipolygon(tmp_path):
    first = [[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]
    second = [[5, 0], [5, 1], [6, 1], [6, 0], [5, 0]]
    feature = {"geometry": {"rings": [first, second]}}
    raw = read_vector(_write_json(tmp_path / "m.json", _esri([feature])))
    assert raw.frame.geometry.iloc[0].geom_type == "MultiPolygon"


def test_esri_counter_clockwise_rings_are_organised_by_nesting(tmp_path):
    shell = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]]
    raw = read_vector(
        _write_json(tmp_path / "n.json", _esri([{"geometry": {"rings": [shell, hole]}}]))
    )
    assert raw.frame.geometry.iloc[0].area == pytest.approx(96)


def test_esri_paths_make_lines(tmp_path):
    feature = {"attributes": {}, "geometry": {"paths": [[[0, 0], [1, 1]], [[2, 2], [3, 3]]]}}
    raw = read_vector(_write_json(tmp_path / "l.json", _esri([feature])))
    assert raw.frame.geometry.iloc[0].geom_type == "MultiLineString"


def test_esri_attributes_keep_names_and_values(tmp_path):
    feature = {"attributes": {"名称": "多福巷社区", "户数": 85}, "geometry": {"x": 1, "y": 2}}
    raw = read_vector(_write_json(tmp_path / "a.json", _esri([feature])))
    assert raw.frame.iloc[0][["名称", "户数"]].tolist() == ["多福巷社区", 85]


def test_esri_date_fields_become_datetimes(tmp_path):
    feature = {"attributes": {"updated": 1_700_000_000_000}, "geometry": {"x": 1, "y": 2}}
    fields = [{"name": "updated", "type": "esriFieldTypeDate"}]
    raw = read_vector(_write_json(tmp_path / "d.json", _esri([feature], fields=fields)))
    assert raw.frame["updated"].iloc[0] == pd.Timestamp("2023-11-14 22:13:20")


def test_esri_malformed_geometry_names_feature(tmp_path):
    features = [{"geometry": {"x": 1, "y": 2}}, {"geometry": {"rings": [[["a", "b"]]]}}]
    with pytest.raises(FormatError, match=r"malformed Esri JSON geometry.*\(feature 1\)"):
        read_vector(_write_json(tmp_path / "bad.json", _esri(features)))


def test_arcgis_error_response_raises_format_error(tmp_path):
    obj = {"error": {"code": 400, "message": "Invalid query parameters"}}
    with pytest.raises(FormatError, match="ArcGIS error response.*Invalid query"):
        read_vector(_write_json(tmp_path / "e.json", obj))


# --- CSV --------------------------------------------------------------------------------


def test_gbk_csv_with_chinese_lon_lat_columns(tmp_path):
    path = tmp_path / "facilities.csv"
    text = "名称,经度,纬度,类别代码\n路灯,116.40,39.90,0101\n消防栓,116.41,39.91,0102\n"
    path.write_bytes(text.encode("gbk"))
    raw = read_vector(path)
    assert (raw.format, raw.frame.crs) == ("csv", None)
    assert list(raw.frame["名称"]) == ["路灯", "消防栓"]
    assert raw.frame.geometry.iloc[1].equals(Point(116.41, 39.91))


def test_gbk_csv_notes_encoding(tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_bytes("名称,经度,纬度\n路灯,116.40,39.90\n".encode("gbk"))
    assert any("GB18030" in note for note in read_vector(path).notes)


def test_csv_keeps_codes_as_text(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("class_code,lon,lat\n0101,116.4,39.9\n", encoding="utf-8")
    assert read_vector(path).frame["class_code"].iloc[0] == "0101"


def test_utf8_bom_csv_with_aliases_in_other_case(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("Name,Longitude,LAT\n社区,116.4,39.9\n", encoding="utf-8-sig")
    raw = read_vector(path)
    assert list(raw.frame.columns) == ["Name", "Longitude", "LAT", "geometry"]
    assert raw.frame.geometry.iloc[0].equals(Point(116.4, 39.9))


def test_tab_separated_txt_with_point_x_y(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("名称\tPOINT_X\tPOINT_Y\n路灯\t116.4\t39.9\n", encoding="utf-8")
    assert read_vector(path).frame.geometry.iloc[0].equals(Point(116.4, 39.9))


def test_csv_rows_without_coordinates_are_noted(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("名称,lng,lat\n路灯,116.4,39.9\n消防栓,,\n", encoding="utf-8")
    raw = read_vector(path)
    assert raw.frame.geometry.iloc[1] is None
    assert any("1 rows have no numeric coordinates" in note for note in raw.notes)


def test_csv_without_lon_lat_lists_columns_and_aliases(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("名称,地址\n路灯,东城区\n", encoding="utf-8")
    with pytest.raises(FormatError, match="no longitude/latitude columns") as info:
        read_vector(path)
    message = str(info.value)
    assert "名称, 地址" in message and "经度" in message and "纬度" in message


# --- errors -----------------------------------------------------------------------------


def test_missing_path_raises_format_error(tmp_path):
    with pytest.raises(FormatError, match="does not exist"):
        read_vector(tmp_path / "nothing.gpkg")


def test_unknown_extension_raises_format_error(tmp_path):
    path = tmp_path / "drawing.dwg"
    path.write_bytes(b"AC1032\x00\x00binary")
    with pytest.raises(FormatError, match="drawing.dwg is not a supported vector format"):
        read_vector(path)


def test_shapefile_sidecar_raises_format_error(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="UTF-8", keep_cpg=True)
    with pytest.raises(FormatError, match="one part of a shapefile"):
        read_vector(shp.with_suffix(".dbf"))


def test_shapefile_without_shx_raises_format_error(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="UTF-8", keep_cpg=True)
    shp.with_suffix(".shx").unlink()
    with pytest.raises(FormatError, match="no .shx file"):
        read_vector(shp)


def test_truncated_geojson_raises_format_error(tmp_path):
    path = tmp_path / "cut.geojson"
    _frame().to_file(path, driver="GeoJSON")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(FormatError, match="cut.geojson is not valid JSON.*cut short"):
        read_vector(path)


def test_truncated_gpkg_raises_format_error(tmp_path):
    path = tmp_path / "cut.gpkg"
    _frame().to_file(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(FormatError, match="cut.gpkg cannot be read as a GeoPackage"):
        read_vector(path)


def test_truncated_shapefile_raises_format_error(tmp_path):
    shp = _write_shapefile(tmp_path / "shp", encoding="UTF-8", keep_cpg=True)
    shp.write_bytes(shp.read_bytes()[:60])
    with pytest.raises(FormatError, match="社区.shp"):
        read_vector(shp)


def test_not_a_gpkg_raises_format_error(tmp_path):
    path = tmp_path / "fake.gpkg"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(FormatError, match="fake.gpkg is not a GeoPackage"):
        read_vector(path)


def test_geojson_with_only_null_geometries_raises_format_error(tmp_path):
    features = [{"type": "Feature", "properties": {"n": i}, "geometry": None} for i in range(3)]
    path = _write_json(tmp_path / "n.geojson", {"type": "FeatureCollection", "features": features})
    with pytest.raises(FormatError, match="has no geometry: all 3 features"):
        read_vector(path)


def test_gpkg_attribute_table_raises_format_error(tmp_path):
    path = tmp_path / "table.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"code": ["110101"]}), path, layer="codes")
    with pytest.raises(FormatError, match="has no geometry.*attribute-only"):
        read_vector(path)


def test_zero_byte_file_raises_format_error(tmp_path):
    path = tmp_path / "empty.geojson"
    path.touch()
    with pytest.raises(FormatError, match=r"empty.geojson is empty \(0 bytes\)"):
        read_vector(path)


def test_geojson_without_features_says_layer_is_empty(tmp_path):
    path = _write_json(tmp_path / "e.geojson", {"type": "FeatureCollection", "features": []})
    with pytest.raises(FormatError, match="the layer has 0 features"):
        read_vector(path)


def test_empty_shapefile_says_layer_is_empty(tmp_path):
    shp = tmp_path / "empty.shp"
    pyogrio.write_dataframe(_frame().iloc[:0], shp)
    with pytest.raises(FormatError, match="the layer has 0 features"):
        read_vector(shp)


def test_esri_json_without_features_says_layer_is_empty(tmp_path):
    with pytest.raises(FormatError, match="the layer has 0 features"):
        read_vector(_write_json(tmp_path / "e.json", _esri([], fields=[{"name": "id"}])))


def test_esri_json_without_geometry_type_or_features_says_layer_is_empty(tmp_path):
    obj = {"fields": [{"name": "id"}], "spatialReference": {"wkid": 4490}, "features": []}
    with pytest.raises(FormatError, match="the layer has 0 features"):
        read_vector(_write_json(tmp_path / "e.json", obj))


def test_json_of_other_kind_raises_format_error(tmp_path):
    path = _write_json(tmp_path / "config.json", {"name": "x", "version": 2})
    with pytest.raises(FormatError, match="neither GeoJSON nor Esri JSON.*name, version"):
        read_vector(path)


def test_format_error_carries_a_fix(tmp_path):
    path = tmp_path / "cut.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(FormatError) as info:
        read_vector(path)
    assert info.value.fix
