"""Public assertion helpers for grid partitions, for wangge's tests and anyone else's.

Example
-------
>>> import numpy as np
>>> from gis.synthetic import make_city
>>> from gis.partition import GridPartitioner
>>> city = make_city("tiny", rng=np.random.default_rng(0))
>>> result = GridPartitioner(rng=np.random.default_rng(0)).solve(
...     city.communities, city.buildings, compounds=city.compounds, roads=city.roads)
>>> assert_valid_partition(result, city.communities)
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.metrics import coverage, split_compounds
from gis.partition.codes import reading_order
from gis.partition.params import PartitionParams
from gis.partition.solver import PartitionResult, community_of_buildings

_CODE = re.compile(r"^\d{15}$")


def assert_valid_partition(
    result: PartitionResult,
    communities: gpd.GeoDataFrame,
    *,
    params: PartitionParams | None = None,
    max_gap_m2: float = 1.0,
    require_band: bool = False,
    check_order: bool = False,
) -> None:
    """Assert the invariants every grid partition must keep.

    Checked: every building inside a community is in exactly one grid of that community
    and buildings outside every community are in none; grid households are the sum of
    their buildings'; codes are 15 digits, the community's code plus a unique 001–999
    sequence; every grid is one valid polygon; a community's grids tile it (gaps,
    overlaps and area outside each below ``max_gap_m2``); no compound whose households fit
    the band is split. Optionally: every unflagged grid in the band, and sequence numbers
    in reading order (rows north to south, west to east).

    Raises
    ------
    AssertionError
        Naming the first invariant broken and where.
    """
    params = params or PartitionParams()
    crs = result.crs
    grids = result.grids.to_crs(crs)
    buildings = result.buildings
    _check_membership(result, communities.to_crs(crs), buildings.to_crs(crs))
    _check_codes(grids)
    _check_households(grids, buildings)
    _check_geometry(grids, communities.to_crs(crs).set_index("code"), max_gap_m2)
    if "compound" in buildings:
        split = split_compounds(buildings, params.upper)
        assert split == 0, f"{split} compounds that fit the band are split across grids"
    if require_band:
        _check_band(grids, params)
    if check_order:
        _check_order(grids)


def _check_membership(result, communities, buildings) -> None:  # noqa: ANN001
    owner = community_of_buildings(communities, buildings)
    codes = communities["code"].astype(str).to_numpy()
    expected = np.where(owner >= 0, codes[np.maximum(owner, 0)], None)
    grid_codes = buildings["grid_code"].to_numpy()
    outside = owner < 0
    assert all(g is None or pd.isna(g) for g in grid_codes[outside]), (
        "a building outside every community was given a grid"
    )
    inside = ~outside
    missing = [i for i in np.flatnonzero(inside) if grid_codes[i] is None or pd.isna(grid_codes[i])]
    assert not missing, f"{len(missing)} buildings inside a community have no grid: {missing[:5]}"
    wrong = [
        i for i in np.flatnonzero(inside) if not str(grid_codes[i]).startswith(str(expected[i]))
    ]
    assert not wrong, f"{len(wrong)} buildings are in a grid of another community: {wrong[:5]}"
    unknown = set(grid_codes[inside]) - set(result.grids["grid_code"])
    assert not unknown, f"buildings refer to grids that do not exist: {sorted(unknown)[:5]}"


def _check_codes(grids: gpd.GeoDataFrame) -> None:
    bad = [c for c in grids["grid_code"] if not _CODE.match(str(c))]
    assert not bad, f"grid codes are not 15 digits: {bad[:5]}"
    assert grids["grid_code"].is_unique, "grid codes repeat"
    for code, part in grids.groupby("community_code"):
        assert all(str(c).startswith(str(code)) for c in part["grid_code"]), (
            f"grids of {code} carry another community's code"
        )
        seqs = part["grid_code"].str[-3:].astype(int)
        assert seqs.between(1, 999).all(), f"sequence numbers of {code} outside 001–999"


def _check_households(grids: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> None:
    sums = buildings.groupby("grid_code")["households"].sum()
    stated = grids.set_index("grid_code")["households"]
    differ = stated[stated != sums.reindex(stated.index).fillna(0)]
    assert differ.empty, (
        f"grid households differ from their buildings' sum: {list(differ.index[:5])}"
    )


def _check_geometry(grids: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, max_gap: float) -> None:
    invalid = grids.loc[~grids.is_valid, "grid_code"].tolist()
    assert not invalid, f"invalid grid polygons: {invalid[:5]}"
    pieces = grids.loc[grids.geometry.count_geometries() != 1, "grid_code"].tolist()
    assert not pieces, f"grids not in one piece: {pieces[:5]}"
    for code, part in grids.groupby("community_code"):
        cover = coverage(part.geometry, communities.geometry[code])
        for key, value in cover.items():
            assert value < max_gap, f"community {code}: {key} = {value:.3f} m² ≥ {max_gap}"


def _check_band(grids: gpd.GeoDataFrame, params: PartitionParams) -> None:
    regular = grids[grids["flag"].fillna("") == ""]
    out = regular[(regular["households"] < params.lower) | (regular["households"] > params.upper)]
    assert out.empty, (
        f"grids out of band {params.lower:.0f}–{params.upper:.0f}: "
        f"{dict(zip(out['grid_code'], out['households'], strict=True))}"
    )


def _check_order(grids: gpd.GeoDataFrame) -> None:
    for code, part in grids.groupby("community_code"):
        part = part.sort_values("grid_code")
        centres = part.geometry.representative_point()
        side = float(np.sqrt(np.median(part.area)))
        order = reading_order(centres.x.to_numpy(), centres.y.to_numpy(), side)
        assert list(order) == list(range(len(part))), (
            f"grids of {code} are not numbered west→east, north→south"
        )
