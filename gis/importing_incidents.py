"""The incident steps of an import: times, duplicates, classes by category, sources, keys.

A file of incidents from elsewhere (a hotline export, a police dataset) names its classes
in its own words, gives the date and the time of day in one column or two, in local time,
sometimes without a time, and repeats rows. :func:`prepare_incidents` turns such rows into
wangge's: a class code of the classification, ``reported_at`` as an aware UTC timestamp
with ``time_known``, a known source, and no exact duplicates; everything done is counted
in the report. It is pure: geometry stays in EPSG:4326 degrees as
:func:`gis.importing.prepare_layer` made it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import geopandas as gpd
import pandas as pd
import shapely

from gis.errors import InputError, SchemaError
from gis.incidents.classes import SOURCES

#: Time zone in which times without an offset are read.
DEFAULT_TIMEZONE = "Asia/Shanghai"

#: Source values accepted, to the stored term: the terms, their Chinese names, synonyms.
SOURCE_ALIASES: dict[str, str] = {
    **{key: key for key in SOURCES},
    **{name: key for key, name in SOURCES.items()},
    "巡查": "patrol",
    "网格员": "patrol",
    "居民": "resident",
    "12345": "hotline",
    "热线": "hotline",
    "其他": "other",
}

_DATE_CHARS = str.maketrans({"年": "-", "月": "-", "日": " ", "/": "-", "．": "."})
_CLOCK = re.compile(r"\d{1,2}:\d{2}")
_TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")
_LISTED = 10
_NO_VALUE = frozenset({"NaT", "nan", "NaN", "None", "null", "NULL"})


class _Report(Protocol):
    """The parts of :class:`gis.importing.ImportReport` these steps fill."""

    fields: dict[str, str]
    notes: list[str]
    duplicates_dropped: int
    times_missing: int
    undated_skipped: int


@dataclass(frozen=True)
class IncidentOptions:
    """How to read an incident file.

    Parameters
    ----------
    timezone : str
        IANA time zone of times given without an offset (``"America/Los_Angeles"``).
    categories : mapping
        ``{foreign category: 4-digit subclass code}`` for rows without a class code;
        matched ignoring case and repeated blanks.
    classes : mapping, optional
        ``{code: name}`` of the classification in force; codes not in it are refused.
        ``None`` checks the format only (the database checks again on load).
    skip_undated : bool
        Drop rows without any date (counted in the report) instead of refusing the file.
    """

    timezone: str = DEFAULT_TIMEZONE
    categories: Mapping[str, str] = field(default_factory=dict)
    classes: Mapping[str, str] | None = None
    skip_undated: bool = False


def zone(name: str) -> ZoneInfo:
    """The time zone ``name``; an :class:`InputError` naming the fix if it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown time zone {name!r}",
            fix="give an IANA zone name such as Asia/Shanghai or America/Los_Angeles",
        ) from None


# ------------------------------------------------------------------ category map
def _category_key(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def read_category_map(path: str | Path) -> dict[str, str]:
    """Read a category mapping table: a CSV with columns ``category,class_code``.

    Parameters
    ----------
    path : str or Path
        UTF-8 (with or without BOM) or GBK text; extra columns (a note, the class
        name) are ignored.

    Returns
    -------
    dict
        ``{category: class code}``.

    Raises
    ------
    InputError
        If the file cannot be read, lacks a column, maps a category twice differently or
        gives a code that is not 4 digits; the message names the line.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the category map {path}: {exc.strerror}") from None
    return parse_category_map(data, path.name)


def parse_category_map(data: bytes, name: str = "category map") -> dict[str, str]:
    """Parse the bytes of a category mapping table; see :func:`read_category_map`."""
    from gis.readers import _decode_text, _parse_csv

    text, _ = _decode_text(data, None, name)
    table = _parse_csv(text, name)
    table.columns = [str(c).strip().lower() for c in table.columns]
    if not {"category", "class_code"} <= set(table.columns):
        raise SchemaError(
            f"the category map {name} has columns {', '.join(table.columns)}",
            fix="give a CSV with a header line `category,class_code`",
        )
    mapping: dict[str, str] = {}
    for line, (category, code) in enumerate(
        zip(table["category"], table["class_code"], strict=True), start=2
    ):
        category, code = _text(category), _text(code) or ""
        if category is None:
            continue
        if not re.fullmatch(r"\d{4}", code):
            raise SchemaError(
                f"the category map {name} maps {category!r} to {code!r} (line {line})",
                fix="give a 4-digit subclass code, e.g. 0901 其他事件",
            )
        if mapping.get(category, code) != code:
            raise SchemaError(
                f"the category map {name} maps {category!r} twice (line {line})",
                fix="keep one class code per category",
            )
        mapping[category] = code
    return mapping


# ------------------------------------------------------------------------- steps
def prepare_incidents(
    frame: gpd.GeoDataFrame, report: _Report, options: IncidentOptions
) -> gpd.GeoDataFrame:
    """Times, undated rows, duplicates, class codes and sources of an incident layer.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Canonical incident columns, points in EPSG:4326.
    report : ImportReport
        Filled with counts and notes.
    options : IncidentOptions
        Time zone, category map, known classes, undated rows.

    Returns
    -------
    geopandas.GeoDataFrame
        The rows kept, with ``reported_at`` (aware, UTC), ``time_known``, ``class_code``,
        ``source`` and ``description`` (never missing).

    Raises
    ------
    SchemaError
        Unreadable dates or times, undated rows (unless skipped), unmapped categories,
        unknown class codes or sources; each message lists the rows or values.
    """
    out = frame.copy()
    _times(out, report, zone(options.timezone))
    out = _drop_undated(out, report, options.skip_undated)
    out = _drop_duplicates(out, report)
    out["class_code"] = _class_codes(out, report, options)
    out["source"] = _sources(out, report)
    out["description"] = out["description"].fillna("")
    return out


def _rows(mask: pd.Series) -> str:
    rows = [int(r) if isinstance(r, int | float) else r for r in mask.index[mask][:_LISTED]]
    more = int(mask.sum()) - len(rows)
    return f"features {rows}" + (f" and {more} more" if more > 0 else "")


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return None if not text or text in _NO_VALUE else text


def _parse_date(text: str) -> pd.Timestamp | None:
    try:
        value = pd.Timestamp(text.translate(_DATE_CHARS).strip())
    except (ValueError, TypeError, OverflowError):
        return None
    return None if value is pd.NaT else value


def _parse_time(text: str) -> time | None:
    match = _TIME_OF_DAY.match(text.strip())
    if match is None:
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _to_utc(day: pd.Timestamp, clock: time | None, tz: ZoneInfo) -> datetime:
    local = day.to_pydatetime()
    if clock is not None:
        local = local.replace(hour=clock.hour, minute=clock.minute, second=clock.second,
                              microsecond=0)  # fmt: skip
    if local.tzinfo is None:
        local = local.replace(tzinfo=tz)  # fold=0: an ambiguous hour takes its first offset
    return local.astimezone(UTC)


def _times(out: gpd.GeoDataFrame, report: _Report, tz: ZoneInfo) -> None:
    """Fill ``reported_at`` (aware, UTC) and ``time_known``; None where the row has no date."""
    if "reported_at" not in report.fields:
        raise SchemaError(
            "the incidents file has no date column",
            fix="name it 上报时间, 发生时间, datetime or date, or map it with "
            "--field reported_at=<column>",
        )
    reader = _TimeReader(tz, clock_column="reported_time" in report.fields)
    texts = [_text(v) for v in out["reported_at"]]
    clocks = [_text(v) for v in out["reported_time"]]
    rows = [reader.read(text, clock) for text, clock in zip(texts, clocks, strict=True)]
    stamps, known = [r[0] for r in rows], [r[1] for r in rows]
    problem = pd.Series([r[2] for r in rows], index=out.index, dtype="object")
    _refuse_rows(out, problem == "date", "reported_at", "dates", "2016-06-12 or 2016/6/12 16:00")
    _refuse_rows(out, problem == "time", "reported_time", "times of day", "16:00 or 16:00:30")
    out["reported_at"] = pd.Series(stamps, index=out.index, dtype="object")
    out["time_known"] = pd.Series(known, index=out.index, dtype=bool)
    missing = int((out["reported_at"].notna() & ~out["time_known"]).sum())
    report.times_missing = missing
    if missing:
        report.notes.append(
            f"{missing} rows read have a date but no time of day: stored at 00:00 "
            f"{tz.key} with time_known false"
        )
    report.notes.append(f"times without an offset read as {tz.key} local time, stored in UTC")


class _TimeReader:
    """Reads one row's date and time of day, caching the parse of repeated values."""

    def __init__(self, tz: ZoneInfo, clock_column: bool):
        self.tz = tz
        self.clock_column = clock_column
        self.dates: dict[str, pd.Timestamp | None] = {}
        self.clocks: dict[str, time | None] = {}

    def read(self, text: str | None, clock_text: str | None) -> tuple[datetime | None, bool, str]:
        """``(UTC time or None, time of day known, problem: "", "date" or "time")``."""
        if text is None:
            return None, False, ""
        if text not in self.dates:
            self.dates[text] = _parse_date(text)
        day = self.dates[text]
        if day is None:
            return None, False, "date"
        if clock_text is not None:
            if clock_text not in self.clocks:
                self.clocks[clock_text] = _parse_time(clock_text)
            clock = self.clocks[clock_text]
            if clock is None:
                return None, False, "time"
            return _to_utc(day, clock, self.tz), True, ""
        # a clock in the date column counts, except a date column's 00:00 placeholder
        # when the file has a time-of-day column (left empty in this row)
        known = bool(_CLOCK.search(text)) and not (self.clock_column and day.time() == time(0))
        return _to_utc(day if known else day.normalize(), None, self.tz), known, ""


def _refuse_rows(
    out: gpd.GeoDataFrame, mask: pd.Series, column: str, what: str, example: str
) -> None:
    if mask.any():
        values = ", ".join(sorted({str(v) for v in out.loc[mask, column].head(3)}))
        raise SchemaError(
            f"{int(mask.sum())} rows have {what} that cannot be read ({_rows(mask)}; "
            f"values such as {values})",
            fix=f"write them as e.g. {example}",
        )


def _drop_undated(out: gpd.GeoDataFrame, report: _Report, skip: bool) -> gpd.GeoDataFrame:
    undated = out["reported_at"].isna()
    if not undated.any():
        return out
    if not skip:
        raise SchemaError(
            f"{int(undated.sum())} rows have no date ({_rows(undated)})",
            fix="add their dates, or import without them with --skip-undated",
        )
    report.undated_skipped = int(undated.sum())
    report.notes.append(f"{report.undated_skipped} rows without any date skipped")
    return out[~undated]


def _drop_duplicates(out: gpd.GeoDataFrame, report: _Report) -> gpd.GeoDataFrame:
    """Drop rows equal in every field and in their point (to 1e-7 degrees, about 1 cm)."""
    values = out.drop(columns=out.geometry.name).astype(str)
    rounded = shapely.set_precision(out.geometry.array, 1e-7)
    values["_wkb"] = [shapely.to_wkb(g, hex=True) for g in rounded]
    duplicate = values.duplicated(keep="first")
    report.duplicates_dropped = int(duplicate.sum())
    if report.duplicates_dropped:
        report.notes.append(
            f"{report.duplicates_dropped} exact duplicate rows dropped (same point, time and "
            f"fields as an earlier row: {_rows(duplicate)})"
        )
    return out[~duplicate]


def _class_codes(out: gpd.GeoDataFrame, report: _Report, options: IncidentOptions) -> pd.Series:
    if "class_code" not in report.fields and "category" not in report.fields:
        raise SchemaError(
            "the incidents file has neither a class code nor a category column",
            fix="name a column 小类代码/class_code, or 类别/category with --category-map",
        )
    code = out["class_code"].copy()
    lookup = {_category_key(k): v for k, v in options.categories.items()}
    foreign = code.isna() & out["category"].notna()
    code[foreign] = out.loc[foreign, "category"].map(lambda c: lookup.get(_category_key(c)))
    unmapped = code.isna() & out["category"].notna()
    if unmapped.any():
        counts = Counter(out.loc[unmapped, "category"])
        listed = ", ".join(f"{c} ({n})" for c, n in counts.most_common())
        raise SchemaError(
            f"{len(counts)} categories have no class code: {listed}",
            fix="add them to a category map (a CSV with columns category,class_code, e.g. "
            f"`{counts.most_common(1)[0][0]},0901`) and pass it with --category-map; "
            "0901 其他事件 takes what has no counterpart",
        )
    if code.isna().any():
        raise SchemaError(
            f"{int(code.isna().sum())} rows have neither a class code nor a category "
            f"({_rows(code.isna())})",
            fix="give each row a 4-digit class code (小类代码) or a category",
        )
    malformed = ~code.str.fullmatch(r"\d{4}")
    if malformed.any():
        raise SchemaError(
            f"class codes must be 4 digits (a subclass), got {code[malformed].iloc[0]!r} "
            f"({_rows(malformed)})",
            fix="give the 4-digit subclass code, e.g. 0102 暴露垃圾",
        )
    if options.classes is not None:
        unknown = Counter(c for c in code if c not in options.classes)
        if unknown:
            listed = ", ".join(f"{c} ({n})" for c, n in sorted(unknown.items()))
            raise SchemaError(
                f"unknown incident class code(s): {listed}",
                fix="use a subclass of incident_class (GET /incident-classes), or add it first",
            )
    return code


def _sources(out: gpd.GeoDataFrame, report: _Report) -> pd.Series:
    given = out["source"]
    source = pd.Series(
        [None if v is None else SOURCE_ALIASES.get(v.lower()) for v in map(_text, given)],
        index=out.index, dtype="object",
    )  # fmt: skip
    unknown = given.map(_text).notna() & source.isna()
    if unknown.any():
        values = ", ".join(sorted(set(given[unknown]))[:_LISTED])
        raise SchemaError(
            f"unknown incident source(s): {values} ({_rows(unknown)})",
            fix=f"use one of: {', '.join(SOURCE_ALIASES)}",
        )
    missing = int(given.map(_text).isna().sum())
    if missing:
        report.notes.append(f"{missing} rows name no source: stored as other (其他渠道)")
    return source.fillna("other")


# ------------------------------------------------------------------------- keys
def incident_keys(frame: gpd.GeoDataFrame) -> pd.Series:
    """Stable keys so that re-importing a file updates its incidents instead of adding.

    The source id when the row has one (``id:…``); otherwise a hash (``hash:…``) of the
    point rounded to 1e-7 degrees (EPSG:4326, about 1 cm), the time (UTC), the class code,
    the foreign category and the description.
    """
    rounded = shapely.set_precision(frame.geometry.array, 1e-7)
    keys = []
    for geom, at, code, category, text in zip(
        rounded, frame["reported_at"], frame["class_code"], frame["category"],
        frame["description"], strict=True,
    ):  # fmt: skip
        parts: list[Any] = [shapely.to_wkb(geom, hex=True), at.isoformat(), code, category, text]
        digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]
        keys.append(f"hash:{digest}")
    hashed = pd.Series(keys, index=frame.index)
    ids = frame["source_id"]
    return ("id:" + ids).where(ids.notna(), hashed)
