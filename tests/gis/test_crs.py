import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from gis import chinacoords as cc
from gis.crs import check_lonlat, metric_crs, parse_crs, to_wgs84
from gis.errors import CRSError, InputError

NANJING = (118.78, 32.04)
SHANGHAI = (121.47, 31.23)
# A city system: Gauss-Krüger on GRS80 with a custom central meridian.
CITY_PROJ = (
    "+proj=tmerc +lat_0=0 +lon_0=118.5 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
)
# The same kind of system as a .prj file ships it (ESRI WKT), with a false northing.
CITY_WKT = (
    'PROJCS["Local_GK_CM_118_30",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
    'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    'PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],'
    'PARAMETER["False_Northing",-3000000.0],PARAMETER["Central_Meridian",118.5],'
    'PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)


def _frame(geoms, crs=None):
    return gpd.GeoDataFrame({"name": [f"f{i}" for i in range(len(geoms))]}, geometry=geoms, crs=crs)


def _projected(lonlat, crs):
    """The point ``lonlat`` (CGCS2000 degrees) in ``crs``, by pyproj, as (x, y)."""
    transformer = pyproj.Transformer.from_crs(4490, crs, always_xy=True)
    return transformer.transform(*lonlat)


def _xy(frame):
    return tuple(frame.geometry.iloc[0].coords[0])


def _shift(geoms, forward):
    def fn(coords):
        out = coords.copy()
        out[:, 0], out[:, 1] = forward(coords[:, 0], coords[:, 1])
        return out

    return list(shapely.transform(np.asarray(geoms, dtype=object), fn, include_z=None))


def _mixed_geometries():
    """Point, line, polygon with a hole and multipolygon around Shanghai (WGS84)."""
    x, y = SHANGHAI
    outer = [(x, y), (x + 0.02, y), (x + 0.02, y + 0.02), (x, y + 0.02)]
    hole = [(x + 0.005, y + 0.005), (x + 0.01, y + 0.005), (x + 0.01, y + 0.01)]
    return [
        Point(x, y),
        LineString([(x, y), (x + 0.05, y + 0.03)]),
        Polygon(outer, [hole]),
        MultiPolygon([Polygon(outer), Polygon([(x + 0.1, y), (x + 0.2, y), (x + 0.2, y + 0.1)])]),
    ]


# -- parse_crs -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["EPSG:4490", "epsg:4490", "4490", " 4490 "])
def test_parse_crs_reads_epsg_codes_with_or_without_prefix(text):
    assert parse_crs(text).crs.to_epsg() == 4490


def test_parse_crs_reads_every_cgcs2000_gauss_kruger_zone():
    parsed = [parse_crs(str(code)).crs for code in range(4491, 4555)]
    assert all(crs.is_projected and crs.datum.name == "China 2000" for crs in parsed)


def test_parse_crs_reads_a_custom_proj_string():
    params = {p.name: p.value for p in parse_crs(CITY_PROJ).crs.coordinate_operation.params}
    assert params["Longitude of natural origin"] == pytest.approx(118.5)


def test_parse_crs_reads_esri_wkt():
    crs = parse_crs(CITY_WKT).crs
    assert crs.is_projected and crs.datum.name == "China 2000"


@pytest.mark.parametrize("text", ["gcj02", "GCJ-02", "gcj", "Gcj_02"])
def test_parse_crs_reads_gcj02_names(text):
    assert parse_crs(text).china_offset == "gcj02"


@pytest.mark.parametrize("text", ["bd09", "BD-09", "baidu", "BAIDU"])
def test_parse_crs_reads_bd09_names(text):
    assert parse_crs(text).china_offset == "bd09"


def test_parse_crs_refuses_unknown_text_naming_it_and_the_accepted_forms():
    with pytest.raises(CRSError, match=r"'Xian80-ish'.*EPSG code.*WKT or PROJ.*gcj02"):
        parse_crs("Xian80-ish")


def test_parse_crs_refuses_a_vertical_crs():
    with pytest.raises(CRSError, match="not a horizontal"):
        parse_crs("EPSG:5773")


def test_parse_crs_refuses_baidu_mercator_with_a_fix():
    with pytest.raises(CRSError, match="bd09ll"):
        parse_crs("bd09mc")


# -- to_wgs84: CRS known to pyproj ---------------------------------------------------------


def test_to_wgs84_refuses_a_frame_without_crs_and_asks_for_crs():
    with pytest.raises(CRSError, match="no coordinate reference system.*--crs"):
        to_wgs84(_frame([Point(*SHANGHAI)]))


def test_to_wgs84_takes_cgcs2000_as_wgs84_with_a_note():
    out, notes = to_wgs84(_frame([Point(*SHANGHAI)], crs=4490))
    assert out.crs.to_epsg() == 4326 and _xy(out) == SHANGHAI
    assert any("CGCS2000" in note for note in notes)


def test_to_wgs84_puts_epsg_4547_easting_500000_on_central_meridian_114e():
    out, _ = to_wgs84(_frame([Point(500_000, 3_500_000)]), "4547")
    assert _xy(out)[0] == pytest.approx(114.0, abs=1e-9)


def test_to_wgs84_round_trips_a_point_through_epsg_4547():
    out, _ = to_wgs84(_frame([Point(*_projected(SHANGHAI, 4547))]), "EPSG:4547")
    assert _xy(out) == pytest.approx(SHANGHAI, abs=1e-9)


def test_to_wgs84_round_trips_a_point_through_a_custom_proj_string():
    out, _ = to_wgs84(_frame([Point(*_projected(NANJING, CITY_PROJ))]), CITY_PROJ)
    assert _xy(out) == pytest.approx(NANJING, abs=1e-9)


def test_to_wgs84_round_trips_a_point_through_esri_wkt():
    out, _ = to_wgs84(_frame([Point(*_projected(NANJING, CITY_WKT))]), CITY_WKT)
    assert _xy(out) == pytest.approx(NANJING, abs=1e-9)


def test_to_wgs84_honours_the_false_northing_of_a_wkt():
    # On the central meridian the easting is the false easting; the northing is the
    # meridian arc less the 3,000 km false northing.
    x, y = _projected((118.5, 32.0), CITY_WKT)
    assert x == pytest.approx(500_000, abs=1e-6) and 500_000 < y < 600_000


def test_given_crs_wins_over_the_files_and_says_so():
    frame = _frame([Point(*_projected(SHANGHAI, 4547))], crs=3857)
    out, notes = to_wgs84(frame, "4547")
    assert _xy(out) == pytest.approx(SHANGHAI, abs=1e-9)
    assert any("EPSG:3857" in note and "wins" in note for note in notes)


def test_given_crs_equal_to_the_files_adds_no_note():
    _, notes = to_wgs84(_frame([Point(*SHANGHAI)], crs=4326), "EPSG:4326")
    assert notes == []


def test_legacy_beijing_1954_datum_gets_a_warning_note():
    frame = _frame([Point(*_projected(SHANGHAI, 2437))], crs=2437)
    _, notes = to_wgs84(frame)
    assert any("Beijing 1954" in note and "metres" in note for note in notes)


def test_to_wgs84_does_not_modify_its_input():
    frame = _frame([Point(500_000, 3_500_000)], crs=4547)
    to_wgs84(frame)
    assert frame.crs.to_epsg() == 4547 and _xy(frame) == (500_000, 3_500_000)


def test_to_wgs84_refuses_metres_declared_as_degrees():
    with pytest.raises(CRSError, match="projected coordinates in metres"):
        to_wgs84(_frame([Point(*_projected(SHANGHAI, 4547))], crs=4490))


# -- to_wgs84: GCJ-02 and BD-09 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "forward"), [("gcj02", cc.wgs84_to_gcj02), ("bd09", cc.wgs84_to_bd09)]
)
def test_to_wgs84_inverts_web_map_shifts_for_every_geometry_type(name, forward):
    wgs = _mixed_geometries()
    out, _ = to_wgs84(_frame(_shift(wgs, forward), crs=4326), name)
    # 1e-7 degree is about 1 cm.
    assert all(shapely.equals_exact(a, b, 1e-7) for a, b in zip(out.geometry, wgs, strict=True))


def test_to_wgs84_keeps_the_holes_of_shifted_polygons():
    wgs = _mixed_geometries()
    out, _ = to_wgs84(_frame(_shift(wgs, cc.wgs84_to_gcj02)), "gcj02")
    assert len(out.geometry.iloc[2].interiors) == 1


def test_to_wgs84_keeps_z_of_shifted_geometries():
    out, _ = to_wgs84(_frame([Point(*cc.wgs84_to_gcj02(*SHANGHAI), 12.5)]), "gcj02")
    assert out.geometry.iloc[0].z == 12.5


def test_to_wgs84_notes_the_web_map_conversion():
    _, notes = to_wgs84(_frame([Point(*SHANGHAI)]), "GCJ-02")
    assert any("GCJ-02" in note and "iterative" in note for note in notes)


def test_to_wgs84_refuses_gcj02_outside_china():
    frame = _frame([Point(*SHANGHAI), Point(2.35, 48.85)], crs=4326)
    with pytest.raises(CRSError, match="GCJ-02 offsets are undefined outside China"):
        to_wgs84(frame, "gcj02")


def test_to_wgs84_refuses_bd09_in_taiwan():
    with pytest.raises(CRSError, match="BD-09 offsets are undefined outside China"):
        to_wgs84(_frame([Point(121.56, 25.03)]), "bd09")


# -- check_lonlat ---------------------------------------------------------------------------


def test_check_lonlat_accepts_longitude_latitude_in_china():
    assert check_lonlat(_frame([Point(*SHANGHAI), Point(*NANJING)], crs=4326)) is None


def test_check_lonlat_refuses_swapped_axes_of_chinese_data():
    # Urumqi and Kashgar as (lat, lon): every value is a valid longitude/latitude.
    frame = _frame([Point(43.83, 87.62), Point(39.47, 75.99)], crs=4326)
    with pytest.raises(CRSError, match="swapped"):
        check_lonlat(frame)


def test_check_lonlat_refuses_latitude_beyond_90_as_swapped():
    with pytest.raises(CRSError, match="swapped"):
        check_lonlat(_frame([Point(48.85, 172.35)], crs=4326))


def test_check_lonlat_refuses_projected_metres_naming_bounds_and_fix():
    frame = _frame([Point(438_123.4, 3_412_345.6)], crs=4326)
    with pytest.raises(
        CRSError,
        match=r"x 438123\.4 to 438123\.4, y 3412345\.6.*looks like projected coordinates in "
        r"metres.*give the right --crs",
    ):
        check_lonlat(frame)


def test_check_lonlat_suggests_the_zone_of_prefixed_gauss_kruger_eastings():
    with pytest.raises(CRSError, match="zone 38: --crs 4526"):
        check_lonlat(_frame([Point(38_438_123.0, 3_412_345.0)], crs=4326))


def test_check_lonlat_refuses_nan_coordinates_naming_the_feature():
    frame = _frame([Point(*SHANGHAI), Point(np.nan, 31.0)], crs=4326)
    with pytest.raises(CRSError, match=r"NaN or infinite.*\(feature 1\)"):
        check_lonlat(frame)


def test_check_lonlat_refuses_infinite_coordinates():
    with pytest.raises(CRSError, match="NaN or infinite"):
        check_lonlat(_frame([Point(np.inf, 31.0)], crs=4326))


def test_check_lonlat_refuses_a_layer_without_coordinates():
    with pytest.raises(CRSError, match="empty"):
        check_lonlat(_frame([Polygon(), None], crs=4326))


# -- metric_crs -----------------------------------------------------------------------------


def test_metric_crs_is_the_utm_zone_of_the_layer():
    assert metric_crs(_frame([Point(*SHANGHAI)], crs=4326)).to_epsg() == 32651


def test_metric_crs_is_in_metres():
    crs = metric_crs(_frame([Point(*NANJING)], crs=4326))
    assert crs.axis_info[0].unit_name == "metre"


def test_metric_crs_refuses_a_layer_without_crs():
    with pytest.raises(CRSError, match="--crs"):
        metric_crs(_frame([Point(*SHANGHAI)]))


def test_metric_crs_refuses_a_layer_without_coordinates():
    with pytest.raises(InputError, match="without coordinates"):
        metric_crs(_frame([Polygon()], crs=4326))
