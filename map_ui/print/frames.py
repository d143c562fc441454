"""Grid sheets from plain layers (files), without the database.

For ``wangge print --grids GRIDS.gpkg --buildings B.gpkg …``: the grid's buildings,
facilities and statistics are worked out here from the layers, in a local metric CRS
(areas in m²). Buildings belong to the grid their representative point lies in.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from gis.errors import InputError, NotFoundError
from map_ui.print.content import GridSheet
from map_ui.print.projection import local_crs


def _wgs84(frame: gpd.GeoDataFrame | None, layer: str) -> gpd.GeoDataFrame | None:
    if frame is None:
        return None
    if frame.crs is None:
        raise InputError(f"the {layer} layer has no CRS", fix="save it with its CRS (EPSG:4326)")
    return frame.to_crs("EPSG:4326")


def _seq(code: str, row: pd.Series) -> int:
    if "seq" in row and pd.notna(row["seq"]):
        return int(row["seq"])
    return int(code[-3:]) if code[-3:].isdigit() else 0


def sheet_from_frames(
    code: str,
    grids: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    facilities: gpd.GeoDataFrame | None = None,
    compounds: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    communities: gpd.GeoDataFrame | None = None,
    staff: list[dict] | None = None,
    margin_m: float = 400.0,
) -> GridSheet:
    """The sheet of grid ``code`` from layers.

    Parameters
    ----------
    code : str
        The grid's code, as in the ``code`` column of ``grids``.
    grids : GeoDataFrame
        ``code`` and optionally ``seq``, ``community_code``, ``households``; polygons.
    buildings : GeoDataFrame
        ``name`` (楼号) and ``households`` (optional); footprints.
    facilities, compounds, roads, communities : GeoDataFrame, optional
        Facilities need ``class_code`` (and ``class_name``, ``name``); communities
        ``code``, ``name``, ``street_name``.
    staff : list of dict, optional
    margin_m : float
        Layers are kept within this distance of the grid (metres).

    Raises
    ------
    NotFoundError
        No grid with that code.
    """
    grids = _wgs84(grids, "grids")
    assert grids is not None
    grids = grids.assign(code=grids["code"].astype(str))
    match = grids[grids["code"] == code]
    if match.empty:
        raise NotFoundError(f"there is no grid {code} in the grids file", fix="check the code")
    row = match.iloc[0]
    shape = row.geometry
    crs = local_crs(shape)
    local = gpd.GeoSeries([shape], crs="EPSG:4326").to_crs(crs).iloc[0]
    reach = gpd.GeoSeries([local.buffer(margin_m)], crs=crs).to_crs("EPSG:4326").iloc[0]

    near = buildings_near(_wgs84(buildings, "buildings"), reach, shape)
    community_code = str(row.get("community_code") or code[:12])
    street, community, boundary = _names(communities, community_code)
    names = _community_names(communities)
    inside = near[near["inside"]]
    households = (
        int(row["households"]) if "households" in row and pd.notna(row["households"])
        else int(inside["households"].fillna(0).sum())
    )  # fmt: skip
    return GridSheet(
        code=code, seq=_seq(code, row), street_name=street, community_name=community,
        geometry=shape, households=households, buildings=len(inside), area_m2=float(local.area),
        buildings_layer=near,
        neighbours=grids[(grids["code"] != code) & grids.intersects(reach)].assign(
            seq=lambda f: [_seq(c, r) for c, (_, r) in zip(f["code"], f.iterrows(), strict=True)],
            community_name=lambda f: [names.get(c[:12], "") for c in f["code"]],
        ),
        community=boundary, compounds=_near(compounds, reach, "compounds"),
        facilities=_near(facilities, reach, "facilities"), roads=_near(roads, reach, "roads"),
        staff=staff or [], community_code=community_code,
    )  # fmt: skip


def buildings_near(buildings: gpd.GeoDataFrame | None, reach, grid) -> gpd.GeoDataFrame:  # noqa: ANN001
    """Buildings within ``reach`` with ``inside`` set for those whose point lies in ``grid``."""
    if buildings is None:
        raise InputError("a buildings layer is needed", fix="give --buildings")
    near = buildings[buildings.intersects(reach)].copy()
    near["inside"] = near.representative_point().within(grid)
    if "households" not in near:
        near["households"] = 0
    if "name" not in near:
        near["name"] = None
    return near


def _near(frame: gpd.GeoDataFrame | None, reach, layer: str) -> gpd.GeoDataFrame | None:  # noqa: ANN001
    frame = _wgs84(frame, layer)
    return None if frame is None else frame[frame.intersects(reach)]


def _community_names(communities: gpd.GeoDataFrame | None) -> dict[str, str]:
    if communities is None or "name" not in communities:
        return {}
    return dict(zip(communities["code"].astype(str), communities["name"].astype(str), strict=True))


def _names(communities: gpd.GeoDataFrame | None, code: str) -> tuple[str, str, object]:
    if communities is None:
        return "", "", None
    communities = _wgs84(communities, "communities")
    assert communities is not None
    match = communities[communities["code"].astype(str) == code]
    if match.empty:
        return "", "", None
    row = match.iloc[0]
    return str(row.get("street_name") or ""), str(row.get("name") or ""), row.geometry
