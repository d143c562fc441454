import pandas as pd
import pytest

from gis.errors import SchemaError
from gis.fields import canonical_frame, coerce_column, match_fields, normalise
from gis.layers import BUILDINGS, COMMUNITIES


def test_normalise_folds_case_blanks_and_dashes():
    assert normalise(" Building-Levels ") == "building_levels"


def test_chinese_aliases_are_matched():
    mapping = match_fields(["楼号", "户数", "层数", "geometry_x"], BUILDINGS)
    assert mapping == {"name": "楼号", "households": "户数", "floors": "层数"}


def test_osm_aliases_are_matched():
    mapping = match_fields(["osm_id", "building", "building_levels"], BUILDINGS)
    assert mapping == {"source_id": "osm_id", "use": "building", "floors": "building_levels"}


def test_explicit_mapping_wins_over_alias():
    mapping = match_fields(["户数", "住户总数"], BUILDINGS, {"households": "住户总数"})
    assert mapping["households"] == "住户总数"


def test_explicit_mapping_to_missing_column_lists_columns():
    with pytest.raises(SchemaError, match="columns found: 户数"):
        match_fields(["户数"], BUILDINGS, {"households": "住户数量"})


def test_explicit_mapping_to_unknown_field_is_refused():
    with pytest.raises(SchemaError, match="no field 'population'"):
        match_fields(["人口"], BUILDINGS, {"population": "人口"})


def test_missing_required_field_lists_columns_and_aliases():
    with pytest.raises(SchemaError) as err:
        match_fields(["名称", "备注"], COMMUNITIES)
    message = str(err.value)
    assert "社区编码" in message and "Columns found: 名称, 备注" in message
    assert "--field code=" in message


def test_numbers_are_read_from_chinese_text():
    values = coerce_column(pd.Series(["18层", "约300户", None, 6.0]), BUILDINGS.field("floors"))
    assert values.tolist()[:2] == [18, 300] and pd.isna(values[2]) and values[3] == 6


def test_value_without_number_names_the_feature():
    with pytest.raises(SchemaError) as err:
        coerce_column(pd.Series([3, "未知"]), BUILDINGS.field("floors"))
    assert err.value.feature == 1


def test_codes_read_as_floats_become_digit_strings():
    values = coerce_column(pd.Series([320102002001.0]), COMMUNITIES.field("code"))
    assert values[0] == "320102002001"


def test_canonical_frame_has_every_field():
    frame = canonical_frame(pd.DataFrame({"户数": [10]}), BUILDINGS, {"households": "户数"})
    assert list(frame.columns) == list(BUILDINGS.field_names)
    assert frame["households"][0] == 10 and pd.isna(frame["floors"][0])
