"""``wangge partition``: split communities into grids, from the database or from files.

Without ``--communities`` and ``--buildings`` the communities stored in the database are
partitioned into a new draft plan (publish it with ``wangge plan publish``); with them,
files are partitioned into a GeoPackage and no database is needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api import plans
from api.cli.common import console, friendly_errors, open_engine
from api.settings import ImportSettings, Settings
from gis.errors import InputError
from gis.households import HouseholdRules
from gis.importing import prepare_layer
from gis.metrics import Band, partition_metrics
from gis.partition import GridPartitioner, PartitionParams, PartitionResult
from gis.roads import read_roads


def partition(
    communities: Path = typer.Option(None, help="Community boundaries (code = 12 digits)."),
    buildings: Path = typer.Option(None, help="Building footprints (households or floors)."),
    compounds: Path = typer.Option(None, help="Compound (小区) outlines, optional."),
    roads: Path = typer.Option(None, help="Road lines, optional; main roads by class."),
    community: list[str] = typer.Option(
        [],
        "--community",
        help="Database mode: a community code to partition (repeatable; "
        "default every stored community).",
    ),
    target: int = typer.Option(300, help="Households per grid."),
    tolerance: float = typer.Option(0.15, help="Allowed relative deviation (0.15 = ±15%)."),
    seed: int = typer.Option(0, help="Random seed: same input and seed, same grids."),
    jobs: int = typer.Option(0, help="Worker processes (0 = one per core)."),
    out: Path = typer.Option(None, help="Output GeoPackage (layers grids, buildings)."),
    metrics: Path = typer.Option(None, help="Write quality measures to this JSON file."),
    crs: str = typer.Option(None, help="CRS of input files that have none."),
    name: str = typer.Option(None, help="Database mode: name of the draft plan."),
    note: str = typer.Option(None, help="Database mode: a note kept with the draft plan."),
) -> None:
    """Partition communities into ~300-household grids.

    Without --communities and --buildings: the database's communities into a draft plan.
    With them: files into a GeoPackage (--out).
    """
    params = _params_or_exit(target, tolerance)
    if communities is None and buildings is None:
        with friendly_errors():
            plan = partition_database(
                community, roads=roads, crs=crs, params=params, seed=seed, jobs=jobs,
                name=name, note=note, refused={"--compounds": compounds, "--out": out},
            )  # fmt: skip
        if metrics:
            text = json.dumps(plan["metrics"], ensure_ascii=False, indent=1)
            metrics.write_text(text, encoding="utf-8")
        console.print(f"draft plan {plan['id']}: {plan['grids']} grids", highlight=False)
        print_summary(plan["metrics"]["overall"], f"draft plan {plan['id']}")
        console.print(f"check it, then publish: wangge plan publish {plan['id']}", highlight=False)
        return
    with friendly_errors():
        if communities is None or buildings is None or out is None:
            raise InputError(
                "partitioning from files needs --communities, --buildings and --out",
                fix="e.g. wangge partition --communities c.gpkg --buildings b.gpkg --out g.gpkg",
            )
        layers = _read_inputs(communities, buildings, compounds, roads, crs)
        result = run_partition(params, seed, jobs, **layers)
        report = partition_metrics(
            result.grids, layers["communities"], result.buildings,
            band=Band(params.target, params.tolerance), roads=layers["roads"],
            crs=result.crs, seconds=result.seconds["total"],
        )  # fmt: skip
        write_result(result, out)
        if metrics:
            metrics.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print_summary(report["overall"], f"grids → {out}")


def _params_or_exit(target: int, tolerance: float) -> PartitionParams:
    with friendly_errors():
        return _params(target, tolerance)


def partition_database(
    codes: list[str],
    *,
    roads: Path | None,
    crs: str | None,
    params: PartitionParams,
    seed: int,
    jobs: int,
    name: str | None,
    note: str | None,
    refused: dict[str, Path | None],
) -> dict:
    """Partition the stored communities ``codes`` (all when empty); the draft's summary."""
    given = [option for option, value in refused.items() if value is not None]
    if given:
        raise InputError(
            f"{', '.join(given)} only apply when partitioning files",
            fix="partitioning the database uses its compounds and stores a draft plan; "
            "give --communities and --buildings to partition files instead",
        )
    road_lines = read_roads(roads, crs=crs)[0] if roads else None
    engine = open_engine(Settings())
    try:
        with progress_bar() as progress:
            return plans.create_draft(
                engine, communities=codes, params=params, seed=seed, roads=road_lines,
                roads_source=roads.name if roads else None, name=name, note=note, jobs=jobs,
                progress=progress,
            )  # fmt: skip
    finally:
        engine.dispose()


def _params(target: int, tolerance: float) -> PartitionParams:
    try:
        return PartitionParams(target=target, tolerance=tolerance)
    except ValueError as exc:
        raise InputError(str(exc), fix="--target 300 --tolerance 0.15") from None


def _read_inputs(communities, buildings, compounds, roads, crs) -> dict:  # noqa: ANN001
    rules = HouseholdRules(**ImportSettings().model_dump())
    with console.status("reading and checking the input files…"):
        layers = {
            "communities": prepare_layer("communities", communities, crs=crs).frame,
            "buildings": prepare_layer("buildings", buildings, crs=crs, rules=rules).frame,
            "compounds": None,
            "roads": None,
        }
        if compounds:
            layers["compounds"] = prepare_layer("compounds", compounds, crs=crs).frame
        if roads:
            layers["roads"] = read_roads(roads, crs=crs)[0]
    layers["buildings"]["key"] = layers["buildings"]["source_key"]
    return layers


@contextmanager
def progress_bar() -> Iterator[Callable[[int, int], None]]:
    """A progress bar over communities; yields the partitioner's ``progress`` callback."""
    columns = (TextColumn("partitioning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("communities", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def run_partition(params: PartitionParams, seed: int, jobs: int, **layers) -> PartitionResult:  # noqa: ANN003
    """Run the partitioner with a progress bar over communities."""
    solver = GridPartitioner(params, rng=np.random.default_rng(seed), jobs=jobs)
    with progress_bar() as progress:
        return solver.solve(
            layers["communities"], layers["buildings"],
            compounds=layers["compounds"], roads=layers["roads"], progress=progress,
        )  # fmt: skip


def write_result(result: PartitionResult, out: Path) -> None:
    """Write layers ``grids`` and ``buildings`` (EPSG:4326) to a GeoPackage."""
    out.unlink(missing_ok=True)
    grids = result.grids.rename(columns={"flag": "flags"})
    grids.to_file(out, layer="grids", driver="GPKG")
    buildings = result.buildings.drop(columns=["key"], errors="ignore").to_crs(4326)
    buildings.to_file(out, layer="buildings", driver="GPKG")


def print_summary(overall: dict, title: str) -> None:
    """The headline quality measures as a table."""
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("grids", overall["grids"]),
        ("forced (flagged) grids", overall["forced_grids"]),
        ("within ±10% / ±15% / ±25%",
         " / ".join(f"{overall[f'within_{p}']:.1%}" for p in (10, 15, 25))),
        ("contiguous", f"{overall['contiguous']:.1%}"),
        ("gaps / overlaps (m²)", f"{overall['gap_m2']:.3f} / {overall['overlap_m2']:.3f}"),
        ("Polsby-Popper mean / min", f"{overall['pp_mean']:.2f} / {overall['pp_min']:.2f}"),
        ("compounds fitting the band split",
         f"{overall.get('compounds_fit_split', 0)} of {overall.get('compounds_fit', 0)}"),
        ("grids crossing a main road", overall["crossing_main_roads"]),
        ("run time (s)", f"{overall['seconds']:.1f}"),
    ]  # fmt: skip
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)
