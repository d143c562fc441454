"""Checks a grid partition must pass before it is published, as lists of failures.

Unlike :mod:`gis.testing`, which stops at the first broken invariant, these name every
failure, one line each, for a planner to fix.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from gis.crs import metric_crs
from gis.metrics import Band, coverage

#: Gaps, overlaps and area outside the community below this (m²) are float noise.
SLIVER_M2 = 1.0


def out_of_band(grids: pd.DataFrame, band: Band) -> pd.DataFrame:
    """Basic grids outside the band that are neither flagged nor given an exception reason."""
    excused = (
        grids["flags"].fillna("").astype(str).ne("")
        | grids["exception_reason"].fillna("").astype(str).str.strip().ne("")
        | grids["kind"].eq("dedicated")
    )
    deviation = (grids["households"] - band.target).abs() / band.target
    return grids[~excused & (deviation > band.tolerance + 1e-9)]


def geometry_failures(grids: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> list[str]:
    """Grids not in one valid piece, and communities their grids do not tile.

    Measured in the data's metric CRS (m²); gaps, overlaps and area outside below
    :data:`SLIVER_M2` are float noise.
    """
    crs = metric_crs(communities)
    g = grids.to_crs(crs)
    boundaries = communities.to_crs(crs).set_index("code").geometry
    out = [
        f"grid {code} is in {n} pieces, not one polygon"
        for code, n in zip(g["code"], g.geometry.count_geometries(), strict=True)
        if n != 1
    ]
    out += [f"grid {code} has an invalid polygon" for code in g.loc[~g.is_valid, "code"]]
    for community, boundary in boundaries.items():
        part = g[g["community_code"] == community]
        if part.empty:
            out.append(f"community {community} has no grids")
            continue
        cover = coverage(part.geometry, boundary)
        if cover["outside_m2"] > SLIVER_M2:
            for code, geom in zip(part["code"], part.geometry, strict=True):
                outside = coverage(gpd.GeoSeries([geom], crs=crs), boundary)["outside_m2"]
                if outside > SLIVER_M2:
                    out.append(f"grid {code} reaches {outside:.1f} m² outside its community")
        if cover["gap_m2"] > SLIVER_M2:
            out.append(f"community {community}: {cover['gap_m2']:.1f} m² lie in no grid")
        if cover["overlap_m2"] > SLIVER_M2:
            out.append(f"community {community}: its grids overlap by {cover['overlap_m2']:.1f} m²")
    return out
