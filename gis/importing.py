"""Preparing a user's file for import: read, reproject, map fields, repair, validate, estimate.

:func:`prepare_layer` is pure: it reads a file and returns the canonical layer with a
report, or raises an :class:`~gis.errors.InputError` that says what is wrong, in which
feature, and how to fix it. Writing to the database is the API's job.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from gis.crs import metric_crs, to_wgs84
from gis.errors import SchemaError
from gis.facility_classes import FACILITY_STATUSES
from gis.fields import canonical_frame, match_fields
from gis.geometry import clean_geometries, dissolve_by_id
from gis.households import HouseholdRules, estimate_households, is_residential
from gis.importing_incidents import (
    DEFAULT_TIMEZONE,
    IncidentOptions,
    incident_keys,
    prepare_incidents,
)
from gis.layers import LayerSchema, layer_schema
from gis.readers import read_vector

#: Facility status values accepted, to the stored English term: the names of
#: :data:`gis.facility_classes.FACILITY_STATUSES` in both languages, and common synonyms.
STATUS_ALIASES = {
    **{key: key for key in FACILITY_STATUSES},
    **{name: key for key, name in FACILITY_STATUSES.items()},
    "正常": "intact",
    "破损": "damaged",
    "缺失": "lost",
    "拆除": "removed",
}


@dataclass
class ImportReport:
    """What an import read, changed and wrote; printed by the CLI, stored in the log."""

    layer: str
    source: str
    format: str
    features_read: int = 0
    features_kept: int = 0
    fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    households_estimated: int = 0
    duplicates_dropped: int = 0
    times_missing: int = 0
    undated_skipped: int = 0
    inserted: int = 0
    updated: int = 0

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass
class PreparedLayer:
    """A layer ready to write: canonical columns, ``source_key``, geometry in EPSG:4326."""

    schema: LayerSchema
    frame: gpd.GeoDataFrame
    report: ImportReport


def prepare_layer(
    layer: str,
    path: str | Path,
    *,
    crs: str | None = None,
    fields: Mapping[str, str] | None = None,
    rules: HouseholdRules | None = None,
    facility_classes: Mapping[str, str] | None = None,
    source_layer: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    categories: Mapping[str, str] | None = None,
    incident_classes: Mapping[str, str] | None = None,
    skip_undated: bool = False,
) -> PreparedLayer:
    """Read and validate one layer file.

    Parameters
    ----------
    layer : str
        ``streets``, ``communities``, ``compounds``, ``buildings``, ``facilities`` or
        ``incidents``.
    path : str or Path
        GeoPackage, GeoJSON, (zipped) Shapefile, Esri JSON or CSV with lon/lat columns.
    crs : str, optional
        CRS of the coordinates when the file has none or a wrong one: an EPSG code, a
        WKT/PROJ string, or ``gcj02``/``bd09``.
    fields : mapping, optional
        Explicit ``{canonical field: column}`` mapping.
    rules : HouseholdRules, optional
        Household estimation rules (buildings only).
    facility_classes : mapping, optional
        ``{class name: class code}`` to resolve facility class names (facilities only).
    source_layer : str, optional
        The layer inside a multi-layer file.
    timezone : str
        IANA time zone of incident times given without an offset (incidents only).
    categories : mapping, optional
        ``{foreign category: 4-digit subclass code}`` for incidents without a class code.
    incident_classes : mapping, optional
        ``{code: name}`` of the incident subclasses in force; other codes are refused.
    skip_undated : bool
        Drop incidents without any date (counted) instead of refusing the file.

    Returns
    -------
    PreparedLayer
        Features in EPSG:4326 with the layer's canonical columns and ``source_key``.

    Raises
    ------
    gis.errors.InputError
        On any problem with the file; nothing is half-prepared.
    """
    schema = layer_schema(layer)
    raw = read_vector(path, layer=source_layer)
    report = ImportReport(layer, Path(path).name, raw.format, features_read=len(raw.frame))
    report.notes += raw.notes
    frame, crs_notes = to_wgs84(raw.frame, crs)
    report.notes += crs_notes
    columns = [c for c in frame.columns if c != frame.geometry.name]
    mapping = match_fields(columns, schema, fields)
    report.fields = mapping
    data = canonical_frame(pd.DataFrame(frame.drop(columns=frame.geometry.name)), schema, mapping)
    out = gpd.GeoDataFrame(data, geometry=frame.geometry.values, crs="EPSG:4326")
    out, geo = clean_geometries(out, schema.geometry)
    if schema.geometry == "polygon" and layer not in ("streets", "communities"):
        out = dissolve_by_id(out, "source_id", geo)
    report.repairs += geo.lines()
    options = _Options(
        rules or HouseholdRules(), facility_classes or {},
        IncidentOptions(timezone, categories or {}, incident_classes, skip_undated),
    )  # fmt: skip
    out = _LAYER_STEPS[layer](out, report, options)
    out["source_key"] = _source_keys(layer, out)
    _refuse_duplicate_keys(layer, out)
    report.features_kept = len(out)
    return PreparedLayer(schema, out.reset_index(drop=True), report)


@dataclass(frozen=True)
class _Options:
    """What the per-layer steps may need besides the frame and the report."""

    rules: HouseholdRules
    facility_classes: Mapping[str, str]
    incidents: IncidentOptions


# ------------------------------------------------------------------------- codes
def _check_codes(values: pd.Series, digits: int, what: str) -> None:
    pattern = re.compile(rf"^\d{{{digits}}}$")
    for row, value in values.items():
        if value is None or not pattern.match(value):
            raise SchemaError(
                f"{what} must be {digits} digits, got {value!r}",
                feature=row,
                fix=f"give the {digits}-digit code (e.g. from 统计用区划代码)",
            )


def _streets(out, report, options):  # noqa: ANN001, ARG001
    _check_codes(out["code"], 9, "street code (街道编码)")
    return out


def _communities(out, report, options):  # noqa: ANN001, ARG001
    _check_codes(out["code"], 12, "community code (社区编码)")
    derived = out["code"].str[:9]
    given = out["street_code"]
    wrong = given.notna() & (given != derived)
    if wrong.any():
        row = wrong.idxmax()
        raise SchemaError(
            f"community {out.at[row, 'code']} lies in street {derived[row]} by its code, "
            f"but the file says street {given[row]}",
            feature=row,
            fix="a community code starts with its street's 9-digit code: correct either",
        )
    out["street_code"] = derived
    village = out["code"].str[9:].astype(int) >= 200
    if village.any():
        report.notes.append(f"{int(village.sum())} codes are villagers' committees (200–399)")
    return out


def _compounds(out, report, options):  # noqa: ANN001, ARG001
    return out


def _buildings(out, report, options):  # noqa: ANN001
    area = out.geometry.to_crs(metric_crs(out)).area
    out["footprint_m2"] = area.to_numpy()
    residential = is_residential(out["use"], column_present="use" in report.fields)
    if "use" not in report.fields:
        report.notes.append("no use column: every building taken as residential")
    result = estimate_households(
        out["households"],
        out["footprint_m2"],
        out["floors"],
        out["height_m"],
        residential,
        options.rules,
    )
    unresolved = result.households.isna()
    if unresolved.any():
        rows = list(out.index[unresolved][:10])
        raise SchemaError(
            f"{int(unresolved.sum())} residential buildings have no households, floors or "
            f"height (features {rows})",
            fix="add a households (户数) or floors (层数) column, or set WANGGE_DEFAULT_FLOORS",
        )
    out["households"] = result.households.astype("int64")
    out["households_estimated"] = result.estimated.astype(bool)
    out["residential"] = result.residential.astype(bool)
    report.households_estimated = int(result.estimated.sum())
    report.notes += result.notes
    return out


def _facilities(out, report, options):  # noqa: ANN001, ARG001
    code = out["class_code"].copy()
    by_name = code.isna() & out["class_name"].notna()
    code[by_name] = out.loc[by_name, "class_name"].map(dict(options.facility_classes))
    unknown = code.isna()
    if unknown.any():
        row = unknown.idxmax()
        raise SchemaError(
            f"facility has no known class: code {out.at[row, 'class_code']!r}, "
            f"name {out.at[row, 'class_name']!r}",
            feature=row,
            fix="give a 4-digit class code (类别代码, e.g. 0117 路灯) or a class name "
            "from the classification; map a column with --field class_code=<column>",
        )
    _check_codes(code, 4, "facility class code (类别代码)")
    out["class_code"] = code
    if out["code"].notna().any():
        _check_codes(out["code"].dropna(), 16, "component code (部件编码)")
    status = out["status"].fillna("intact").str.strip().str.lower().map(STATUS_ALIASES)
    if status.isna().any():
        row = status.isna().idxmax()
        raise SchemaError(
            f"unknown facility status {out.at[row, 'status']!r}",
            feature=row,
            fix=f"use one of: {', '.join(STATUS_ALIASES)}",
        )
    out["status"] = status
    return out


def _incidents(out, report, options):  # noqa: ANN001
    return prepare_incidents(out, report, options.incidents)


_LAYER_STEPS = {
    "incidents": _incidents,
    "streets": _streets,
    "communities": _communities,
    "compounds": _compounds,
    "buildings": _buildings,
    "facilities": _facilities,
}


# ------------------------------------------------------------------------- keys
def _source_keys(layer: str, frame: gpd.GeoDataFrame) -> pd.Series:
    """Stable keys that make a re-import update instead of duplicate.

    Streets and communities are keyed by their code; other layers by the source id when
    the file has one, else by a hash of the normalised geometry (to 1e-7 degrees, ~1 cm).
    """
    if layer in ("streets", "communities"):
        return frame["code"]
    if layer == "incidents":
        return incident_keys(frame)
    rounded = shapely.set_precision(shapely.normalize(frame.geometry.array), 1e-7)
    hashes = [hashlib.sha1(shapely.to_wkb(g)).hexdigest()[:20] for g in rounded]
    geom_keys = pd.Series([f"geom:{h}" for h in hashes], index=frame.index)
    ids = frame["source_id"]
    return ("id:" + ids).where(ids.notna(), geom_keys)


def _refuse_duplicate_keys(layer: str, frame: gpd.GeoDataFrame) -> None:
    dup = frame["source_key"].duplicated(keep=False)
    if dup.any():
        rows = list(frame.index[dup][:10])
        what = {"streets": "code", "communities": "code"}.get(layer, "id or geometry")
        if layer == "incidents":
            what = "id, or point, time, class and description"
        raise SchemaError(
            f"{int(dup.sum())} features share the same {what} (features {rows})",
            fix="give each feature its own code/id, or remove the duplicates",
        )
