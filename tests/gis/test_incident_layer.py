"""The incidents layer, pure part: aliases, CRS, times, duplicates, categories, keys."""

from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gis.chinacoords import wgs84_to_gcj02
from gis.errors import InputError, SchemaError
from gis.importing import prepare_layer
from gis.importing_incidents import read_category_map
from gis.incidents import DEFAULT_CLASSES

SUBCLASSES = {c.code: c.name for c in DEFAULT_CLASSES if len(c.code) == 4}
#: Points in Wuhan (EPSG:4326 degrees).
LON, LAT = 114.30 + np.arange(4) * 0.001, np.full(4, 30.55)


def _csv(tmp_path, rows: dict, name="incidents.csv", encoding="utf-8"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def _chinese(n=4, **extra):
    rows = {
        "编号": [f"E{i}" for i in range(n)], "事件类别代码": ["0102"] * n,
        "事件描述": [f"垃圾{i}" for i in range(n)], "上报时间": ["2024-03-01 08:00"] * n,
        "来源": ["网格员巡查", "居民上报", "12345热线", "其他渠道"][:n],
        "上报人": ["张三"] * n, "联系电话": ["13800000000"] * n,
        "经度": LON[:n], "纬度": LAT[:n],
    }  # fmt: skip
    rows.update(extra)
    return rows


def _sf(tmp_path, **extra):
    rows = {
        "category": ["LARCENY/THEFT", "ASSAULT", "VANDALISM", "LARCENY/THEFT"],
        "descript": ["GRAND THEFT", "BATTERY", "GRAFFITI", "PETTY THEFT"],
        "date": ["2016-06-12T00:00:00.000"] * 4, "time": ["16:00", "01:58", "", "23:30"],
        "lon": [-122.41, -122.40, -122.39, -122.38], "lat": [37.79] * 4,
    }  # fmt: skip
    rows.update(extra)
    return _csv(tmp_path, rows)


SF_MAP = {"LARCENY/THEFT": "0901", "ASSAULT": "5901", "VANDALISM": "0603"}


def _prepare(path, **kw):
    kw.setdefault("crs", "EPSG:4326")
    return prepare_layer("incidents", path, **kw)


def test_chinese_aliases_are_matched(tmp_path):
    prepared = _prepare(_csv(tmp_path, _chinese()))
    assert prepared.report.fields == {
        "class_code": "事件类别代码", "description": "事件描述", "reported_at": "上报时间",
        "source": "来源", "reporter_name": "上报人", "reporter_phone": "联系电话",
        "source_id": "编号",
    }  # fmt: skip


def test_english_aliases_are_matched(tmp_path):
    prepared = _prepare(_sf(tmp_path), categories=SF_MAP)
    assert prepared.report.fields == {
        "category": "category", "description": "descript", "reported_at": "date",
        "reported_time": "time",
    }  # fmt: skip


def test_chinese_source_names_map_to_terms(tmp_path):
    prepared = _prepare(_csv(tmp_path, _chinese()))
    assert list(prepared.frame["source"]) == ["patrol", "resident", "hotline", "other"]


def test_unknown_source_is_refused(tmp_path):
    rows = _chinese(来源=["网格员巡查", "微博", "居民上报", "微博"])
    with pytest.raises(SchemaError, match="unknown incident source.*微博"):
        _prepare(_csv(tmp_path, rows))


def test_gcj02_points_are_shifted_back_to_wgs84(tmp_path):
    x, y = wgs84_to_gcj02(LON, LAT)
    prepared = _prepare(_csv(tmp_path, _chinese(经度=x, 纬度=y)), crs="gcj02")
    got = shapely.get_coordinates(prepared.frame.geometry.array)
    metres = np.hypot((got[:, 0] - LON) * 96_000, (got[:, 1] - LAT) * 111_000)
    assert metres.max() < 0.05


def test_times_are_read_in_the_given_time_zone(tmp_path):
    path = _csv(tmp_path, _chinese(n=1))
    shanghai = _prepare(path).frame["reported_at"].iloc[0]
    la = _prepare(path, timezone="America/Los_Angeles").frame["reported_at"].iloc[0]
    assert (shanghai, la) == (
        datetime(2024, 3, 1, 0, tzinfo=UTC),
        datetime(2024, 3, 1, 16, tzinfo=UTC),
    )


def test_an_explicit_offset_wins_over_the_time_zone(tmp_path):
    path = _csv(tmp_path, _chinese(n=1, 上报时间=["2024-03-01T08:00:00+00:00"]))
    stamp = _prepare(path, timezone="America/Los_Angeles").frame["reported_at"].iloc[0]
    assert stamp == datetime(2024, 3, 1, 8, tzinfo=UTC)


def test_chinese_date_format_is_read(tmp_path):
    path = _csv(tmp_path, _chinese(n=1, 上报时间=["2024年3月1日 08:30"]))
    assert _prepare(path).frame["reported_at"].iloc[0] == datetime(2024, 3, 1, 0, 30, tzinfo=UTC)


def test_unknown_time_zone_is_refused(tmp_path):
    with pytest.raises(InputError, match="unknown time zone 'Mars/Olympus'"):
        _prepare(_csv(tmp_path, _chinese()), timezone="Mars/Olympus")


def test_date_and_time_columns_are_combined(tmp_path):
    frame = _prepare(_sf(tmp_path), categories=SF_MAP, timezone="America/Los_Angeles").frame
    # 2016-06-12 16:00 PDT (UTC-7) and 23:30 PDT, the next day in UTC
    assert frame["reported_at"].iloc[0] == datetime(2016, 6, 12, 23, 0, tzinfo=UTC)
    assert frame["reported_at"].iloc[3] == datetime(2016, 6, 13, 6, 30, tzinfo=UTC)


def test_missing_time_is_midnight_local_and_counted(tmp_path):
    prepared = _prepare(_sf(tmp_path), categories=SF_MAP, timezone="America/Los_Angeles")
    frame = prepared.frame
    assert list(frame["time_known"]) == [True, True, False, True]
    assert frame["reported_at"].iloc[2] == datetime(2016, 6, 12, 7, 0, tzinfo=UTC)
    assert prepared.report.times_missing == 1


def test_a_date_without_time_column_is_a_missing_time(tmp_path):
    path = _csv(tmp_path, _chinese(n=2, 上报时间=["2024-03-01", "2024-03-01 09:15"]))
    assert list(_prepare(path).frame["time_known"]) == [False, True]


def test_undated_rows_are_refused_naming_them(tmp_path):
    path = _csv(tmp_path, _chinese(上报时间=["2024-03-01", "", "2024-03-02", ""]))
    with pytest.raises(SchemaError, match=r"2 rows have no date \(features \[1, 3\]\)"):
        _prepare(path)


def test_undated_rows_can_be_skipped_and_are_reported(tmp_path):
    path = _csv(tmp_path, _chinese(上报时间=["2024-03-01", "", "2024-03-02", ""]))
    prepared = _prepare(path, skip_undated=True)
    assert (len(prepared.frame), prepared.report.undated_skipped) == (2, 2)


def test_unreadable_dates_are_refused(tmp_path):
    path = _csv(tmp_path, _chinese(上报时间=["2024-03-01", "昨天", "2024-03-02", "2024-03-03"]))
    with pytest.raises(SchemaError, match="1 rows have dates that cannot be read.*昨天"):
        _prepare(path)


def test_exact_duplicates_are_dropped_and_counted(tmp_path):
    rows = {k: [*v, v[0], v[0]] for k, v in _chinese(n=2).items()}
    prepared = _prepare(_csv(tmp_path, rows))
    assert (len(prepared.frame), prepared.report.duplicates_dropped) == (2, 2)


def test_rows_differing_in_one_field_are_not_duplicates(tmp_path):
    rows = _chinese(编号=["E0"] * 4)
    rows = {k: v for k, v in rows.items() if k != "编号"}
    rows["事件描述"] = ["a", "b", "c", "d"]
    assert _prepare(_csv(tmp_path, rows)).report.duplicates_dropped == 0


def test_categories_are_mapped_to_class_codes(tmp_path):
    frame = _prepare(_sf(tmp_path), categories={"larceny/theft ": "0901", **SF_MAP}).frame
    assert list(frame["class_code"]) == ["0901", "5901", "0603", "0901"]


def test_unmapped_categories_are_listed_with_counts_and_the_fix(tmp_path):
    with pytest.raises(SchemaError) as caught:
        _prepare(_sf(tmp_path), categories={"ASSAULT": "5901"})
    message = str(caught.value)
    assert "2 categories have no class code: LARCENY/THEFT (2), VANDALISM (1)" in message
    assert "--category-map" in message


def test_unknown_class_codes_are_refused(tmp_path):
    rows = _chinese(事件类别代码=["0102", "0199", "0102", "0199"])
    with pytest.raises(SchemaError, match=r"unknown incident class code\(s\): 0199 \(2\)"):
        _prepare(_csv(tmp_path, rows), incident_classes=SUBCLASSES)


def test_major_class_codes_are_refused(tmp_path):
    with pytest.raises(SchemaError, match="must be 4 digits"):
        _prepare(_csv(tmp_path, _chinese(事件类别代码=["01"] * 4)))


def test_source_ids_key_the_rows(tmp_path):
    frame = _prepare(_csv(tmp_path, _chinese())).frame
    assert list(frame["source_key"]) == ["id:E0", "id:E1", "id:E2", "id:E3"]


def test_rows_without_ids_get_the_same_keys_from_the_same_file(tmp_path):
    path = _sf(tmp_path)
    first = _prepare(path, categories=SF_MAP).frame["source_key"]
    second = _prepare(path, categories=SF_MAP).frame["source_key"]
    assert list(first) == list(second) and first.str.startswith("hash:").all()


def test_keys_change_with_the_time(tmp_path):
    la = _prepare(_sf(tmp_path), categories=SF_MAP, timezone="America/Los_Angeles")
    shanghai = _prepare(_sf(tmp_path), categories=SF_MAP)
    assert set(la.frame["source_key"]).isdisjoint(shanghai.frame["source_key"])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_category_map_is_read_in_utf8_or_gbk(tmp_path, encoding):
    path = tmp_path / "map.csv"
    path.write_bytes("category,class_code\n乱扔垃圾,0102\n占道,0402\n".encode(encoding))
    assert read_category_map(path) == {"乱扔垃圾": "0102", "占道": "0402"}


def test_category_map_with_a_bad_code_is_refused(tmp_path):
    path = tmp_path / "map.csv"
    path.write_text("category,class_code\nTHEFT,0901\nFRAUD,56\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"maps 'FRAUD' to '56' \(line 3\)"):
        read_category_map(path)


def test_category_map_without_the_columns_is_refused(tmp_path):
    path = tmp_path / "map.csv"
    path.write_text("类别,代码\nTHEFT,0901\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="category,class_code"):
        read_category_map(path)


def test_an_ambiguous_local_time_takes_its_first_offset(tmp_path):
    # 2016-11-06 01:30 happens twice in Los Angeles; the first time is daylight time, UTC-7
    path = _csv(tmp_path, _chinese(n=1, 上报时间=["2016-11-06 01:30"]))
    stamp = _prepare(path, timezone="America/Los_Angeles").frame["reported_at"].iloc[0]
    assert stamp == datetime(2016, 11, 6, 8, 30, tzinfo=UTC)


def test_geopackage_datetime_and_time_columns_are_read(tmp_path):
    frame = gpd.GeoDataFrame(
        {
            "category": ["ASSAULT", "ASSAULT"], "descript": ["BATTERY", "THREATS"],
            "datetime": pd.to_datetime(["2016-06-12 16:00", "2016-06-13 00:00"]),
            "time": ["16:00", None],
        },
        geometry=gpd.points_from_xy([-122.41, -122.40], [37.79, 37.79]), crs="EPSG:4326",
    )  # fmt: skip
    path = tmp_path / "sf.gpkg"
    frame.to_file(path, driver="GPKG")
    prepared = prepare_layer("incidents", path, categories=SF_MAP, timezone="America/Los_Angeles")
    assert prepared.report.fields["reported_at"] == "datetime"
    assert list(prepared.frame["reported_at"]) == [
        datetime(2016, 6, 12, 23, tzinfo=UTC), datetime(2016, 6, 13, 7, tzinfo=UTC),
    ]  # fmt: skip
    assert list(prepared.frame["time_known"]) == [True, False]


def test_unreadable_times_of_day_are_refused_showing_them(tmp_path):
    path = _sf(tmp_path, time=["16:00", "25:10", "", "noon"])
    with pytest.raises(SchemaError, match=r"2 rows have times of day .*\[1, 3\].*25:10, noon"):
        _prepare(path, categories=SF_MAP)
