"""Printed grid diagrams: time per A3 sheet, a 150-grid street atlas, PDF size per sheet.

The Nanjing sample (``data/nanjing``, one street, OpenStreetMap data) is cut into square
grids inside each community (200 m for the sheet timings, about the median Suzhou grid of
4.7 ha; 95 m for the atlas, which gives the street more than 150 grids), and households are
estimated from footprint × floors / 90 m² as ``wangge import`` does by default. Sheets are
built from these layers with :func:`map_ui.print.frames.sheet_from_frames` (no database).

    .venv/bin/python bench/print.py                 # 12 sheets, then the 150-grid atlas
    .venv/bin/python bench/print.py --sheets 30 --atlas-grids 150 --workers 2

Goals (issue 8): ≤ 2 s per A3 sheet, ≤ 3 min for a 150-grid atlas on 2 cores, ≤ 2 MB per
sheet. Wall times depend on what else the machine runs: the CPU time of this process (the
sheets) is printed beside them, and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from map_ui.print import OSM_ATTRIBUTION, SheetOptions, render_grid_sheet
from map_ui.print.atlas import render_atlas
from map_ui.print.frames import sheet_from_frames

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "nanjing"
METRIC = "EPSG:32650"  # UTM 50N: Nanjing; squares are cut in metres
STAFF = [{"name": "王芳", "post": "B", "duties": "巡查走访、信息采集", "phone": "13812345678"}]


def _layers() -> dict[str, gpd.GeoDataFrame]:
    layers = {n: gpd.read_file(SAMPLE / f"{n}.gpkg") for n in (
        "communities", "buildings", "facilities", "compounds", "roads")}  # fmt: skip
    b = layers["buildings"]
    floors = b["floors"].fillna(6).clip(1, 60)
    area = b.to_crs(METRIC).area
    b["households"] = np.where(b["use"].isin(["residential", "apartments", "house"]) |
                               b["use"].eq("unknown"), (area * floors / 90).round(), 0)  # fmt: skip
    b["households"] = b["households"].clip(0, 600).astype(int)
    b["name"] = None
    return layers


def square_grids(communities: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, size: float):
    """Squares of ``size`` metres inside each community holding at least one building."""
    metric = communities.to_crs(METRIC)
    points = buildings.to_crs(METRIC).representative_point()
    rows = []
    for code, shape in zip(metric["code"], metric.geometry, strict=True):
        x0, y0, x1, y1 = shape.bounds
        corners = [(x, y) for y in np.arange(y1, y0, -size) - size for x in np.arange(x0, x1, size)]
        cells = [shapely.box(x, y, x + size, y + size).intersection(shape) for x, y in corners]
        seq = 0
        for cell in cells:
            if cell.area < size * size * 0.2 or not points.within(cell).any():
                continue
            seq += 1
            rows.append({"code": f"{code}{seq:03d}", "seq": seq, "community_code": code,
                         "geometry": cell})  # fmt: skip
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC).to_crs("EPSG:4326")


def _sheets(layers: dict, size: float, limit: int) -> list:
    grids = square_grids(layers["communities"], layers["buildings"], size)
    return [
        sheet_from_frames(
            code,
            grids,
            layers["buildings"],
            facilities=layers["facilities"],
            compounds=layers["compounds"],
            roads=layers["roads"],
            communities=layers["communities"],
            staff=STAFF,
        )  # fmt: skip
        for code in grids["code"][:limit]
    ]


def time_sheets(sheets: list, options: SheetOptions) -> list[dict]:
    """Compose and save each sheet in this process: wall and CPU seconds, PDF bytes."""
    results = []
    for sheet in sheets:
        wall, cpu = time.perf_counter(), time.process_time()
        composed = render_grid_sheet(sheet, options)
        content = composed.pdf()
        results.append({
            "code": sheet.code, "buildings": sheet.buildings, "labels": len(composed.labels),
            "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "bytes": len(content), "scale": composed.scale,
        })  # fmt: skip
    return results


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=12, help="A3 sheets timed one by one")
    parser.add_argument("--atlas-grids", type=int, default=150, help="grids in the atlas")
    parser.add_argument("--workers", type=int, default=2, help="processes for the atlas")
    parser.add_argument("--paper", default="A3")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{v:.1f}' for v in os.getloadavg())}, "
          f"{os.cpu_count()} cores")  # fmt: skip
    layers = _layers()
    options = SheetOptions(paper=args.paper, attribution=OSM_ATTRIBUTION)
    warm = time_sheets(_sheets(layers, 200, 1), options)[0]  # font cache, imports
    sheets = _sheets(layers, 200, args.sheets)
    rows = time_sheets(sheets, options)
    walls = [r["wall"] for r in rows]
    cpus = [r["cpu"] for r in rows]
    sizes = [r["bytes"] / 1e6 for r in rows]
    print(f"\nfirst sheet (warm-up): {warm['wall']:.2f} s")
    print(f"{len(rows)} {args.paper} sheets (200 m grids, {min(r['buildings'] for r in rows)}–"
          f"{max(r['buildings'] for r in rows)} buildings, scales "
          f"1:{min(r['scale'] for r in rows)}–1:{max(r['scale'] for r in rows)})")  # fmt: skip
    atlas_sheets = _sheets(layers, 95, args.atlas_grids)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start, own = time.perf_counter(), time.process_time()
    content = render_atlas(atlas_sheets, options, workers=args.workers)
    atlas_s = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    atlas_cpu = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
                 + time.process_time() - own)  # fmt: skip
    print("\n| measure | result | goal |\n|---|---|---|")
    print(f"| time per {args.paper} sheet, median (max) wall | {statistics.median(walls):.2f} s "
          f"({max(walls):.2f} s) | ≤ 2 s |")  # fmt: skip
    print(
        f"| CPU per sheet, median (max) | {statistics.median(cpus):.2f} s ({max(cpus):.2f} s) | |"
    )
    print(f"| PDF per sheet, median (max) | {statistics.median(sizes):.2f} MB "
          f"({max(sizes):.2f} MB) | ≤ 2 MB |")  # fmt: skip
    print(f"| atlas of {len(atlas_sheets)} grids, {args.workers} processes | {atlas_s:.0f} s "
          f"({atlas_s / len(atlas_sheets):.2f} s a sheet), {len(content) / 1e6:.1f} MB | "
          f"≤ 180 s |")  # fmt: skip
    idle = atlas_cpu / args.workers
    print(f"| atlas CPU, all processes (÷ {args.workers}: wall time on idle cores) | "
          f"{atlas_cpu:.0f} s (÷ {args.workers} = {idle:.0f} s) | |")  # fmt: skip
    print(f"\nload average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
