"""Matching a file's columns to a layer's canonical fields, and typing their values."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from gis.errors import SchemaError
from gis.layers import FieldSpec, LayerSchema

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def normalise(name: str) -> str:
    """Fold a column name for matching: case, blanks, and ``-``/space versus ``_``.

    Examples
    --------
    >>> normalise(" Building-Levels ")
    'building_levels'
    """
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def match_fields(
    columns: list[str], schema: LayerSchema, explicit: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Find the column that holds each canonical field.

    Parameters
    ----------
    columns : list of str
        Column names of the file (geometry excluded).
    schema : LayerSchema
        The layer being imported.
    explicit : mapping, optional
        ``{canonical field: column}`` given by the user; wins over aliases.

    Returns
    -------
    dict
        ``{canonical field: column}`` for every field found.

    Raises
    ------
    SchemaError
        If an explicit mapping names an unknown field or column, or a required field has
        no column; the message lists the columns found and the aliases accepted.
    """
    explicit = dict(explicit or {})
    found: dict[str, str] = {}
    for name, column in explicit.items():
        if name not in schema.field_names:
            raise SchemaError(
                f"--field {name}=…: the {schema.name} layer has no field {name!r}",
                fix=f"use one of: {', '.join(schema.field_names)}",
            )
        if column not in columns:
            raise SchemaError(
                f"--field {name}={column}: the file has no column {column!r}",
                fix=f"columns found: {', '.join(columns) or '(none)'}",
            )
        found[name] = column
    by_norm: dict[str, str] = {}
    for column in columns:
        by_norm.setdefault(normalise(column), column)
    taken = set(found.values())
    for spec in schema.fields:
        if spec.name in found:
            continue
        for alias in spec.accepted():
            match = by_norm.get(normalise(alias))
            if match is not None and match not in taken:
                found[spec.name] = match
                taken.add(match)
                break
    _require(schema, found, columns)
    return found


def _require(schema: LayerSchema, found: dict[str, str], columns: list[str]) -> None:
    missing = [s for s in schema.fields if s.required and s.name not in found]
    if not missing:
        return
    details = "; ".join(f"{s.name} ({s.description}) ← {', '.join(s.accepted())}" for s in missing)
    raise SchemaError(
        f"the {schema.name} file lacks required field(s): {details}. "
        f"Columns found: {', '.join(columns) or '(none)'}",
        fix=f"rename a column, or map it with --field {missing[0].name}=<column>",
    )


def coerce_column(values: pd.Series, spec: FieldSpec) -> pd.Series:
    """Convert one column to the field's type.

    Strings such as ``"18层"`` or ``"约300户"`` give their number; blanks give missing.
    Integer codes read as floats (``320102002.0``) become digit strings.

    Raises
    ------
    SchemaError
        If a value has no number in it where one is needed; names the feature.
    """
    if spec.type == "str":
        return values.map(_as_text).astype("object")
    numbers = values.map(_as_number)
    bad = numbers.isna() & values.map(_has_text)
    if bad.any():
        row = bad.idxmax()
        raise SchemaError(
            f"field {spec.name} ({spec.description}) has a value with no number: {values[row]!r}",
            feature=row,
            fix="correct or blank the value",
        )
    if spec.type == "int":
        return numbers.round().astype("Int64")
    return numbers.astype("float64")


def _has_text(value: object) -> bool:
    return _as_text(value) is not None


def _as_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip()
    return text or None


def _as_number(value: object) -> float:
    if isinstance(value, bool):
        return float("nan")
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        return number if np.isfinite(number) else float("nan")
    text = _as_text(value)
    if text is None:
        return float("nan")
    match = _NUMBER.search(text.replace(",", ""))
    return float(match.group()) if match else float("nan")


def canonical_frame(
    frame: pd.DataFrame, schema: LayerSchema, mapping: Mapping[str, str]
) -> pd.DataFrame:
    """Build a frame with exactly the schema's columns, typed, from ``frame``.

    Fields without a column are present and missing (``None``/``<NA>``).
    """
    out = pd.DataFrame(index=frame.index)
    for spec in schema.fields:
        if spec.name in mapping:
            out[spec.name] = coerce_column(frame[mapping[spec.name]], spec)
        elif spec.type == "str":
            out[spec.name] = pd.Series(None, index=frame.index, dtype="object")
        elif spec.type == "int":
            out[spec.name] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
        else:
            out[spec.name] = pd.Series(np.nan, index=frame.index, dtype="float64")
    return out
