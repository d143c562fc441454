"""Plan files: CSV of building → grid in UTF-8, BOM or GBK; grid layers by point."""

import geopandas as gpd
import pytest
from shapely import box

from gis.errors import FormatError, SchemaError
from gis.plan_files import assign_by_layer, read_assignments

ROWS = "building_id,grid_code,备注\n7,420106001001001,东区\n8,420106001001002,西区\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_assignments_are_read_in_each_encoding(tmp_path, encoding):
    path = tmp_path / "a.csv"
    path.write_bytes(ROWS.encode(encoding))
    table = read_assignments(path)
    assert table.to_dict("list") == {
        "building_id": [7, 8], "grid_code": ["420106001001001", "420106001001002"],
    }  # fmt: skip


def test_a_building_listed_twice_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("building_id,grid_code\n7,420106001001001\n7,420106001001002\n")
    with pytest.raises(SchemaError, match="building 7 is listed more than once"):
        read_assignments(path)


def test_bytes_that_are_no_text_are_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"\xff\xfe\xfa\x00\x81")
    with pytest.raises(FormatError, match="neither UTF-8 nor GBK"):
        read_assignments(path)


def test_buildings_go_to_the_grid_holding_their_point():
    buildings = gpd.GeoDataFrame(
        geometry=[box(1, 1, 2, 2), box(11, 1, 12, 2), box(30, 1, 31, 2)], index=[5, 6, 7]
    )
    grids = gpd.GeoDataFrame(
        {"grid_code": ["a", "b"]}, geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)]
    )
    placed = assign_by_layer(buildings, grids)
    assert placed[5] == "a" and placed[6] == "b" and placed.isna()[7]
