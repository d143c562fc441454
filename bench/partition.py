"""Benchmark: wangge's GridPartitioner against METIS, GerryChain, spopt max-p and k-means.

Every method splits the same communities into ~300-household grids, in one run, and one
table compares them with ratios to wangge. The peers solve a building-level problem (see
``bench/peers.py``): the community's tessellation cells, households per cell and rook
adjacency, with k from ``choose_grid_count``; their grids are drawn with the same
``gis.coverage.tile`` and measured with the same ``gis.metrics.partition_metrics``.

Each method runs in its own process (spawned, so peak memory is its own), with ``--jobs``
worker processes over communities. A peer has a total time box; the communities it has not
finished by then, and those where it raised, are counted and left out of its measures.

Usage::

    python bench/partition.py --size district
    python bench/partition.py --size nanjing --peers metis,kmeans
    python bench/partition.py --size city            # wangge, METIS and k-means only
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import peers
from rich.console import Console
from rich.table import Table
from running import SHARED, BoxedMap, boxed_map, isolated

from gis.metrics import Band, partition_metrics
from gis.partition import GridPartitioner, PartitionParams
from gis.partition.community import CommunityPartition, partition_community
from gis.partition.solver import community_inputs

ROOT = Path(__file__).resolve().parent.parent
NANJING = ROOT / "data" / "nanjing"
SIZES = ("tiny", "district", "city", "nanjing")
ALL_PEERS = ("metis", "gerrychain", "spopt", "kmeans")
CITY_PEERS = ("metis", "kmeans")  # GerryChain and max-p take ~10x the district's time there
BOX_PER_COMMUNITY_S = 10.0  # default time box: this per community, at least MIN_BOX_S
MIN_BOX_S = 120.0
BAND = Band(300, 0.15)

console = Console(width=max(Console().width, 160))


@dataclass
class Layers:
    """The input layers (EPSG:4326) and what they are."""

    name: str
    communities: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame | None
    roads: gpd.GeoDataFrame | None


@dataclass
class Run:
    """What one method produced, in the metric CRS, and what it cost."""

    method: str
    grids: gpd.GeoDataFrame
    building_grid: pd.Series  # grid code per input building (None where not done)
    seconds: float
    peak_mb: float
    done: int
    total: int
    notes: list[str] = field(default_factory=list)
    cpu: float = float("nan")  # CPU seconds of the method's process and workers (wangge)


# --- inputs --------------------------------------------------------------------------------


def load(size: str, seed: int) -> Layers:
    """A synthetic city of ``size`` (seeded), or the Nanjing sample read like the CLI does."""
    if size != "nanjing":
        from gis.synthetic import make_city

        city = make_city(size, rng=np.random.default_rng(seed))
        return Layers(
            f"synthetic {size} (seed {seed})",
            city.communities,
            city.buildings,
            city.compounds,
            city.roads,
        )
    from api.settings import ImportSettings
    from gis.households import HouseholdRules
    from gis.importing import prepare_layer
    from gis.roads import read_roads

    rules = HouseholdRules(**ImportSettings().model_dump())
    buildings = prepare_layer("buildings", NANJING / "buildings.gpkg", rules=rules).frame
    buildings["key"] = buildings["source_key"]
    return Layers(
        "data/nanjing sample",
        prepare_layer("communities", NANJING / "communities.gpkg").frame,
        buildings,
        prepare_layer("compounds", NANJING / "compounds.gpkg").frame,
        read_roads(NANJING / "roads.gpkg")[0],
    )


def community_seeds(seed: int, n: int) -> np.ndarray:
    """Per-community seeds, drawn the way GridPartitioner draws them."""
    return np.random.default_rng(seed).integers(0, 2**31 - 1, size=n)


# --- wangge --------------------------------------------------------------------------------


def wangge(layers: Layers, seed: int, jobs: int) -> dict:
    """GridPartitioner.solve on every community; per community if it raises (in a child)."""
    solver = GridPartitioner(PartitionParams(), rng=np.random.default_rng(seed), jobs=jobs)
    start, cpu_start = time.perf_counter(), cpu_seconds()
    try:
        result = solver.solve(
            layers.communities, layers.buildings, compounds=layers.compounds, roads=layers.roads
        )
    except Exception as exc:  # timed again below, one community at a time, and reported
        return _wangge_by_community(layers, seed, jobs, f"{type(exc).__name__}: {exc}")
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    grids = result.grids.to_crs(result.crs)
    return {
        "grids": grids,
        "building_grid": result.buildings["grid_code"],
        "seconds": seconds,
        "cpu": cpu,
        "done": int(grids["community_code"].nunique()),
        "crs": result.crs,
        "notes": [],
    }


def cpu_seconds() -> float:
    """User and system CPU seconds of this process and of its finished (joined) children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _wangge_one(pos: int) -> CommunityPartition:
    item, seed = SHARED["items"][pos], SHARED["seeds"][pos]
    return partition_community(item, PartitionParams(), np.random.default_rng(int(seed)))


def _wangge_by_community(layers: Layers, seed: int, jobs: int, error: str) -> dict:
    """The work of GridPartitioner.solve, leaving out the communities that raise."""
    start = time.perf_counter()
    crs, items = community_inputs(
        layers.communities, layers.buildings, compounds=layers.compounds, roads=layers.roads
    )
    SHARED.update(items=items, seeds=community_seeds(seed, len(items)))
    out = boxed_map(_wangge_one, list(range(len(items))), jobs, float("inf"))
    parts = [out.results[pos] for pos in sorted(out.results)]
    grids = gpd.GeoDataFrame(pd.concat([p.grids for p in parts], ignore_index=True), crs=crs)
    building_grid = pd.Series(None, index=layers.buildings.index, dtype=object)
    for p in parts:
        building_grid.loc[p.building_grid.index] = p.building_grid.to_numpy()
    notes = [
        f"GridPartitioner.solve raised {error.splitlines()[0]}; the time is that of "
        "partition_community run per community with the solver's seeds instead"
    ]
    notes += [f"{n} communities raised {msg}" for msg, n in out.errors.items()]
    return {
        "grids": grids,
        "building_grid": building_grid,
        "seconds": time.perf_counter() - start,
        "done": len(parts),
        "crs": crs,
        "notes": notes,
    }


# --- peers ---------------------------------------------------------------------------------


def _prepare_one(pos: int) -> peers.Problem:
    return peers.make_problem(SHARED["items"][pos], PartitionParams())


def prepare(layers: Layers, jobs: int) -> dict:
    """The peers' shared work: split by community, tessellate, build the cell graphs."""
    start = time.perf_counter()
    crs, items = community_inputs(
        layers.communities, layers.buildings, compounds=layers.compounds, roads=layers.roads
    )
    SHARED.update(items=items)
    out = boxed_map(_prepare_one, list(range(len(items))), jobs, float("inf"))
    problems = [out.results.get(pos) for pos in range(len(items))]
    notes = [f"{n} communities could not be prepared: {msg}" for msg, n in out.errors.items()]
    return {
        "crs": crs,
        "problems": problems,
        "seconds": time.perf_counter() - start,
        "notes": notes,
    }


def _solve_one(pos: int) -> peers.Solution:
    problem, seed, name = SHARED["problems"][pos], SHARED["seeds"][pos], SHARED["peer"]
    warnings.simplefilter("ignore")
    return peers.solve(name, problem, int(seed), PartitionParams())


def run_peer(name: str, problems: list, seeds: np.ndarray, jobs: int, box: float) -> BoxedMap:
    """Solve every community with peer ``name`` until the time box runs out (in a child)."""
    SHARED.update(problems=problems, seeds=seeds, peer=name)
    todo = [pos for pos, p in enumerate(problems) if p is not None]
    return boxed_map(_solve_one, todo, jobs, box)


def peer_frames(out: BoxedMap, layers: Layers, crs) -> tuple[gpd.GeoDataFrame, pd.Series]:  # noqa: ANN001
    """Grids (grid_code = community code + 3-digit label) and each building's grid code."""
    households = layers.buildings["households"].fillna(0)
    rows, building_grid = [], pd.Series(None, index=layers.buildings.index, dtype=object)
    for sol in out.results.values():
        labels = sol.building_labels
        codes = np.array([f"{sol.code}{g + 1:03d}" for g in range(labels.max() + 1)])
        building_grid.loc[sol.index] = codes[labels]
        weights = households.loc[sol.index].to_numpy()
        per_grid = np.bincount(labels, weights=weights, minlength=len(sol.polygons))
        for g, polygon in sorted(sol.polygons.items()):
            rows.append(
                {
                    "grid_code": f"{sol.code}{g + 1:03d}",
                    "community_code": sol.code,
                    "households": int(per_grid[g]) if g < len(per_grid) else 0,
                    "flag": "",
                    "geometry": polygon,
                }
            )
    columns = ["grid_code", "community_code", "households", "flag", "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), crs=crs), building_grid


def peer_notes(out: BoxedMap, box: float) -> list[str]:
    """What went wrong for a peer, in words."""
    notes = [f"{n} communities raised {msg}" for msg, n in out.errors.items()]
    if out.unfinished:
        notes.append(f"{out.unfinished} communities unfinished at the {box:.0f} s time box")
    return notes


# --- measuring and printing ----------------------------------------------------------------


def measure(run: Run, layers: Layers, crs) -> dict:  # noqa: ANN001
    """partition_metrics over the communities the method finished."""
    buildings = layers.buildings.copy()
    buildings["grid_code"] = run.building_grid
    buildings = buildings[buildings["grid_code"].notna()]
    if run.grids.empty:
        return {}
    report = partition_metrics(
        run.grids,
        layers.communities,
        buildings,
        band=BAND,
        roads=layers.roads,
        crs=crs,
        seconds=run.seconds,
    )
    overall = report["overall"]
    per = report["communities"].values()
    overall["worst_cover_m2"] = max((c["gap_m2"] + c["overlap_m2"] for c in per), default=0.0)
    return overall


def table(runs: list[Run], measures: list[dict], title: str) -> Table:
    """One row per method, with its time as a ratio to wangge's (the first row)."""
    out = Table(title=title, title_justify="left")
    for name, justify in HEADERS:
        out.add_column(name, justify=justify)
    base = runs[0]
    for run, m in zip(runs, measures, strict=True):
        out.add_row(*_cells(run, m, base))
    return out


HEADERS = [
    ("method", "left"),
    ("time s", "right"),
    ("time ×", "right"),
    ("peak MB", "right"),
    ("done", "right"),
    ("grids", "right"),
    ("±15%", "right"),
    ("±25%", "right"),
    ("contiguous", "right"),
    ("PP mean", "right"),
    ("compounds split", "right"),
    ("gap+overlap m² (worst)", "right"),
    ("cross main road", "right"),
]


def _cells(run: Run, m: dict, base: Run) -> list[str]:
    ratio = run.seconds / base.seconds if base.seconds else float("nan")
    cells = [
        run.method,
        f"{run.seconds:.1f}",
        f"{ratio:.2f}",
        f"{run.peak_mb:.0f}",
        f"{run.done}/{run.total}",
    ]
    if not m:
        return cells + ["–"] * (len(HEADERS) - len(cells))
    forced = f" ({m['forced_grids']} flagged)" if m["forced_grids"] else ""
    return cells + [
        f"{m['grids']}{forced}",
        f"{m['within_15']:.1%}",
        f"{m['within_25']:.1%}",
        f"{m['contiguous']:.1%}",
        f"{m['pp_mean']:.3f}",
        f"{m.get('compounds_fit_split', 0)} of {m.get('compounds_fit', 0)}",
        f"{m['worst_cover_m2']:.3g}",
        str(m["crossing_main_roads"]),
    ]


# --- the run -------------------------------------------------------------------------------


def run_wangge(layers: Layers, args: argparse.Namespace, total: int) -> tuple[Run, object]:
    """wangge in its own process."""
    out, peak = isolated(wangge, layers, args.seed, args.jobs)
    run = Run(
        "wangge",
        out["grids"],
        out["building_grid"],
        out["seconds"],
        peak,
        out["done"],
        total,
        out["notes"],
        out.get("cpu", float("nan")),
    )
    return run, out["crs"]


def run_peers(layers: Layers, args: argparse.Namespace, names: list[str], box: float) -> list[Run]:
    """The shared preparation once, then each peer in its own process."""
    prep, prep_peak = isolated(prepare, layers, args.jobs)
    problems = prep["problems"]
    seeds = community_seeds(args.seed, len(problems))
    console.print(
        f"  peers' shared preparation (tessellation, cell graphs): {prep['seconds']:.1f} s, "
        "added to each peer's time"
    )
    runs = []
    for name in names:
        out, peak = isolated(run_peer, name, problems, seeds, args.jobs, box)
        grids, building_grid = peer_frames(out, layers, prep["crs"])
        run = Run(
            name,
            grids,
            building_grid,
            prep["seconds"] + out.seconds,
            max(peak, prep_peak),
            len(out.results),
            len(problems),
            prep["notes"] + peer_notes(out, box),
        )
        console.print(f"  {name}: {run.seconds:.1f} s, {run.done}/{run.total} communities")
        runs.append(run)
    return runs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=SIZES, default="district")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--peers",
        default=None,
        help="comma-separated subset of "
        + ",".join(ALL_PEERS)
        + " (default: all; at city size: "
        + ",".join(CITY_PEERS)
        + ")",
    )
    parser.add_argument(
        "--time-box",
        type=float,
        default=None,
        help=f"total seconds per peer (default {BOX_PER_COMMUNITY_S:.0f} s "
        f"per community, at least {MIN_BOX_S:.0f} s)",
    )
    args = parser.parse_args(argv)
    names = args.peers.split(",") if args.peers else None
    unknown = set(names or ()) - set(ALL_PEERS)
    if unknown:
        parser.error(f"unknown peers: {', '.join(sorted(unknown))}")
    args.peer_names = names or list(CITY_PEERS if args.size == "city" else ALL_PEERS)
    return args


def revision() -> str:
    """The git commit of the code measured, marked when the tree has local changes."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "gis"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return f"wangge {head}" + (" + local changes in gis/" if dirty else "")


def main(argv: list[str] | None = None) -> None:
    """Run wangge and the peers on one data set and print the comparison."""
    args = parse_args(argv)
    layers = load(args.size, args.seed)
    n = len(layers.communities)
    box = args.time_box or max(MIN_BOX_S, BOX_PER_COMMUNITY_S * n)
    households = int(layers.buildings["households"].fillna(0).sum())
    console.rule(
        f"[bold]{layers.name}[/]: {n} communities, {len(layers.buildings):,} buildings, "
        f"{households:,} households; {args.jobs} jobs on {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}; {revision()}"
    )
    if args.size == "city" and not args.peers:
        console.print(
            "  gerrychain and spopt are skipped at city size: from the district they would "
            "take roughly 15-30 min each on 2 cores; pass --peers metis,gerrychain,spopt,kmeans "
            "to run them"
        )
    wangge_run, crs = run_wangge(layers, args, n)
    console.print(
        f"  wangge: {wangge_run.seconds:.1f} s, {wangge_run.cpu:.1f} s of CPU (its process and "
        f"workers), {wangge_run.done}/{n} communities"
    )
    runs = [wangge_run, *run_peers(layers, args, args.peer_names, box)]
    measures = [measure(run, layers, crs) for run in runs]
    console.print(table(runs, measures, f"{layers.name}, seed {args.seed}"))
    print_notes(runs, box)
    _, baseline = isolated(community_seeds, 0, 1)
    console.print(
        f"  peak MB of a process that only imports the bench (interpreter, geopandas, momepy…): "
        f"{baseline:.0f}",
        highlight=False,
    )
    console.print(f"  load average at the end: {os.getloadavg()[0]:.1f}", highlight=False)


def print_notes(runs: list[Run], box: float) -> None:
    """How to read the table, the peers' settings, and what went wrong."""
    lines = [
        "time: wall clock; a peer's time includes the shared preparation. time ×: ÷ wangge's.",
        "peak MB: largest resident set of one process (the method's or one of its workers).",
        "grids, band shares, contiguity, Polsby-Popper (PP) and compounds count finished "
        "communities only; wangge's flagged (forced) grids are left out of its band shares.",
        f"time box: {box:.0f} s per peer (wangge and the shared preparation are not boxed).",
    ]
    lines += [f"{name}: {peers.SETTINGS[name]}" for name in (r.method for r in runs[1:])]
    for run in runs:
        lines += [f"{run.method}: {note}" for note in run.notes]
    for line in lines:
        console.print(f"  {line}", highlight=False)


if __name__ == "__main__":
    main()
