"""Incident points ready for hotspot statistics: read, de-duplicated, dated and filtered.

:func:`read_incidents` reads a file as the importer does (CSV with longitude/latitude
columns in UTF-8 or GBK, GeoPackage, GeoJSON…) and brings it to EPSG:4326, converting
GCJ-02/BD-09. :func:`prepare_incidents` then drops exact duplicate rows and rows without
a location, reads the report time and the category, applies a date window and a
category filter, and says what it did in an :class:`IncidentReport`.

Report times come from one datetime column, or from a date column plus a time-of-day
column (as in the San Francisco sample: ``date`` and ``time``). A row with a date and no
time of day is placed at the start of its day and *kept* by a date window (which
works on whole days); only rows without any date are left out, and only when a window
is given.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gis import readers
from gis.crs import to_wgs84
from gis.errors import InputError, SchemaError
from gis.fields import normalise

__all__ = [
    "CATEGORY_ALIASES",
    "DATETIME_ALIASES",
    "DATE_ALIASES",
    "TIME_OF_DAY_ALIASES",
    "IncidentReport",
    "in_window",
    "prepare_incidents",
    "read_incidents",
]

DATETIME_ALIASES = ("reported_at", "datetime", "timestamp", "report_time", "上报时间", "发生时间")
DATE_ALIASES = ("date", "report_date", "日期", "上报日期", "发生日期")
TIME_OF_DAY_ALIASES = ("time", "time_of_day", "时间", "时刻")
CATEGORY_ALIASES = ("category", "category_code", "class_code", "type", "类别", "事件类别", "分类")
_TIME_OF_DAY = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


@dataclass
class IncidentReport:
    """What :func:`prepare_incidents` found and did; every count is of rows.

    Attributes
    ----------
    rows : int
        Rows read.
    without_location : int
        Rows without a point, dropped.
    duplicates : int
        Exact duplicates (every column and the point equal to an earlier row), dropped.
    without_date : int
        Located rows (duplicates included) with no readable date; left out only by a
        window.
    without_time_of_day : int
        Located rows (duplicates included) with a date but no time of day; placed at
        00:00 and kept.
    outside_window : int
        Rows left out by the date window (including those without a date).
    other_category : int
        Rows left out by the category filter.
    kept : int
        Rows in the result.
    time_fields : tuple of str
        The column(s) the report time was read from; empty when there is none.
    category_field : str or None
        The category column, if any.
    """

    rows: int = 0
    without_location: int = 0
    duplicates: int = 0
    without_date: int = 0
    without_time_of_day: int = 0
    outside_window: int = 0
    other_category: int = 0
    kept: int = 0
    time_fields: tuple[str, ...] = ()
    category_field: str | None = None
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One sentence per thing worth telling, for the CLI or an import report."""
        out = [f"{self.rows:,} rows read"]
        if self.without_location:
            out.append(f"{self.without_location:,} rows without a location dropped")
        out.append(f"{self.duplicates:,} exact duplicate rows dropped")
        if self.time_fields:
            out.append(
                f"times from {' + '.join(self.time_fields)}: {self.without_date:,} rows "
                f"without a date, {self.without_time_of_day:,} with a date but no time of "
                "day (placed at 00:00, kept by date windows)"
            )
        else:
            out.append("no report-time column: every row kept, no time analysis")
        if self.outside_window:
            out.append(f"{self.outside_window:,} rows outside the date window left out")
        if self.other_category:
            out.append(f"{self.other_category:,} rows of other categories left out")
        out.append(f"{self.kept:,} incidents analysed")
        return out + self.notes


def read_incidents(
    path: str | os.PathLike,
    *,
    crs: str | None = None,
    lon_field: str | None = None,
    lat_field: str | None = None,
    layer: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read incident points from a file and bring them to EPSG:4326.

    Parameters
    ----------
    path : str or os.PathLike
        CSV (longitude/latitude columns found by their usual names, or named by
        ``lon_field``/``lat_field``; UTF-8 or GBK), GeoPackage, GeoJSON, Shapefile.
    crs : str, optional
        CRS of the coordinates (``4326``, ``gcj02``, ``bd09``, a WKT…); needed for a CSV,
        which declares none; wins over a file's own (see :func:`gis.crs.to_wgs84`).
    lon_field, lat_field : str, optional
        Longitude and latitude columns of a CSV, when not named ``lon``/``经度``….
    layer : str, optional
        GeoPackage layer.

    Returns
    -------
    frame : geopandas.GeoDataFrame
        Every row of the file (other columns as read), points in EPSG:4326.
    notes : list of str
        What the reader and the CRS step decided.

    Raises
    ------
    gis.errors.FormatError, gis.errors.CRSError, gis.errors.SchemaError
        Unreadable file, unknown or missing CRS, named columns that do not exist.
    """
    if (lon_field is None) != (lat_field is None):
        raise SchemaError("give both --lon-field and --lat-field, or neither")
    if lon_field is not None and lat_field is not None:
        raw = _read_csv_columns(Path(path), lon_field, lat_field)
    else:
        raw = readers.read_vector(path, layer=layer)
    frame, notes = to_wgs84(raw.frame, crs)
    return frame, raw.notes + notes


def _read_csv_columns(path: Path, lon_field: str, lat_field: str) -> readers.RawLayer:
    """A CSV's points from the named columns (the reader only knows the usual names)."""
    if path.suffix.lower() not in (".csv", ".txt"):
        raise SchemaError(
            "--lon-field/--lat-field apply to CSV files only",
            fix="other formats carry their geometry; leave the options out",
        )
    if not path.exists():
        raise InputError(f"file {path} does not exist", fix="check the path and file name")
    text, notes = readers._decode_text(path.read_bytes(), None, path.name)
    table = readers._parse_csv(text, path.name)
    missing = [name for name in (lon_field, lat_field) if name not in table.columns]
    if missing:
        raise SchemaError(
            f"{path.name} has no column {', '.join(map(repr, missing))}",
            fix=f"the columns are: {', '.join(map(str, table.columns))}",
        )
    x = pd.to_numeric(table[lon_field], errors="coerce")
    y = pd.to_numeric(table[lat_field], errors="coerce")
    points = gpd.points_from_xy(x.fillna(0), y.fillna(0))
    points[(x.isna() | y.isna()).to_numpy()] = None
    notes.append(f"points from columns {lon_field!r} (x) and {lat_field!r} (y)")
    return readers.RawLayer(gpd.GeoDataFrame(table, geometry=points, crs=None), "csv", notes)


def prepare_incidents(
    frame: gpd.GeoDataFrame,
    *,
    time_field: str | Sequence[str] | None = None,
    category_field: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    categories: Sequence[str] = (),
) -> tuple[gpd.GeoDataFrame, IncidentReport]:
    """Clean incidents and keep those in a date window and categories.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Incident points in EPSG:4326 (e.g. from :func:`read_incidents`); not modified.
    time_field : str or sequence of str, optional
        The report-time column, or a date column and a time-of-day column (as a pair
        or ``"date,time"``). Found by name when not given (:data:`DATETIME_ALIASES`,
        :data:`DATE_ALIASES` + :data:`TIME_OF_DAY_ALIASES`); none is fine without a window.
    category_field : str, optional
        The category (code) column; found by name (:data:`CATEGORY_ALIASES`) when not
        given and needed.
    start, end : datetime.date, optional
        First and last day of the window, both included.
    categories : sequence of str
        Keep only these category values (compared without case and surrounding blanks).

    Returns
    -------
    incidents : geopandas.GeoDataFrame
        The kept rows with columns ``reported_at`` (datetime64, NaT when unknown),
        ``category`` (text or None) and ``geometry``; EPSG:4326.
    report : IncidentReport

    Raises
    ------
    gis.errors.SchemaError
        A named column is missing; a window without any time column; categories asked
        for without a category column; a time column with no readable date.
    gis.errors.InputError
        No incident is left (the message says what removed them).
    """
    report = IncidentReport(rows=len(frame))
    geoms = frame.geometry
    located = ~(geoms.isna() | geoms.is_empty).to_numpy()
    report.without_location = int((~located).sum())
    data = frame.loc[located]
    windowed = start is not None or end is not None
    if start is not None and end is not None and start > end:
        raise InputError(f"the window starts ({start}) after it ends ({end})")
    fields = _time_fields(data, time_field, required=windowed)
    times, no_time_of_day = _read_times(data, fields)
    report.time_fields = fields
    report.without_date = int(times.isna().sum())
    report.without_time_of_day = int(no_time_of_day.sum())
    duplicated = _exact_duplicates(data)
    report.duplicates = int(duplicated.sum())
    data, times = data.loc[~duplicated], times.loc[~duplicated]
    keep = np.ones(len(data), dtype=bool)
    if windowed:
        inside = in_window(times, start, end)
        report.outside_window = int((~inside).sum())
        keep &= inside
    category = _categories(data, category_field, required=bool(categories))
    report.category_field = category.name if category is not None else None
    if categories:
        assert category is not None
        wanted = {str(c).strip().casefold() for c in categories}
        match = category.fillna("").str.strip().str.casefold().isin(wanted).to_numpy()
        report.other_category = int((keep & ~match).sum())
        if not match.any():
            present = category.value_counts().index[:8]
            raise InputError(
                f"no incident of category {', '.join(categories)} in {category.name!r}",
                fix=f"categories present include: {', '.join(map(str, present))}",
            )
        keep &= match
    report.kept = int(keep.sum())
    if report.kept == 0:
        raise InputError(
            "no incident left to analyse: " + "; ".join(report.lines()[1:-1]),
            fix="widen the date window (--from/--to) or the categories",
        )
    out = gpd.GeoDataFrame(
        {
            "reported_at": times.to_numpy()[keep],
            "category": category.to_numpy()[keep] if category is not None else None,
        },
        geometry=data.geometry.to_numpy()[keep],
        crs=frame.crs,
    )
    return out, report


def in_window(
    times: pd.Series, start: dt.date | None = None, end: dt.date | None = None
) -> NDArray[np.bool_]:
    """Which times fall in a window; unknown times (NaT) never do.

    Parameters
    ----------
    times : pandas.Series of datetime64
        Naive local times (China Standard Time in wangge).
    start, end : datetime.date or datetime.datetime, optional
        Bounds, both included. A ``date`` (not a ``datetime``) covers its whole day, so
        ``end=date(2024, 5, 31)`` keeps everything reported on 31 May.

    Returns
    -------
    numpy.ndarray of bool
    """
    inside = times.notna().to_numpy().copy()
    if start is not None:
        inside &= (times >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        whole_day = not isinstance(end, dt.datetime)
        limit = pd.Timestamp(end) + pd.Timedelta(days=1) if whole_day else pd.Timestamp(end)
        inside &= ((times < limit) if whole_day else (times <= limit)).to_numpy()
    return inside


def _exact_duplicates(data: gpd.GeoDataFrame) -> NDArray[np.bool_]:
    """Rows equal to an earlier row in every column and the geometry."""
    plain = pd.DataFrame(data.drop(columns=data.geometry.name)).astype(str)
    plain["__wkb"] = data.geometry.to_wkb()
    return plain.duplicated(keep="first").to_numpy()


def _find(columns: pd.Index, aliases: Sequence[str]) -> str | None:
    folded = {normalise(c): c for c in columns}
    return next((folded[a] for a in aliases if a in folded), None)


def _time_fields(
    data: pd.DataFrame, time_field: str | Sequence[str] | None, *, required: bool
) -> tuple[str, ...]:
    if time_field is not None:
        given = time_field.split(",") if isinstance(time_field, str) else time_field
        names = tuple(name.strip() for name in given)
        missing = [n for n in names if n not in data.columns]
        if missing or not 1 <= len(names) <= 2:
            raise SchemaError(
                f"time field {', '.join(missing or names)} not found",
                fix="give one column or 'date,time'; the columns are: "
                + ", ".join(map(str, data.columns)),
            )
        return names
    date = _find(data.columns, DATE_ALIASES)
    if date is not None:
        time = _find(data.columns, TIME_OF_DAY_ALIASES)
        return (date, time) if time is not None and time != date else (date,)
    stamp = _find(data.columns, DATETIME_ALIASES + TIME_OF_DAY_ALIASES)
    if stamp is not None:
        return (stamp,)
    if required:
        raise SchemaError(
            "a date window was given but no report-time column was found",
            fix="name it with --time-field (or 'date,time'); the columns are: "
            + ", ".join(map(str, data.columns)),
        )
    return ()


def _read_times(data: pd.DataFrame, fields: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """Report times (NaT when unknown) and which dated rows have no time of day."""
    none = pd.Series(False, index=data.index)
    if not fields:
        return pd.Series(pd.NaT, index=data.index, dtype="datetime64[ns]"), none
    stamps = _parse_datetimes(data[fields[0]], fields[0])
    if len(fields) == 1:
        return stamps, none
    clock = data[fields[1]].astype("string").str.extract(_TIME_OF_DAY)
    hours, minutes, seconds = (pd.to_numeric(clock[i], errors="coerce") for i in range(3))
    offset = pd.to_timedelta(hours * 3600 + minutes * 60 + seconds.fillna(0), unit="s")
    no_time = stamps.notna() & offset.isna()
    return stamps.dt.normalize() + offset.fillna(pd.Timedelta(0)), no_time


def _parse_datetimes(values: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values).dt.tz_localize(None) if values.dt.tz else values
    text = values.astype("string").str.strip().replace("", pd.NA)
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    if parsed.isna().sum() > text.isna().sum():
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    if text.notna().any() and parsed.isna().all():
        example = text.dropna().iloc[0]
        raise SchemaError(
            f"column {name!r} holds no readable dates (e.g. {example!r})",
            fix="write dates as 2024-05-01 or 2024-05-01 08:30, or name another --time-field",
        )
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    return parsed


def _categories(
    data: pd.DataFrame, category_field: str | None, *, required: bool
) -> pd.Series | None:
    name = category_field or _find(data.columns, CATEGORY_ALIASES)
    if category_field is not None and category_field not in data.columns:
        raise SchemaError(
            f"category field {category_field!r} not found",
            fix="the columns are: " + ", ".join(map(str, data.columns)),
        )
    if name is None:
        if required:
            raise SchemaError(
                "--category was given but no category column was found",
                fix="name it with --category-field; the columns are: "
                + ", ".join(map(str, data.columns)),
            )
        return None
    return data[name].astype("string").astype(object).where(data[name].notna(), None).rename(name)
