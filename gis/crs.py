"""Coordinate reference systems of imported data: parse, bring to WGS84, check, measure.

wangge stores everything in WGS84 longitude/latitude (EPSG:4326). Imported files come
in CGCS2000 (EPSG:4490, within centimetres of WGS84), in CGCS2000 Gauss-Krüger zones
(EPSG:4491–4554), in a city's own Gauss-Krüger system (custom central meridian and
false northing, shipped as WKT or a PROJ string), or copied from Chinese web maps in
GCJ-02 or BD-09 (see :mod:`gis.chinacoords`). :func:`parse_crs` reads what a user
names, :func:`to_wgs84` brings a layer to EPSG:4326 and says what it did,
:func:`check_lonlat` refuses coordinates that cannot be longitude/latitude, and
:func:`metric_crs` picks a CRS in metres for measuring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray
from pyproj.exceptions import CRSError as PyprojCRSError

from gis import chinacoords
from gis.errors import CRSError, InputError

__all__ = [
    "WGS84",
    "CRSInput",
    "check_lonlat",
    "crs_label",
    "metric_crs",
    "parse_crs",
    "to_wgs84",
]

ChinaOffset = Literal["gcj02", "bd09"]

WGS84 = pyproj.CRS.from_epsg(4326)
"""The CRS wangge stores: WGS84 longitude/latitude, degrees."""

MAX_PLAUSIBLE_COORDINATE = 1e8
"""Largest coordinate, in any unit, that a CRS can give on Earth: Gauss-Krüger eastings
with their zone prefix reach 4.6e7 m, Web Mercator 2e7 m; beyond 1e8 the file is damaged."""

ACCEPTED_FORMS = (
    "give an EPSG code (4490 or EPSG:4490 for CGCS2000 longitude/latitude, 4547 for "
    "CGCS2000 3-degree Gauss-Krüger CM 114E, any of 4491–4554 for the other zones), "
    "a WKT or PROJ string (for a city's own system, e.g. the text of its .prj file), "
    "or gcj02 (AMap, Tencent) or bd09 (Baidu)"
)

_NO_CRS_FIX = (
    "give --crs, e.g. --crs 4490 (CGCS2000 longitude/latitude), --crs 4547 (CGCS2000 "
    "Gauss-Krüger CM 114E), --crs gcj02 (AMap, Tencent), --crs bd09 (Baidu) or the WKT "
    "of the city's own system"
)

_OFFSET_ALIASES: dict[str, ChinaOffset] = {
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
}
_OFFSET_NAMES: dict[ChinaOffset, str] = {"gcj02": "GCJ-02", "bd09": "BD-09"}
_OFFSET_INVERSES = {
    "gcj02": chinacoords.gcj02_to_wgs84,
    "bd09": chinacoords.bd09_to_wgs84,
}

# Datums that coincide with WGS84 within centimetres for wangge's purposes.
_CGCS2000_DATUMS = ("china 2000", "china geodetic coordinate system 2000", "cgcs2000")
# Legacy Chinese datums: tens to a hundred metres and more from WGS84.
_LEGACY_DATUMS = ("beijing 1954", "new beijing", "xian 1980", "xi'an 1980")


@dataclass(frozen=True)
class CRSInput:
    """A coordinate reference system as a user named it.

    Exactly one of ``crs`` and ``china_offset`` is set.

    Parameters
    ----------
    text : str
        What the user gave, without surrounding blanks.
    crs : pyproj.CRS, optional
        The CRS, when pyproj knows it.
    china_offset : {"gcj02", "bd09"}, optional
        The Chinese web-map shift, when the user named one. Such coordinates are
        longitude/latitude in degrees, shifted from WGS84 (:mod:`gis.chinacoords`).
    """

    text: str
    crs: pyproj.CRS | None = None
    china_offset: ChinaOffset | None = None

    def __post_init__(self) -> None:
        if (self.crs is None) == (self.china_offset is None):
            raise ValueError("CRSInput needs exactly one of crs and china_offset")

    @property
    def label(self) -> str:
        """A short name for messages, such as ``EPSG:4547 (CGCS2000 / …)`` or ``GCJ-02``."""
        if self.china_offset is not None:
            return _OFFSET_NAMES[self.china_offset]
        assert self.crs is not None
        return crs_label(self.crs)


def crs_label(crs: pyproj.CRS) -> str:
    """Name a CRS in one short line: ``EPSG:code (name)``, or its name, or its text.

    Parameters
    ----------
    crs : pyproj.CRS
        Any CRS.

    Returns
    -------
    str
        The label.
    """
    code = crs.to_epsg()
    if code is not None:
        return f"EPSG:{code} ({crs.name})"
    if crs.name and crs.name.lower() != "unknown":
        return crs.name
    return _shorten(crs.srs)


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_crs(text: str) -> CRSInput:
    """Read a coordinate reference system as a user writes it on the command line.

    Parameters
    ----------
    text : str
        One of: an EPSG code with or without prefix (``"4490"``, ``"EPSG:4490"``,
        ``"epsg:4547"``), including the CGCS2000 Gauss-Krüger zones 4491–4554; any WKT
        or PROJ string that pyproj reads (a city's own system with a custom central
        meridian and false northing); a name pyproj knows (``"CGCS2000"``); or one of
        the Chinese web-map shifts, case-insensitive and with or without ``-``/``_``:
        ``gcj02``, ``gcj`` (GCJ-02) or ``bd09``, ``bd09ll``, ``baidu`` (BD-09).

    Returns
    -------
    CRSInput
        The CRS, or the named web-map shift.

    Raises
    ------
    CRSError
        If the text is empty, unknown, or not a horizontal CRS (a vertical or
        geocentric one); the message names the text and the accepted forms. Baidu
        Mercator (``bd09mc``) is refused with its own fix.

    Examples
    --------
    >>> parse_crs("4547").crs.to_epsg()
    4547
    >>> parse_crs("GCJ-02").china_offset
    'gcj02'
    """
    raw = str(text).strip()
    if not raw:
        raise CRSError("no coordinate reference system given (empty text)", fix=ACCEPTED_FORMS)
    key = re.sub(r"[\s_-]", "", raw.lower())
    if key in _OFFSET_ALIASES:
        return CRSInput(text=raw, china_offset=_OFFSET_ALIASES[key])
    if key == "bd09mc":
        raise CRSError(
            "Baidu Mercator (BD-09MC, metres) is not supported",
            fix="export BD-09 longitude/latitude (bd09ll) and give --crs bd09",
        )
    try:
        crs = pyproj.CRS.from_epsg(int(raw)) if raw.isdigit() else pyproj.CRS.from_user_input(raw)
    except PyprojCRSError:
        raise CRSError(
            f"unknown coordinate reference system {_shorten(raw)!r}", fix=ACCEPTED_FORMS
        ) from None
    if not (crs.is_geographic or crs.is_projected):
        raise CRSError(
            f"{_shorten(raw)!r} ({crs.type_name}) is not a horizontal coordinate reference system",
            fix=ACCEPTED_FORMS,
        )
    return CRSInput(text=raw, crs=crs)


def to_wgs84(frame: gpd.GeoDataFrame, crs: str | None = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Bring a layer to WGS84 longitude/latitude (EPSG:4326), saying what was done.

    The source CRS is ``crs`` when given, otherwise the file's own. A ``crs`` given for
    a file that states a different one wins: the coordinates are taken as being in the
    given CRS (reinterpreted, not transformed from the file's), and a note says so.
    CGCS2000 is taken as WGS84 (they agree within centimetres), with a note; other
    datums are shifted by pyproj, with a warning note where pyproj knows no shift.
    GCJ-02 and BD-09 coordinates are converted with the iterative inverse of
    :mod:`gis.chinacoords` (1 cm), for every geometry type; they must lie in China.
    The result is checked with :func:`check_lonlat`.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The layer as read from the file; not modified.
    crs : str, optional
        The CRS the user named (``--crs``), in any form :func:`parse_crs` accepts.

    Returns
    -------
    frame : geopandas.GeoDataFrame
        A copy in EPSG:4326 (degrees).
    notes : list of str
        What was assumed or done, one sentence each, for the import report.

    Raises
    ------
    CRSError
        If no CRS is known (``fix`` tells to give ``--crs``), ``crs`` cannot be read,
        GCJ-02/BD-09 coordinates lie outside China, or the result is not plausible
        longitude/latitude (:func:`check_lonlat`).
    """
    source, notes = _source_crs(frame, crs)
    if source.china_offset is not None:
        out = _from_china_offset(frame, source.china_offset)
        notes.append(
            f"coordinates converted from {source.label} to WGS84 (EPSG:4326) with the "
            "iterative inverse, to 1 cm"
        )
    else:
        assert source.crs is not None
        out, datum_notes = _from_pyproj_crs(frame.set_crs(source.crs, allow_override=True))
        notes.extend(datum_notes)
    check_lonlat(out)
    notes.extend(_outside_china_note(out))
    return out, notes


def _source_crs(frame: gpd.GeoDataFrame, crs: str | None) -> tuple[CRSInput, list[str]]:
    """Decide the CRS the frame's coordinates are in: the given one wins over the file's."""
    if crs is None:
        if frame.crs is None:
            raise CRSError("file has no coordinate reference system", fix=_NO_CRS_FIX)
        return CRSInput(text=frame.crs.srs, crs=frame.crs), []
    given = parse_crs(crs)
    if frame.crs is None or (
        given.crs is not None and given.crs.equals(frame.crs, ignore_axis_order=True)
    ):
        return given, []
    note = (
        f"the file states {crs_label(frame.crs)}, but --crs {given.label} was given and "
        "wins: coordinates are taken as they are in the given CRS, not transformed from "
        "the file's"
    )
    return given, [note]


def _from_pyproj_crs(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Reproject a frame with a known CRS to EPSG:4326, with notes on the datum."""
    source = frame.crs
    if source.equals(WGS84, ignore_axis_order=True):
        return frame.set_crs(WGS84, allow_override=True), []
    datum = source.datum.name if source.datum is not None else "unknown"
    if _is_cgcs2000(source) or _is_unnamed_grs80(source):
        # Done by hand: pyproj's "ballpark" CGCS2000→WGS84 is the same identity, but
        # saying so explicitly keeps the note true whatever pyproj version runs.
        geographic = source.geodetic_crs if source.is_projected else source
        out = frame.to_crs(geographic).set_crs(WGS84, allow_override=True)
        if _is_cgcs2000(source):
            note = "CGCS2000 taken as WGS84 (EPSG:4326): they agree within centimetres"
        else:
            note = (
                f"the CRS names no datum ({datum}); its GRS 1980 ellipsoid is taken as "
                "CGCS2000, which agrees with WGS84 within centimetres"
            )
        return out, [note]
    notes = []
    if _is_legacy_chinese(source) or _datum_shift_is_ballpark(source):
        notes.append(
            f"pyproj knows no reliable datum shift from {datum} to WGS84 for this "
            "area: positions may be off by tens to a hundred metres or more; use a WKT "
            "with TOWGS84 parameters from the surveying office if you have one"
        )
    return frame.to_crs(WGS84), notes


def _is_cgcs2000(crs: pyproj.CRS) -> bool:
    names = (crs.datum.name if crs.datum else "", crs.ellipsoid.name if crs.ellipsoid else "")
    return any(name.lower() in _CGCS2000_DATUMS for name in names)


def _is_unnamed_grs80(crs: pyproj.CRS) -> bool:
    """Tell a PROJ string such as ``+ellps=GRS80`` without ``+datum`` or ``+towgs84``."""
    datum = crs.datum.name.lower() if crs.datum else ""
    return datum.startswith("unknown based on grs 1980") and "towgs84" not in datum


def _is_legacy_chinese(crs: pyproj.CRS) -> bool:
    datum = crs.datum.name.lower() if crs.datum else ""
    return any(name in datum for name in _LEGACY_DATUMS)


def _datum_shift_is_ballpark(crs: pyproj.CRS) -> bool:
    transformer = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    return "ballpark" in transformer.description.lower()


def _from_china_offset(frame: gpd.GeoDataFrame, offset: ChinaOffset) -> gpd.GeoDataFrame:
    """Convert a frame whose coordinates are GCJ-02 or BD-09 degrees to EPSG:4326."""
    name = _OFFSET_NAMES[offset]
    check_lonlat(frame, what=f"{name} coordinates")
    xy = shapely.get_coordinates(frame.geometry.values)
    outside = ~chinacoords.in_china(xy[:, 0], xy[:, 1])
    if outside.any():
        lon, lat = xy[np.argmax(outside)]
        raise CRSError(
            f"{name} offsets are undefined outside China, but {int(outside.sum())} of "
            f"{len(xy)} coordinates are outside it (the first at lon {lon:.6f}, lat "
            f"{lat:.6f})",
            fix=f"check the file: if it is not from a Chinese web map, it is not {name}; "
            "give the CRS it was made in, e.g. --crs 4326",
        )
    inverse = _OFFSET_INVERSES[offset]

    def to_wgs84_xy(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        out = coords.copy()
        out[:, 0], out[:, 1] = inverse(coords[:, 0], coords[:, 1])
        return out

    geoms = shapely.transform(frame.geometry.values, to_wgs84_xy, include_z=None)
    out = frame.set_crs(WGS84, allow_override=True)
    out[out.geometry.name] = gpd.GeoSeries(geoms, index=out.index, crs=WGS84)
    return out


def _outside_china_note(frame: gpd.GeoDataFrame) -> list[str]:
    xy = shapely.get_coordinates(frame.geometry.values)
    outside = int((~chinacoords.in_china(xy[:, 0], xy[:, 1])).sum())
    if not outside:
        return []
    return [
        f"{outside} of {len(xy)} coordinates are outside China after conversion: check "
        "that the CRS is right"
    ]


def check_lonlat(frame: gpd.GeoDataFrame, *, what: str = "coordinates") -> None:
    """Refuse coordinates that cannot be WGS84 longitude/latitude.

    Detects, in this order: an empty layer; NaN or infinite coordinates; projected
    coordinates in metres declared as degrees (``|x| > 180`` or ``|y| > 90`` with
    longitudes out of range too); swapped axes (``|y| > 90`` while every ``|x| <= 90``,
    or points that are all in China only when read as latitude, longitude).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        A layer whose coordinates should be longitude/latitude in degrees (normally
        EPSG:4326; GCJ-02 and BD-09 degrees are checked the same way).
    what : str, default "coordinates"
        How to call the coordinates in messages.

    Raises
    ------
    CRSError
        With the bounds found (``x`` = first coordinate, ``y`` = second) and the fix.
    """
    xy, rows = shapely.get_coordinates(frame.geometry.values, return_index=True)
    if len(xy) == 0:
        raise CRSError(
            f"no {what} to check: the layer is empty or all its geometries are empty",
            fix="check that the file holds features with geometry",
        )
    finite = np.isfinite(xy).all(axis=1)
    if not finite.all():
        bad_rows = np.unique(rows[~finite])
        raise CRSError(
            f"{len(bad_rows)} features have NaN or infinite {what}",
            fix="repair or remove those features; if the file is fine, the CRS is wrong "
            "(a reprojection outside its area gives infinite values)",
            feature=_feature_label(frame, int(bad_rows[0])),
        )
    x, y = xy[:, 0], xy[:, 1]
    found = f"{what} are not longitude/latitude degrees ({_bounds_text(x, y)})"
    max_x, max_y = np.abs(x).max(), np.abs(y).max()
    if max(max_x, max_y) > MAX_PLAUSIBLE_COORDINATE:
        bad_rows = np.unique(rows[(np.abs(xy) > MAX_PLAUSIBLE_COORDINATE).any(axis=1)])
        raise CRSError(
            f"{len(bad_rows)} features have {what} far too large for any coordinate system "
            f"(up to {max(max_x, max_y):.3g}; {_bounds_text(x, y)})",
            fix="the file is damaged or in unknown units: export it again from the source",
            feature=_feature_label(frame, int(bad_rows[0])),
        )
    if max_x > 180 or max_y > 180 or (max_y > 90 and max_x > 90):
        raise CRSError(
            f"{found}: looks like projected coordinates in metres",
            fix=f"give the right --crs, {_projected_hint(x)}",
        )
    if max_y > 90 or _swapped_in_china(x, y):
        raise CRSError(
            f"{found}: looks like latitude/longitude with the axes swapped",
            fix="swap the columns so that x is longitude and y is latitude (in a table: "
            "the longitude column first)",
        )


def _feature_label(frame: gpd.GeoDataFrame, position: int) -> int | str:
    """Return the index label of the row at ``position``, as an int or str."""
    label = frame.index[position]
    if isinstance(label, np.integer):
        return int(label)
    return label if isinstance(label, int | str) else position


def _bounds_text(x: NDArray[np.float64], y: NDArray[np.float64]) -> str:
    def num(value: float) -> str:
        return f"{value:.6f}" if abs(value) < 1000 else f"{value:.1f}"

    return f"bounds x {num(x.min())} to {num(x.max())}, y {num(y.min())} to {num(y.max())}"


def _swapped_in_china(x: NDArray[np.float64], y: NDArray[np.float64]) -> bool:
    """Tell whether no point is in China as (lon, lat) but every one is as (lat, lon)."""
    return bool(chinacoords.in_china(y, x).all() and not chinacoords.in_china(x, y).any())


def _projected_hint(x: NDArray[np.float64]) -> str:
    """Suggest a CGCS2000 Gauss-Krüger CRS from the eastings.

    Eastings above 1,000 km carry the zone number in front (38 500 000 m is zone 38,
    500 km): 6-degree zones are 13–23 (EPSG:4491–4501), 3-degree zones 25–45
    (EPSG:4513–4533). Without the prefix the zone cannot be read from the numbers.
    """
    zones = np.unique(np.floor(x / 1_000_000).astype(int))
    if len(zones) == 1 and 13 <= zones[0] <= 23:
        return f"the eastings carry 6-degree zone {zones[0]}: --crs {4491 + zones[0] - 13}"
    if len(zones) == 1 and 25 <= zones[0] <= 45:
        return f"the eastings carry 3-degree zone {zones[0]}: --crs {4513 + zones[0] - 25}"
    return (
        "e.g. --crs 4547 for CGCS2000 3-degree Gauss-Krüger CM 114E (4534–4554 cover "
        "CM 75E–135E), or the WKT of the city's own system"
    )


def metric_crs(frame: gpd.GeoDataFrame) -> pyproj.CRS:
    """Choose a CRS in metres for measuring a layer: the UTM zone of its centre.

    Within a UTM zone the scale error is below 0.1 % in China, so lengths are within
    0.1 % and areas within 0.2 %.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        A layer with a CRS (normally EPSG:4326).

    Returns
    -------
    pyproj.CRS
        WGS 84 / UTM zone of the centre of the layer's bounds (EPSG:326xx), metres.

    Raises
    ------
    CRSError
        If the layer has no CRS.
    InputError
        If the layer has no coordinates to locate it.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> layer = gpd.GeoDataFrame(geometry=[Point(121.47, 31.23)], crs=4326)
    >>> metric_crs(layer).to_epsg()
    32651
    """
    if frame.crs is None:
        raise CRSError("layer has no coordinate reference system", fix=_NO_CRS_FIX)
    bounds = frame.total_bounds
    if not np.isfinite(bounds).all():
        raise InputError(
            "cannot choose a metric CRS for a layer without coordinates",
            fix="check that the layer holds features with geometry",
        )
    return frame.estimate_utm_crs()
