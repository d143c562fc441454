"""Read a user's vector file into a GeoDataFrame, as it is.

``read_vector`` opens GeoPackage, GeoJSON, Esri JSON, Shapefile (also zipped) and CSV with
longitude/latitude columns. It neither reprojects nor renames: the frame keeps the file's
columns and the file's CRS, ``None`` when the file declares none (the CRS step decides
what to do then). Text encodings are detected (UTF-8, else GB18030, a superset of GBK),
and what the reader had to decide is written to ``RawLayer.notes``.

Every failure is a :class:`gis.errors.FormatError` naming the file: missing, unknown
format, truncated or damaged, empty, or without geometry.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely.errors

from gis import esrijson
from gis.errors import FormatError
from gis.shapefile import _REEXPORT, _dbf_encoding, _sidecar, _unpack
from gis.shapefile import MAX_UNZIPPED_BYTES as MAX_UNZIPPED_BYTES

FORMATS = ("gpkg", "geojson", "shapefile", "esrijson", "csv")
LON_ALIASES = ("lon", "lng", "long", "longitude", "x", "经度", "东经", "point_x")
LAT_ALIASES = ("lat", "latitude", "y", "纬度", "北纬", "point_y")

_SQLITE_MAGIC = b"SQLite format 3\x00"
_SHP_MAGIC = b"\x00\x00\x27\x0a"
_JSON_SUFFIXES = {".json", ".geojson", ".esrijson"}
_CSV_SUFFIXES = {".csv", ".txt"}
_SIDECARS = {".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qmd"}
_GEOJSON_TYPES = frozenset(
    "FeatureCollection Feature Point MultiPoint LineString MultiLineString Polygon "
    "MultiPolygon GeometryCollection".split()
)
_SUPPORTED = ".gpkg, .geojson/.json, Esri JSON, .shp (or a .zip of it), .csv/.txt with 经度/纬度"


@dataclass
class RawLayer:
    """A vector layer as read from a file, before any CRS or schema handling.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The features; geometry in column ``geometry``, coordinates in the file's own
        CRS and units; ``frame.crs`` is ``None`` when the file declares no CRS.
    format : str
        One of ``FORMATS``: ``"gpkg"``, ``"geojson"``, ``"shapefile"``, ``"esrijson"``
        or ``"csv"``.
    notes : list of str
        What the reader decided, for the import report (encoding used, layer chosen,
        curves densified, features without geometry…).
    """

    frame: gpd.GeoDataFrame
    format: str
    notes: list[str] = field(default_factory=list)


def read_vector(
    path: str | os.PathLike, *, layer: str | None = None, encoding: str | None = None
) -> RawLayer:
    """Read a vector file without touching its CRS or its column names.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.gpkg``, ``.geojson``/``.json`` (GeoJSON or Esri JSON), ``.esrijson``,
        ``.shp``, ``.zip`` holding a shapefile (or one other supported file), or
        ``.csv``/``.txt`` with longitude/latitude columns. The format is sniffed from
        the content when the extension is missing or misleading.
    layer : str, optional
        The GeoPackage layer, or the shapefile in a zip (by file name or stem). Needed
        when there are several to choose from.
    encoding : str, optional
        Text encoding of a DBF, CSV or JSON file; overrides ``.cpg`` files and detection.

    Returns
    -------
    RawLayer
        The frame, in the file's CRS (``None`` if it has none) and units; CSV points
        have ``crs=None``.

    Raises
    ------
    gis.errors.FormatError
        If the file does not exist, is empty, truncated, damaged, of an unknown format,
        has no geometry, or holds several layers and ``layer`` does not pick one.
    gis.errors.CRSError
        If an Esri JSON ``spatialReference`` names an unknown CRS.

    Examples
    --------
    >>> raw = read_vector("buildings.zip")  # doctest: +SKIP
    >>> raw.format, raw.notes  # doctest: +SKIP
    ('shapefile', ['read 楼栋.shp from buildings.zip', 'DBF text decoded as GB18030 ...'])
    """
    source = Path(path)
    if not source.exists():
        raise FormatError(f"file {source} does not exist", fix="check the path and file name")
    if source.is_dir():
        raise FormatError(
            f"{source} is a folder, not a file", fix=f"give one file inside it: {_SUPPORTED}"
        )
    return _read_file(source, source.name, layer, encoding)


def _read_file(path: Path, label: str, layer: str | None, encoding: str | None) -> RawLayer:
    if path.stat().st_size == 0:
        raise FormatError(f"{label} is empty (0 bytes)", fix="copy or upload the file again")
    kind = _sniff(path, label)
    raw = _READERS[kind](path, label, layer, encoding)
    if layer is not None and kind not in ("gpkg", "zip"):
        raw.notes.append(f"layer {layer!r} ignored: a {raw.format} file holds a single layer")
    return raw


def _sniff(path: Path, label: str) -> str:
    """Which reader to use, from the first bytes and then the extension."""
    with path.open("rb") as stream:
        head = stream.read(512)
    suffix = path.suffix.lower()
    if head.startswith(_SQLITE_MAGIC):
        return "gpkg"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if suffix in (".gpkg", ".zip"):
        kind = "GeoPackage" if suffix == ".gpkg" else "zip archive"
        raise FormatError(f"{label} is not a {kind} (wrong file header)", fix=_REEXPORT)
    if suffix == ".shp":
        return "shapefile"
    if suffix in _JSON_SUFFIXES or head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return "json"
    if suffix in _CSV_SUFFIXES:
        return "csv"
    if suffix in _SIDECARS:
        raise FormatError(
            f"{label} is one part of a shapefile, not the shapefile itself",
            fix="give the .shp file (with its .shx, .dbf, .prj beside it) or a .zip of all",
        )
    raise FormatError(f"{label} is not a supported vector format", fix=f"use {_SUPPORTED}")


def _finish(frame: Any, fmt: str, notes: list[str], where: str) -> RawLayer:
    """Refuse empty or geometry-less results; note features without geometry."""
    if len(frame) == 0:
        raise FormatError(
            f"{where} is empty: the layer has 0 features",
            fix="export the layer again with its features, or choose another layer",
        )
    if not isinstance(frame, gpd.GeoDataFrame):
        raise FormatError(
            f"{where} has no geometry: it is an attribute-only table "
            f"(columns: {', '.join(map(str, frame.columns))})",
            fix="export a layer with geometry (points or polygons), not a table",
        )
    missing = frame.geometry.isna() | frame.geometry.is_empty
    if missing.all():
        raise FormatError(
            f"{where} has no geometry: all {len(frame)} features have a null or empty geometry",
            fix="export the layer again with its shapes",
        )
    if missing.any():
        notes.append(f"{int(missing.sum())} of {len(frame)} features have no geometry")
    if frame.geometry.name != "geometry":
        frame = frame.rename_geometry("geometry")
    return RawLayer(frame, fmt, notes)


def _ogr(call: Callable[..., Any], target: Any, label: str, what: str, **options: Any) -> Any:
    """Call pyogrio, turning its and GDAL's errors into a FormatError naming the file."""
    options = {k: v for k, v in options.items() if v is not None}
    try:
        return call(target, **options)
    except (RuntimeError, OSError, ValueError, shapely.errors.ShapelyError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FormatError(f"{label} cannot be read as {what}: {reason}", fix=_REEXPORT) from exc


# --- GeoPackage ----------------------------------------------------------------------


def _read_gpkg(path: Path, label: str, layer: str | None, encoding: str | None) -> RawLayer:
    layers = _ogr(pyogrio.list_layers, path, label, "a GeoPackage")
    names = [str(name) for name, _ in layers]
    spatial = [str(name) for name, kind in layers if kind]
    notes: list[str] = []
    if layer is not None:
        if layer not in names:
            raise FormatError(
                f"{label} has no layer {layer!r}", fix=f"use one of: {', '.join(names)}"
            )
        chosen = layer
    elif len(names) == 1:
        chosen = names[0]
    elif not names:
        raise FormatError(f"{label} is empty: it holds no layers", fix=_REEXPORT)
    elif not spatial:
        raise FormatError(
            f"{label} has no geometry: its layers {', '.join(names)} are attribute-only tables",
            fix="export a layer with geometry (a feature class), not a table",
        )
    elif len(spatial) == 1:
        chosen = spatial[0]
        notes.append(f"read layer {chosen!r}, the only spatial one of {len(names)} layers")
    else:
        raise FormatError(
            f"{label} holds {len(spatial)} spatial layers: {', '.join(spatial)}",
            fix=f"choose one with layer=<name>, e.g. layer={spatial[0]!r}",
        )
    frame = _ogr(
        pyogrio.read_dataframe, path, label, "a GeoPackage", layer=chosen, encoding=encoding
    )
    return _finish(frame, "gpkg", notes, f"layer {chosen!r} of {label}")


# --- GeoJSON and Esri JSON -----------------------------------------------------------


def _read_json(path: Path, label: str, layer: str | None, encoding: str | None) -> RawLayer:
    text, notes = _decode_text(path.read_bytes(), encoding, label)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"{label} is not valid JSON ({exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}); the file is probably cut short",
            fix=_REEXPORT,
        ) from exc
    except RecursionError as exc:
        raise FormatError(f"{label} is JSON nested too deeply to read", fix=_REEXPORT) from exc
    if isinstance(obj, dict) and isinstance(obj.get("error"), dict) and "features" not in obj:
        message = obj["error"].get("message", "no message")
        raise FormatError(
            f"{label} is an ArcGIS error response, not data: {message}",
            fix="repeat the ArcGIS query and save the answer only when it succeeds",
        )
    if esrijson.looks_like_featureset(obj):
        frame, esri_notes = esrijson.read_featureset(obj)
        return _finish(frame, "esrijson", notes + esri_notes, label)
    if isinstance(obj, dict) and obj.get("type") in _GEOJSON_TYPES:
        frame = _ogr(pyogrio.read_dataframe, io.BytesIO(text.encode()), label, "GeoJSON")
        if not obj.get("crs"):
            notes.append(
                'GeoJSON without a "crs" member read as WGS 84 (RFC 7946); if the coordinates '
                "come from a Chinese web map (AMap, Tencent, Baidu) import again with "
                "--crs gcj02 or --crs bd09"
            )
        return _finish(frame, "geojson", notes, label)
    keys = ", ".join(map(str, obj)) if isinstance(obj, dict) else type(obj).__name__
    raise FormatError(
        f"{label} is JSON but neither GeoJSON nor Esri JSON (top level: {keys})",
        fix="export a GeoJSON FeatureCollection or an ArcGIS FeatureSet (f=json)",
    )


def _decode_text(data: bytes, encoding: str | None, label: str) -> tuple[str, list[str]]:
    """Decode a text file: the given encoding, else by BOM, else UTF-8, else GB18030."""
    if encoding:
        try:
            return data.decode(encoding), [f"text decoded as {encoding} (as requested)"]
        except (UnicodeDecodeError, LookupError) as exc:
            raise FormatError(
                f"{label} cannot be decoded as {encoding}: {exc}",
                fix="pass the file's real encoding, or leave encoding unset to detect it",
            ) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), ["text decoded as UTF-16 (BOM)"]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), ["text decoded as GB18030 (not valid UTF-8)"]
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"{label} is neither UTF-8 nor GBK/GB18030 text", fix="save it as UTF-8"
        ) from exc


# --- Shapefile, plain or zipped ------------------------------------------------------


def _read_shapefile(path: Path, label: str, layer: str | None, encoding: str | None) -> RawLayer:
    with path.open("rb") as stream:
        if stream.read(4) != _SHP_MAGIC:
            raise FormatError(f"{label} is not a shapefile (wrong .shp header)", fix=_REEXPORT)
    parts = {ext: p for ext in (".shx", ".dbf", ".prj", ".cpg") if (p := _sidecar(path, ext))}
    if ".shx" not in parts:
        raise FormatError(
            f"{label} has no .shx file beside it",
            fix="keep all parts of the shapefile together (.shp .shx .dbf .prj .cpg), or zip them",
        )
    notes = [] if ".prj" in parts else ["no .prj file: the CRS is unknown"]
    if ".dbf" not in parts:
        notes.append("no .dbf file: the features have no attributes")
    dbf_encoding, encoding_notes = _dbf_encoding(parts, encoding)
    frame = _ogr(pyogrio.read_dataframe, path, label, "a shapefile", encoding=dbf_encoding)
    return _finish(frame, "shapefile", notes + encoding_notes, label)


def _read_zip(path: Path, label: str, layer: str | None, encoding: str | None) -> RawLayer:
    with tempfile.TemporaryDirectory() as tmp:
        member, inner_layer = _unpack(path, label, layer, Path(tmp))
        inner = Path(tmp, *PurePosixPath(member).parts)
        raw = _read_file(inner, f"{member} in {label}", inner_layer, encoding)
    raw.notes.insert(0, f"read {member} from {label}")
    return raw


# --- CSV with coordinates ------------------------------------------------------------


def _read_csv(path: Path, label: str, layer: str | None, encoding: str | None) -> RawLayer:
    """Points from longitude/latitude columns; every other column kept as text."""
    text, notes = _decode_text(path.read_bytes(), encoding, label)
    table = _parse_csv(text, label)
    lon, lat = _find_column(table.columns, LON_ALIASES), _find_column(table.columns, LAT_ALIASES)
    if lon is None or lat is None:
        raise FormatError(
            f"{label} has no geometry: no longitude/latitude columns among the columns "
            f"found ({', '.join(map(str, table.columns))})",
            fix=f"name the longitude column one of {', '.join(LON_ALIASES)} and the "
            f"latitude column one of {', '.join(LAT_ALIASES)}",
        )
    if "geometry" in table.columns:
        raise FormatError(
            f"{label} has a column named 'geometry' that the points would overwrite",
            fix="rename that column",
        )
    x = pd.to_numeric(table[lon].str.strip(), errors="coerce")
    y = pd.to_numeric(table[lat].str.strip(), errors="coerce")
    _refuse_bad_numbers(table, {lon: x, lat: y}, label)
    valid = (x.notna() & y.notna()).to_numpy()
    points = gpd.points_from_xy(x.fillna(0), y.fillna(0))
    points[~valid] = None
    frame = gpd.GeoDataFrame(table, geometry=points, crs=None)
    notes.append(f"points from columns {lon!r} (x) and {lat!r} (y), CRS not set")
    if not valid.all() and valid.any():
        notes.append(f"{int((~valid).sum())} rows have no numeric coordinates")
    return _finish(frame, "csv", notes, label)


def _refuse_bad_numbers(table: pd.DataFrame, parsed: dict[str, pd.Series], label: str) -> None:
    """Refuse coordinates that are given but are not numbers (blank ones are only noted)."""
    bad = [
        (row, column, table.at[row, column])
        for column, values in parsed.items()
        for row in table.index[values.isna() & table[column].fillna("").str.strip().ne("")]
    ]
    if bad:
        shown = "; ".join(f"row {row + 2}: {column} {value!r}" for row, column, value in bad[:5])
        raise FormatError(
            f"{label} has {len(bad)} coordinates that are not numbers ({shown})",
            fix="write decimal degrees with a dot, e.g. 118.7833 (not 118°47′ or 118，78)",
        )


def _parse_csv(text: str, label: str) -> pd.DataFrame:
    """Parse CSV text as strings; the delimiter is the commonest of , tab ; | in the header."""
    header = text.lstrip().split("\n", 1)[0]
    delimiter = max(",\t;|", key=header.count) if any(c in header for c in ",\t;|") else ","
    try:
        return pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, na_values=[""]
        )
    except pd.errors.EmptyDataError as exc:
        raise FormatError(f"{label} is empty: no header and no rows", fix=_REEXPORT) from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise FormatError(f"{label} cannot be read as CSV: {exc}", fix=_REEXPORT) from exc


def _find_column(columns: pd.Index, aliases: tuple[str, ...]) -> str | None:
    """Find the first column matching an alias, ignoring case, blanks, ``-``/``_``/space."""
    by_key = {_column_key(c): c for c in reversed(list(columns))}
    return next((by_key[a] for a in map(_column_key, aliases) if a in by_key), None)


def _column_key(name: Any) -> str:
    return re.sub(r"[-_\s]+", "_", str(name).strip().lower())


_READERS: dict[str, Callable[[Path, str, str | None, str | None], RawLayer]] = {
    "gpkg": _read_gpkg,
    "json": _read_json,
    "shapefile": _read_shapefile,
    "zip": _read_zip,
    "csv": _read_csv,
}
