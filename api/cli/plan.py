"""``wangge plan list|show|publish``: the grid plans stored in the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import typer
from rich.table import Table
from sqlalchemy.engine import Engine

from api import plans
from api.cli.common import console, friendly_errors, open_engine
from api.cli.partition import print_summary
from api.settings import Settings
from gis.errors import InputError

app = typer.Typer(help="Grid plans: list, show and publish drafts.", no_args_is_help=True)


@contextmanager
def database() -> Iterator[Engine]:
    """The database of the environment's settings, disposed of afterwards."""
    engine = open_engine(Settings())
    try:
        yield engine
    finally:
        engine.dispose()


@app.command("list")
def list_plans(
    status: str = typer.Option(None, help="Only plans of this status: draft, published…"),
) -> None:
    """List the plans, newest first."""
    with friendly_errors(), database() as engine:
        rows = plans.list_plans(engine, status)
    table = Table(title="grid plans")
    for column in ("id", "status", "name", "communities", "grids", "households", "in force"):
        numeric = column in ("id", "communities", "grids", "households")
        table.add_column(column, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(
            str(row["id"]), row["status"], row["name"], str(len(row["community_codes"])),
            str(row["grids"]), str(row["households"]), _in_force(row),
        )  # fmt: skip
    console.print(table)


def _in_force(row: dict) -> str:
    if row["effective_from"] is None:
        return "—"
    if row["effective_to"] is None:
        return f"from {row['effective_from'].isoformat()}"
    return f"{row['effective_from'].isoformat()} – {row['effective_to'].isoformat()} (excl.)"


@app.command()
def show(plan_id: int = typer.Argument(..., help="The plan's id.")) -> None:
    """Show a plan: parameters, dates and quality measures per community."""
    with friendly_errors(), database() as engine:
        plan = plans.get_plan(engine, plan_id)
    params = plan["params"]
    console.print(
        f"plan {plan['id']} [bold]{plan['status']}[/]: {plan['name']}\n"
        f"target {params['target']} ± {params['tolerance']:.0%}, seed {params['seed']}, "
        f"roads {params.get('roads') or '—'}; in force {_in_force(plan)}",
        highlight=False,
    )
    metrics = plan["metrics"] or {}
    if metrics.get("overall"):
        print_summary(metrics["overall"], f"plan {plan_id}: {plan['grids']} grids")
    table = Table(title="communities")
    for column in ("community", "grids", "households", "within ±15%", "contiguous", "gap m²"):
        table.add_column(column, justify="left" if column == "community" else "right")
    for code, m in sorted(metrics.get("communities", {}).items()):
        table.add_row(
            code, str(m["grids"]), str(m.get("households", "")), f"{m['within_15']:.0%}",
            f"{m['contiguous']:.0%}", f"{m.get('gap_m2', 0):.2f}",
        )  # fmt: skip
    console.print(table)


def parse_exceptions(options: list[str]) -> dict[str, str]:
    """Turn ``["320505006023001=老旧小区"]`` into ``{code: reason}``; refuse malformed ones."""
    out = {}
    for option in options:
        code, sep, reason = option.partition("=")
        if not sep or not code.strip() or not reason.strip():
            raise InputError(
                f"--exception {option!r} is not of the form CODE=REASON",
                fix="e.g. --exception 320505006023001=老旧小区，楼栋不可拆分",
            )
        out[code.strip()] = reason.strip()
    return out


@app.command()
def publish(
    plan_id: int = typer.Argument(..., help="The draft's id."),
    effective_date: datetime = typer.Option(
        None, "--effective-date", formats=["%Y-%m-%d"], help="Day the grids take effect."
    ),
    exception: list[str] = typer.Option(
        [], "--exception", help="Accept a grid outside the band: CODE=REASON (repeatable)."
    ),
) -> None:
    """Check a draft and publish it; the plans it replaces are superseded."""
    with friendly_errors(), database() as engine:
        day = effective_date.date() if effective_date else None
        plan = plans.publish(
            engine, plan_id, effective_from=day, exceptions=parse_exceptions(exception)
        )
    console.print(
        f"[bold green]published[/] plan {plan['id']}: {plan['grids']} grids in "
        f"{len(plan['community_codes'])} communities, in force from {plan['effective_from']}",
        highlight=False,
    )
