"""Build the bad-input corpus: one small file per fault, named for the fault.

Run ``python -m tests.corpus.make_corpus`` from the checkout to rebuild the files beside
this script. Every file is a few KB at most; coordinates are near Nanjing (EPSG:4326), like
``tests/samples.py``. What each file must produce is in ``tests/api/test_bad_inputs.py``.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

HERE = Path(__file__).parent
X0, Y0 = 118.78, 32.04
S = 0.0004  # ~40 m, one building


def _square(x: float, y: float, size: float = S) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def _feature(geometry: dict, **properties: object) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def _polygon(*rings: list) -> dict:
    return {"type": "Polygon", "coordinates": list(rings)}


def _building(geometry: dict, n: int = 1) -> dict:
    return _feature(geometry, 编号=f"b{n}", 楼号=f"{n}号楼", 层数=6)


def _good_building(n: int) -> dict:
    return _building(_polygon(_square(X0 + n * 0.001, Y0 + 0.001)), n)


def _write_json(name: str, obj: object) -> None:
    (HERE / name).write_text(json.dumps(obj, ensure_ascii=False, allow_nan=True), "utf-8")


# ------------------------------------------------------------------ malformed GeoJSON
def geojson() -> None:
    whole = json.dumps(_collection(_good_building(1), _good_building(2)), ensure_ascii=False)
    (HERE / "geojson_truncated.geojson").write_text(whole[: len(whole) // 2], "utf-8")
    (HERE / "geojson_not_json.geojson").write_text("楼栋数据见附件。\nid,name\n", "utf-8")
    _write_json("geojson_wrong_type.geojson", {"type": "Topology", "objects": {}, "arcs": []})
    _write_json("geojson_collection_without_features.geojson", {"type": "FeatureCollection"})
    _write_json("geojson_empty_layer.geojson", _collection())


# ------------------------------------------------------------------ invalid geometries
def geometries() -> None:
    x, y = X0 + 0.005, Y0 + 0.005
    bowtie = [[x, y], [x + S, y + S], [x + S, y], [x, y + S], [x, y]]
    _write_json("geom_bowtie.geojson", _collection(_building(_polygon(bowtie)), _good_building(2)))
    open_ring = _square(x, y)[:-1]
    _write_json("geom_ring_not_closed.geojson", _collection(_building(_polygon(open_ring))))
    _write_json(
        "geom_too_few_points.geojson",
        _collection(_building(_polygon([[x, y], [x + S, y], [x, y]])), _good_building(2)),
    )
    spike = [[x, y], [x + S, y], [x + S, y + S / 2], [x + 3 * S, y + S / 2],
             [x + S, y + S / 2], [x + S, y + S], [x, y + S], [x, y]]  # fmt: skip
    _write_json("geom_spike.geojson", _collection(_building(_polygon(spike))))
    dup = [[x, y], [x + S, y], [x + S, y], [x + S, y], [x + S, y + S], [x, y + S], [x, y]]
    _write_json("geom_duplicate_points.geojson", _collection(_building(_polygon(dup))))
    hole = _square(x + 2 * S, y + 2 * S, S / 4)
    _write_json(
        "geom_hole_outside_shell.geojson",
        _collection(_building(_polygon(_square(x, y), hole))),
    )
    nested = {
        "type": "MultiPolygon",
        "coordinates": [[_square(x, y)], [_square(x + S / 4, y + S / 4, S / 2)]],
    }
    _write_json("geom_nested_shells.geojson", _collection(_building(nested)))


# ------------------------------------------------------------------ CRS
def crs() -> None:
    metres = _polygon(_square(573000.0, 3545000.0, 40.0))
    _write_json("crs_projected_declared_4326.geojson", _collection(_building(metres)))
    swapped = _polygon([[b, a] for a, b in _square(X0, Y0)])
    _write_json("crs_lonlat_swapped.geojson", _collection(_building(swapped)))
    frame = gpd.GeoDataFrame(
        {"编号": ["b1"], "层数": [6]}, geometry=[box(X0, Y0, X0 + S, Y0 + S)], crs=4326
    )
    _zip_shapefile(frame, "shp_missing_prj.zip", drop={".prj"})


# ------------------------------------------------------------------ encodings
def encodings() -> None:
    frame = gpd.GeoDataFrame(
        {"编号": ["b1"], "楼号": ["梅园新村1号楼"], "层数": [6]},
        geometry=[box(X0, Y0, X0 + S, Y0 + S)],
        crs=4326,
    )
    _zip_shapefile(frame, "shp_gbk_with_utf8_cpg.zip", encoding="GBK", cpg="UTF-8")
    text = "编号,类别代码,名称,经度,纬度\nf1,0117,新街口路灯,118.781,32.041\n"
    (HERE / "csv_gbk_without_bom.csv").write_bytes(text.encode("gbk"))


def _zip_shapefile(
    frame: gpd.GeoDataFrame,
    name: str,
    *,
    encoding: str = "UTF-8",
    drop: set[str] = frozenset(),
    cpg: str | None = None,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp, "楼栋.shp")
        frame.to_file(shp, encoding=encoding)
        if cpg is not None:
            shp.with_suffix(".cpg").write_text(cpg)
        with zipfile.ZipFile(HERE / name, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(tmp).iterdir()):
                if part.suffix.lower() not in drop:
                    archive.write(part, part.name)


# ------------------------------------------------------------------ coordinates
def coordinates() -> None:
    huge = _polygon(_square(1e20, 1e20, 1e18))
    _write_json("coords_huge_1e20.geojson", _collection(_building(huge)))
    nan = _polygon([[X0, Y0], [float("nan"), Y0], [X0 + S, Y0 + S], [X0, Y0]])
    _write_json("coords_nan.geojson", _collection(_building(nan), _good_building(2)))
    inf = _polygon([[X0, Y0], [float("inf"), Y0], [X0 + S, Y0 + S], [X0, Y0]])
    _write_json("coords_infinity.geojson", _collection(_building(inf), _good_building(2)))
    lines = ["编号,类别代码,经度,纬度", "f1,0117,118.781,32.041", "f2,0117,118°47′,32.042",
             "f3,0117,118，79,32.043"]  # fmt: skip
    (HERE / "csv_bad_numbers.csv").write_text("\n".join(lines) + "\n", "utf-8")


# ------------------------------------------------------------------ layers and ids
def layers() -> None:
    twins = _collection(_good_building(1), _good_building(2))
    twins["features"][1]["properties"]["编号"] = "b1"
    _write_json("duplicate_ids.geojson", twins)
    frame = gpd.GeoDataFrame(
        {"编号": ["b1"], "层数": [6]}, geometry=[box(X0, Y0, X0 + S, Y0 + S)], crs=4326
    )
    path = HERE / "empty_layer.gpkg"
    path.unlink(missing_ok=True)
    frame.iloc[:0].to_file(path, layer="楼栋", driver="GPKG")
    _vacuum(path)


# ------------------------------------------------------------------ truncated files
def truncated() -> None:
    frame = gpd.GeoDataFrame(
        {"编号": [f"b{i}" for i in range(5)], "层数": [6] * 5},
        geometry=[box(X0 + i * 0.001, Y0, X0 + i * 0.001 + S, Y0 + S) for i in range(5)],
        crs=4326,
    )
    _zip_shapefile(frame, "shp_truncated.zip")
    whole = (HERE / "shp_truncated.zip").read_bytes()
    (HERE / "shp_truncated.zip").write_bytes(whole[: len(whole) // 2])
    with tempfile.TemporaryDirectory() as tmp:
        gpkg = Path(tmp, "b.gpkg")
        frame.to_file(gpkg, layer="楼栋", driver="GPKG")
        _vacuum(gpkg)
        data = gpkg.read_bytes()
    (HERE / "gpkg_truncated.gpkg").write_bytes(data[: len(data) // 3])


def _vacuum(path: Path) -> None:
    """Drop the spatial index and free pages, so the GeoPackage stays a few tens of KB."""
    with sqlite3.connect(path) as conn:
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rtree%'"
        names = [row[0] for row in conn.execute(query)]
        for name in names:
            conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        conn.execute("DELETE FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index'")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size = 512")
    conn.execute("VACUUM")
    conn.close()


BUILDERS: tuple[Callable[[], None], ...] = (
    geojson, geometries, crs, encodings, coordinates, layers, truncated,
)  # fmt: skip


def main() -> None:
    """Rebuild every corpus file."""
    for old in HERE.iterdir():
        if old.is_file() and old.suffix in (".geojson", ".zip", ".gpkg", ".csv"):
            old.unlink()
    for build in BUILDERS:
        build()
    shutil.rmtree(HERE / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()
