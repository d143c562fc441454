"""``wangge partition``: split communities into grids, from files (no database needed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli.common import console, friendly_errors
from api.settings import ImportSettings
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
    target: int = typer.Option(300, help="Households per grid."),
    tolerance: float = typer.Option(0.15, help="Allowed relative deviation (0.15 = ±15%)."),
    seed: int = typer.Option(0, help="Random seed: same input and seed, same grids."),
    jobs: int = typer.Option(0, help="Worker processes (0 = one per core)."),
    out: Path = typer.Option(None, help="Output GeoPackage (layers grids, buildings)."),
    metrics: Path = typer.Option(None, help="Write quality measures to this JSON file."),
    crs: str = typer.Option(None, help="CRS of input files that have none."),
) -> None:
    """Partition communities into ~300-household grids from files, writing a GeoPackage."""
    with friendly_errors():
        if communities is None or buildings is None or out is None:
            raise InputError(
                "partitioning from files needs --communities, --buildings and --out",
                fix="e.g. wangge partition --communities c.gpkg --buildings b.gpkg --out g.gpkg",
            )
        params = _params(target, tolerance)
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
    print_summary(report["overall"], out)


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


def run_partition(params: PartitionParams, seed: int, jobs: int, **layers) -> PartitionResult:  # noqa: ANN003
    """Run the partitioner with a progress bar over communities."""
    solver = GridPartitioner(params, rng=np.random.default_rng(seed), jobs=jobs)
    columns = (TextColumn("partitioning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("communities", total=len(layers["communities"]))
        return solver.solve(
            layers["communities"], layers["buildings"],
            compounds=layers["compounds"], roads=layers["roads"],
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip


def write_result(result: PartitionResult, out: Path) -> None:
    """Write layers ``grids`` and ``buildings`` (EPSG:4326) to a GeoPackage."""
    out.unlink(missing_ok=True)
    grids = result.grids.rename(columns={"flag": "flags"})
    grids.to_file(out, layer="grids", driver="GPKG")
    buildings = result.buildings.drop(columns=["key"], errors="ignore").to_crs(4326)
    buildings.to_file(out, layer="buildings", driver="GPKG")


def print_summary(overall: dict, out: Path) -> None:
    """The headline quality measures as a table."""
    table = Table(title=f"grids → {out}")
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
