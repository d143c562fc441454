"""``wangge import LAYER FILE``: read, check, repair and store one layer."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from api.cli.common import console, friendly_errors, open_engine
from api.loading import facility_class_names, incident_class_names, load_layer
from api.settings import Settings
from gis.errors import InputError
from gis.households import HouseholdRules
from gis.importing import ImportReport, prepare_layer
from gis.importing_incidents import DEFAULT_TIMEZONE, read_category_map
from gis.layers import LAYERS


def parse_field_options(options: list[str]) -> dict[str, str]:
    """Turn ``["households=户数", …]`` into a mapping; refuse malformed ones."""
    mapping = {}
    for option in options:
        name, sep, column = option.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise InputError(
                f"--field {option!r} is not of the form FIELD=COLUMN",
                fix="e.g. --field households=住户数",
            )
        mapping[name.strip()] = column.strip()
    return mapping


def import_layer(
    layer: str = typer.Argument(..., help=f"One of: {', '.join(LAYERS)}."),
    file: Path = typer.Argument(..., help="GeoPackage, GeoJSON, zipped Shapefile, Esri JSON, CSV."),
    crs: str = typer.Option(
        None, help="CRS when the file has none or a wrong one: EPSG code, WKT/PROJ, gcj02, bd09."
    ),
    field: list[str] = typer.Option(
        [], "--field", help="Map a column to a field: --field households=住户数 (repeatable)."
    ),
    source_layer: str = typer.Option(None, "--layer", help="Layer inside a multi-layer file."),
    category_map: Path = typer.Option(
        None, "--category-map", help="Incidents: CSV `category,class_code` (UTF-8 or GBK)."
    ),
    timezone: str = typer.Option(
        DEFAULT_TIMEZONE, "--timezone", help="Incidents: time zone of times without an offset."
    ),
    skip_undated: bool = typer.Option(
        False, "--skip-undated", help="Incidents: drop rows without any date (reported)."
    ),
) -> None:
    """Import one layer file into the database, in one transaction, and print a report."""
    settings = Settings()
    with friendly_errors():
        categories = read_category_map(category_map) if category_map else None
        import_file(settings, layer, file, crs=crs, fields=parse_field_options(field),
                    source_layer=source_layer, timezone=timezone, categories=categories,
                    skip_undated=skip_undated)  # fmt: skip


def import_file(
    settings: Settings,
    layer: str,
    file: Path,
    *,
    crs: str | None = None,
    fields: dict[str, str] | None = None,
    source_layer: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    categories: dict[str, str] | None = None,
    skip_undated: bool = False,
) -> ImportReport:
    """Prepare and load one file, showing progress, then print its report."""
    engine = open_engine(settings)
    try:
        rules = HouseholdRules(**settings.imports.model_dump())
        with console.status(f"reading and checking {file.name}…"):
            classes = facility_class_names(engine) if layer == "facilities" else None
            kinds = incident_class_names(engine) if layer == "incidents" else None
            prepared = prepare_layer(
                layer, file, crs=crs, fields=fields, rules=rules,
                facility_classes=classes, source_layer=source_layer, timezone=timezone,
                categories=categories, incident_classes=kinds, skip_undated=skip_undated,
            )  # fmt: skip
        with console.status(f"writing {prepared.report.features_kept} features…"):
            report = load_layer(engine, prepared)
    finally:
        engine.dispose()
    print_report(report)
    return report


def print_report(report: ImportReport) -> None:
    """The import report as a table and a list of notes."""
    table = Table(title=f"import {report.layer} ← {report.source} ({report.format})")
    table.add_column("")
    table.add_column("count", justify="right")
    rows = [
        ("features read", report.features_read),
        ("features kept", report.features_kept),
        ("inserted", report.inserted),
        ("updated", report.updated),
    ]
    if report.layer == "buildings":
        rows.append(("households estimated", report.households_estimated))
    if report.layer == "incidents":
        rows += [
            ("duplicates dropped", report.duplicates_dropped),
            ("without time of day", report.times_missing),
            ("undated, skipped", report.undated_skipped),
        ]
    for label, value in rows:
        table.add_row(label, str(value))
    console.print(table)
    if report.fields:
        console.print("fields: " + ", ".join(f"{k} ← {v}" for k, v in report.fields.items()))
    for line in report.repairs:
        console.print(f"[yellow]repair:[/] {line}", highlight=False)
    for line in report.notes:
        console.print(f"note: {line}", highlight=False)
