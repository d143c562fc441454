import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from gis.errors import GeometryError
from gis.geometry import GeometryReport, clean_geometries, dissolve_by_id

BOWTIE = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])


def _frame(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=geoms, crs="EPSG:4326")


def test_self_intersecting_polygon_is_repaired_and_reported():
    frame, report = clean_geometries(_frame([BOWTIE, box(2, 2, 3, 3)]), "polygon")
    assert frame.geometry.is_valid.all()
    assert frame.geometry.iloc[0].area == pytest.approx(0.5)
    assert "repaired 1 invalid" in report.lines()[0] and "Self-intersection" in report.lines()[0]


def test_polygons_come_out_as_multipolygons():
    frame, _ = clean_geometries(_frame([box(0, 0, 1, 1)]), "polygon")
    assert frame.geometry.iloc[0].geom_type == "MultiPolygon"


def test_empty_and_line_features_are_dropped_and_listed():
    frame, report = clean_geometries(
        _frame([box(0, 0, 1, 1), None, LineString([(0, 0), (1, 1)])]), "polygon"
    )
    assert len(frame) == 1
    assert any("dropped 2" in line and "1, 2" in line for line in report.lines())


def test_no_usable_geometry_is_an_error():
    with pytest.raises(GeometryError, match="no feature has a usable polygon"):
        clean_geometries(_frame([Point(0, 0)]), "polygon")


def test_polygon_in_point_layer_becomes_a_point_with_report():
    frame, report = clean_geometries(_frame([box(0, 0, 2, 2), Point(5, 5)]), "point")
    assert list(frame.geom_type) == ["Point", "Point"]
    assert frame.geometry.iloc[0].within(box(0, 0, 2, 2))
    assert "not points" in report.lines()[0]


def test_pieces_sharing_an_id_are_dissolved():
    frame, _ = clean_geometries(
        _frame([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)], source_id=["a", "a", "b"]),
        "polygon",
    )
    report = GeometryReport()
    out = dissolve_by_id(frame, "source_id", report)
    assert len(out) == 2
    assert out.set_index("source_id").geometry["a"].area == pytest.approx(2.0)
    assert "merged 2 pieces into 1" in report.lines()[0]
