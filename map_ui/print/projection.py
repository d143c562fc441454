"""The local metric map projection of a sheet.

Every sheet is drawn in an azimuthal equidistant projection centred on its subject (a
grid, a community), in metres. Within the few kilometres a sheet covers, its scale error is
below 1e-5, so the scale bar and the stated scale are true at print size.
"""

from __future__ import annotations

import geopandas as gpd
import pyproj
from shapely.geometry.base import BaseGeometry

from gis.errors import CRSError


def local_crs(subject: BaseGeometry) -> pyproj.CRS:
    """An azimuthal equidistant CRS in metres centred on ``subject``.

    Parameters
    ----------
    subject : shapely geometry
        In EPSG:4326 (longitude, latitude in degrees).
    """
    centre = subject.centroid
    return pyproj.CRS.from_proj4(
        f"+proj=aeqd +lat_0={centre.y:.7f} +lon_0={centre.x:.7f} +x_0=0 +y_0=0 "
        "+datum=WGS84 +units=m +no_defs"
    )


def to_local(frame: gpd.GeoDataFrame | None, crs: pyproj.CRS) -> gpd.GeoDataFrame | None:
    """``frame`` reprojected to the sheet's CRS (metres); ``None`` stays ``None``.

    Raises
    ------
    CRSError
        The frame has no CRS: its coordinates cannot be placed.
    """
    if frame is None:
        return None
    if frame.crs is None:
        raise CRSError("a layer handed to the sheet has no CRS", fix="set it (EPSG:4326)")
    return frame.to_crs(crs)
