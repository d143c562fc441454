"""``wangge classes list|add``: the facility classification (部件分类)."""

from __future__ import annotations

import typer
from rich.table import Table

from api.classes import add_class, list_classes
from api.cli.common import console, friendly_errors, open_engine
from api.settings import Settings

app = typer.Typer(help="Facility classes (部件分类): list, or add a deployment's own.")


@app.command("list")
def list_command() -> None:
    """List the facility classes in force."""
    with friendly_errors():
        engine = open_engine(Settings())
        rows = list_classes(engine)
        engine.dispose()
    table = Table(title="部件分类 facility classes")
    for column in ("code", "name", "major", "builtin"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["code"], r["name"], f"{r['major_code']} {r['major_name']}", str(r["builtin"])
        )
    console.print(table)


@app.command("add")
def add_command(
    code: str = typer.Argument(..., help="4 digits: major + minor class, e.g. 0124."),
    name: str = typer.Argument(..., help="Chinese name, e.g. 高杆灯."),
    name_en: str = typer.Option(None, help="English name."),
    major_name: str = typer.Option(None, help="Name of a non-standard major class."),
) -> None:
    """Add a facility class of this deployment's own."""
    with friendly_errors():
        engine = open_engine(Settings())
        row = add_class(engine, code, name, name_en=name_en, major_name=major_name)
        engine.dispose()
    console.print(f"added {row['code']} {row['name']} ({row['major_name']})")
