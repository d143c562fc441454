import pandas as pd

from gis.households import HouseholdRules, estimate_households, is_residential

NA = pd.NA


def _run(households, area, floors, height, residential, rules=None):
    return estimate_households(
        pd.Series(households, dtype="Int64"),
        pd.Series(area, dtype="float64"),
        pd.Series(floors, dtype="Int64"),
        pd.Series(height, dtype="float64"),
        pd.Series(residential),
        rules or HouseholdRules(),
    )


def test_given_counts_are_kept_and_not_flagged():
    result = _run([120], [500.0], [6], [None], [True])
    assert result.households[0] == 120 and not result.estimated[0]


def test_estimate_is_area_times_floors_over_dwelling():
    result = _run([NA], [450.0], [6], [None], [True])
    assert result.households[0] == 30 and result.estimated[0]


def test_floors_come_from_height_when_missing():
    result = _run([NA], [300.0], [NA], [54.0], [True])
    assert result.floors_used[0] == 18 and result.households[0] == 60


def test_default_floors_used_last():
    result = _run([NA], [180.0], [NA], [None], [True], HouseholdRules(default_floors=5))
    assert result.households[0] == 10
    assert any("from default" in n for n in result.notes)


def test_no_default_leaves_count_missing():
    result = _run([NA], [180.0], [NA], [None], [True], HouseholdRules(default_floors=None))
    assert pd.isna(result.households[0])


def test_non_residential_get_zero_unflagged():
    result = _run([NA], [2000.0], [10], [None], [False])
    assert result.households[0] == 0 and not result.estimated[0]


def test_dwelling_size_is_configurable():
    result = _run([NA], [600.0], [6], [None], [True], HouseholdRules(dwelling_area_m2=120))
    assert result.households[0] == 30


def test_tiny_home_has_at_least_one_household():
    result = _run([NA], [20.0], [1], [None], [True])
    assert result.households[0] == 1


def test_use_values_classify_homes():
    use = pd.Series(["住宅", "residential", "school", None, "Apartments"])
    assert is_residential(use, column_present=True).tolist() == [True, True, False, False, True]


def test_without_use_column_everything_is_residential():
    assert is_residential(pd.Series([None, None]), column_present=False).all()
