"""Household counts of buildings: which buildings are homes, and estimates where counts lack.

Real building data rarely carry household counts. When a residential building has none,
wangge estimates it from gross floor area: footprint area × floors ÷ the gross area of one
dwelling (default 90 m², a typical Chinese flat with its share of stairs and walls).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Values of a use column that mean a building is (at least partly) residential.
RESIDENTIAL_USES = frozenset(
    {
        "residential",
        "apartments",
        "apartment",
        "house",
        "houses",
        "dormitory",
        "detached",
        "semidetached_house",
        "terrace",
        "bungalow",
        "住宅",
        "住宅楼",
        "居住",
        "居民楼",
        "公寓",
        "宿舍",
        "商住",
        "商住楼",
        "住宅用地",
    }
)


@dataclass(frozen=True)
class HouseholdRules:
    """How missing household counts are estimated.

    Parameters
    ----------
    dwelling_area_m2 : float
        Gross floor area of one dwelling, m².
    floor_height_m : float
        Storey height, m, to derive floors from a building's height.
    default_floors : int or None
        Floors assumed for a residential building with neither floors nor height; ``None``
        leaves such a building without an estimate (its count stays missing).
    """

    dwelling_area_m2: float = 90.0
    floor_height_m: float = 3.0
    default_floors: int | None = 6


@dataclass(frozen=True)
class HouseholdResult:
    """Households per building and how they were obtained (Series aligned on the input)."""

    households: pd.Series
    estimated: pd.Series
    residential: pd.Series
    floors_used: pd.Series
    notes: list[str]


def is_residential(use: pd.Series, *, column_present: bool) -> pd.Series:
    """Tell which buildings are homes from a use column.

    Parameters
    ----------
    use : Series of str
        The building's use (``住宅``, ``residential``, ``school``…).
    column_present : bool
        Whether the file had a use column at all. Without one every building is taken as
        residential (a buildings layer given to a grid system is residential by default);
        with one, blank or unknown values are not residential.
    """
    if not column_present:
        return pd.Series(True, index=use.index)
    folded = use.fillna("").astype(str).str.strip().str.lower()
    return folded.isin(RESIDENTIAL_USES)


def floors_for_estimate(
    floors: pd.Series, height_m: pd.Series, rules: HouseholdRules
) -> tuple[pd.Series, pd.Series]:
    """Floors to use in the estimate, and where they came from.

    Floors given in the data win; else height ÷ storey height (at least 1); else the
    default. Returns ``(floors, source)`` where source is ``"floors"``, ``"height"``,
    ``"default"`` or ``"none"``.
    """
    out = pd.Series(floors.astype("Float64"), index=floors.index)
    source = pd.Series("floors", index=floors.index, dtype="object")
    from_height = out.isna() & height_m.notna() & (height_m > 0)
    out[from_height] = np.maximum(1.0, np.round(height_m[from_height] / rules.floor_height_m))
    source[from_height] = "height"
    rest = out.isna()
    source[rest] = "none"
    if rules.default_floors is not None:
        out[rest] = float(rules.default_floors)
        source[rest] = "default"
    return out, source


def estimate_households(
    households: pd.Series,
    footprint_m2: pd.Series,
    floors: pd.Series,
    height_m: pd.Series,
    residential: pd.Series,
    rules: HouseholdRules,
) -> HouseholdResult:
    """Fill missing household counts of residential buildings.

    Parameters
    ----------
    households : Series of Int64
        Counts from the data; missing where unknown.
    footprint_m2 : Series of float
        Footprint area in square metres (measured in a metric CRS by the caller).
    floors, height_m : Series
        Floors above ground and height in metres, missing where unknown.
    residential : Series of bool
        Which buildings are homes (see :func:`is_residential`).
    rules : HouseholdRules
        Dwelling size and storey height.

    Returns
    -------
    HouseholdResult
        Non-residential buildings without a count get 0 (not flagged as estimated); a
        residential one gets ``max(1, round(area × floors / dwelling area))``.

    Examples
    --------
    >>> import pandas as pd
    >>> r = estimate_households(pd.Series([pd.NA], dtype="Int64"), pd.Series([450.0]),
    ...     pd.Series([6], dtype="Int64"), pd.Series([float("nan")]), pd.Series([True]),
    ...     HouseholdRules())
    >>> int(r.households[0]), bool(r.estimated[0])
    (30, True)
    """
    used, source = floors_for_estimate(floors, height_m, rules)
    missing = households.isna()
    to_estimate = missing & residential & used.notna()
    gross = footprint_m2[to_estimate] * used[to_estimate].astype(float)
    estimate = np.maximum(1, np.round(gross / rules.dwelling_area_m2)).astype("int64")
    out = households.astype("Int64").copy()
    out[to_estimate] = estimate
    out[missing & ~residential] = 0
    notes = []
    if to_estimate.any():
        counts = source[to_estimate].value_counts()
        how = ", ".join(f"{n} from {k}" for k, n in counts.items())
        notes.append(
            f"estimated households of {int(to_estimate.sum())} residential buildings "
            f"(footprint × floors ÷ {rules.dwelling_area_m2:g} m²; floors: {how})"
        )
    if (missing & ~residential).any():
        notes.append(
            f"{int((missing & ~residential).sum())} non-residential buildings: 0 households"
        )
    unresolved = missing & residential & used.isna()
    if unresolved.any():
        notes.append(
            f"{int(unresolved.sum())} residential buildings have no households, floors or height"
        )
    return HouseholdResult(out, to_estimate, residential, used, notes)
