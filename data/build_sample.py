"""Build the real sample of Xinjiekou, Nanjing, under ``data/nanjing/`` from OpenStreetMap data.

Reads the ODbL extract in ``../shared/data/nanjing_xinjiekou_osm`` (or ``--source``) and
writes one GeoPackage per layer, in EPSG:4326, with the canonical columns of
``gis.layers``: roads, streets, communities, compounds, buildings and facilities.

The community (社区) boundaries are drawn for the demo, not official: blocks enclosed by the
main roads, without blocks that hold no residential building, split along lanes when too big
and merged with a neighbour when too small, so that each holds roughly 1,500–6,000 estimated
households. Codes follow the statistical division format but are illustrative.

Run from the repository root::

    python data/build_sample.py [--source DIR] [--out DIR] [--plot sample.png]
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: make the ``gis`` package importable

from gis.facility_classes import DEFAULT_CLASSES  # noqa: E402

SOURCE_DIR = REPO.parent / "shared" / "data" / "nanjing_xinjiekou_osm"
OUT_DIR = REPO / "data" / "nanjing"
OSM_BASE = "2021-06-12T07:41:41Z"  # the extract's date, stamped in the GeoPackages
METRIC_CRS = "EPSG:32650"  # UTM 50N, for areas and lengths

STREET_CODE = "320102002"  # 玄武区 (GB/T 2260) + an illustrative street part
STREET_NAME = "新街口街道"
ROAD_CLASSES = (
    "motorway trunk primary secondary tertiary residential unclassified service "
    "living_street pedestrian"
).split()
MAIN_CLASSES = ("trunk", "primary", "secondary", "tertiary")
LANE_CLASSES = ("residential", "unclassified", "living_street", "pedestrian", "service")
NOT_A_COMMUNITY_NAME = ("转盘", "隧道", "高架", "内环", "立交")

RESIDENTIAL_BUILDINGS = ("residential", "apartments", "house", "dormitory")
DWELLING_M2 = 90.0  # gross floor area of one dwelling, for the size estimate only
FLOOR_HEIGHT_M = 3.0
DEFAULT_FLOORS = 6
MIN_HOUSEHOLDS, MAX_HOUSEHOLDS = 1500, 6000
BLOCK_HOUSEHOLDS = 100  # a block with fewer is not residential: a stray building or two
KEEP_HOUSEHOLDS = 1000  # a merged community smaller than this is left out
SLIVER_M2 = 5000.0

# First matching rule wins: (source column, value, class code).
FACILITY_RULES = (
    ("amenity", "police", "9003"),
    ("amenity", "clinic", "9002"),
    ("amenity", "doctors", "9002"),
    ("healthcare", "clinic", "9002"),
    ("amenity", "hospital", "9004"),
    ("amenity", "school", "9005"),
    ("amenity", "toilets", "0301"),
    ("amenity", "waste_basket", "0304"),
    ("highway", "bus_stop", "0201"),
    ("emergency", "fire_hydrant", "0115"),
    ("highway", "street_lamp", "0117"),
    ("man_made", "surveillance", "0119"),
)
MANHOLE_CLASSES = {
    "water": "0101",
    "sewer": "0102",
    "drain": "0103",
    "power": "0105",
    "telecom": "0107",
    "heating": "0110",
    "gas": "0111",
}
CLASS_NAMES = {c.code: c.name for c in DEFAULT_CLASSES}


def read_roads(osm_xml: Path) -> gpd.GeoDataFrame:
    """Read the highway ways of an OSM XML file as lines (EPSG:4326).

    Keeps the road classes of ``ROAD_CLASSES`` and their ``_link`` variants; ``main`` marks
    trunk, primary, secondary and tertiary roads and their links.
    """
    nodes: dict[str, tuple[float, float]] = {}
    rows = []
    for _, elem in ET.iterparse(osm_xml, events=("end",)):
        if elem.tag == "node":
            nodes[elem.get("id")] = (float(elem.get("lon")), float(elem.get("lat")))
        elif elem.tag == "way":
            tags = {t.get("k"): t.get("v") for t in elem.iter("tag")}
            highway = tags.get("highway", "")
            if highway.removesuffix("_link") in ROAD_CLASSES:
                coords = [nodes[n.get("ref")] for n in elem.iter("nd") if n.get("ref") in nodes]
                if len(coords) > 1:
                    rows.append((elem.get("id"), tags.get("name"), highway, coords))
        if elem.tag in ("way", "relation"):
            elem.clear()
    roads = gpd.GeoDataFrame(
        {
            "osm_id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "highway": [r[2] for r in rows],
        },
        geometry=[shapely.LineString(r[3]) for r in rows],
        crs="EPSG:4326",
    )
    roads["main"] = roads["highway"].str.removesuffix("_link").isin(MAIN_CLASSES)
    return roads


def osm_source_id(frame: pd.DataFrame) -> pd.Series:
    """Return the OSM id as a string: the way id, or the relation id of a multipolygon."""
    ids = frame["osm_way_id"].fillna(frame["osm_id"]).astype(str)
    if not ids.is_unique:
        raise ValueError("OSM ids are not unique in the source layer")
    return ids


def read_compounds(path: Path) -> gpd.GeoDataFrame:
    """Read residential compounds (小区): the ``landuse=residential`` areas."""
    areas = gpd.read_file(path)
    res = areas[areas["landuse"] == "residential"].reset_index(drop=True)
    names = res["name"].copy()
    unnamed = names.isna()
    names[unnamed] = [f"无名小区{i}" for i in range(1, unnamed.sum() + 1)]
    return gpd.GeoDataFrame(
        {"source_id": osm_source_id(res), "name": names}, geometry=res.geometry, crs=res.crs
    )


def _address(street: pd.Series, number: pd.Series) -> pd.Series:
    """``中山路`` + ``18`` → ``中山路18号``; a bare number gets ``号`` as Chinese addresses do."""
    number = number.where(~number.fillna("").str.fullmatch(r"\d+"), number + "号")
    address = street.fillna("") + number.fillna("")
    return address.where(address != "", None)


def read_buildings(path: Path, compounds: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Read building footprints with canonical columns; households stay unknown (null).

    A building is residential when OSM says so, or when it is a plain ``building=yes``
    inside a residential compound; other plain buildings get the use ``unknown``.
    """
    raw = gpd.read_file(path)
    points = gpd.GeoDataFrame(geometry=raw.representative_point(), crs=raw.crs)
    hit = gpd.sjoin(points, compounds[["source_id", "geometry"]], predicate="within")
    compound = hit.groupby(level=0)["source_id"].first().reindex(raw.index)
    use = raw["building"].copy()
    use[use.isin(RESIDENTIAL_BUILDINGS)] = "residential"
    plain = use == "yes"
    use[plain & compound.notna()] = "residential"
    use[plain & compound.isna()] = "unknown"
    return gpd.GeoDataFrame(
        {
            "source_id": osm_source_id(raw),
            "name": raw["name"],
            "address": _address(raw["addr_street"], raw["addr_housenumber"]),
            "use": use,
            "floors": raw["building_levels"].round().astype("Int64"),
            "height_m": raw["height_m"],
            "households": pd.array([pd.NA] * len(raw), dtype="Int64"),
            "compound": compound,
        },
        geometry=raw.geometry,
        crs=raw.crs,
    )


def estimate_households(buildings: gpd.GeoDataFrame) -> pd.Series:
    """Rough households per building, to size the demo communities (metric CRS: UTM 50N).

    Footprint area × floors ÷ 90 m² for residential buildings, 0 for the others; floors
    from ``floors``, else height ÷ 3 m, else 6.
    """
    height_floors = (
        (buildings["height_m"] / FLOOR_HEIGHT_M).round().where(buildings["height_m"] > 0)
    )
    floors = buildings["floors"].astype(float).fillna(height_floors).fillna(DEFAULT_FLOORS)
    area = buildings.to_crs(METRIC_CRS).area
    estimate = area * floors.clip(lower=1) / DWELLING_M2
    return estimate.where(buildings["use"] == "residential", 0.0)


def _households_in(polygons: list, points: gpd.GeoDataFrame) -> np.ndarray:
    """Sum of ``points.hh`` whose point lies in each polygon."""
    tree = shapely.STRtree(polygons)
    pt_idx, poly_idx = tree.query(points.geometry.values, predicate="within")
    return np.bincount(poly_idx, weights=points["hh"].to_numpy()[pt_idx], minlength=len(polygons))


def road_blocks(main_lines, outer) -> list:
    """Blocks enclosed by the main roads and the outer edge (metric geometries)."""
    lines = shapely.union_all([shapely.intersection(main_lines, outer), outer.boundary])
    blocks = list(shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))))
    return [b for b in blocks if b.area >= SLIVER_M2]


def split_block(block, lanes, homes: gpd.GeoDataFrame, parts: int) -> list:
    """Split a block along its lanes into ``parts`` contiguous pieces of similar households.

    The lane-bounded cells are swept along the block's long axis and cut where the running
    household total passes each ``k / parts`` share. The block is returned whole when a
    piece would not be contiguous.
    """
    lines = shapely.union_all([block.boundary, shapely.intersection(lanes, block)])
    cells = list(shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))))
    hh = _households_in(cells, homes)
    rect = np.asarray(block.minimum_rotated_rectangle.exterior.coords)
    edges = np.diff(rect[:3], axis=0)
    axis = edges[np.argmax(np.hypot(*edges.T))]
    centres = shapely.get_coordinates(shapely.centroid(cells))
    order = np.argsort(centres @ axis)
    share = np.cumsum(hh[order]) / hh.sum()
    piece = np.minimum((share * parts - 1e-9).astype(int), parts - 1)
    pieces = [shapely.union_all([cells[i] for i in order[piece == k]]) for k in range(parts)]
    if all(p.geom_type == "Polygon" for p in pieces):
        return pieces
    return [block]


def _shared_length(a, b) -> float:
    return shapely.length(shapely.intersection(a.boundary, b.boundary))


def merge_small(polygons: list, hh: list) -> tuple[list, list]:
    """Merge communities under ``MIN_HOUSEHOLDS`` into a neighbour, smallest first.

    Among the neighbours whose merged total stays within ``MAX_HOUSEHOLDS``, the one sharing
    the longest boundary (at least 20 m) is chosen, which keeps communities compact; a
    community without such a neighbour stays as it is.
    """
    polygons, hh = list(polygons), list(hh)
    stuck: set[int] = set()
    while True:
        small = [i for i in np.argsort(hh) if hh[i] < MIN_HOUSEHOLDS and i not in stuck]
        if not small:
            return polygons, hh
        i = small[0]
        shared = {
            j: _shared_length(polygons[i], polygons[j])
            for j in range(len(polygons))
            if j != i and hh[i] + hh[j] <= MAX_HOUSEHOLDS
        }
        fits = {j: length for j, length in shared.items() if length >= 20}
        if not fits:
            stuck.add(i)
            continue
        j = max(fits, key=fits.__getitem__)
        polygons[j] = shapely.union_all([polygons[i], polygons[j]])
        hh[j] += hh[i]
        del polygons[i], hh[i]
        stuck = set()


def _fill_slivers(polygon):
    """Close holes smaller than a sliver: bits of road left between merged blocks."""
    if polygon.geom_type != "Polygon":
        return polygon
    keep = [r for r in polygon.interiors if shapely.Polygon(r).area >= SLIVER_M2]
    return shapely.Polygon(polygon.exterior, keep)


def draw_communities(
    roads: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, households: pd.Series
) -> gpd.GeoDataFrame:
    """Draw the demo communities in the metric CRS; returns geometry and ``hh`` columns."""
    roads_m = roads.to_crs(METRIC_CRS)
    footprints = buildings.to_crs(METRIC_CRS)
    homes = gpd.GeoDataFrame(
        {"hh": households.to_numpy()},
        geometry=footprints.representative_point().values,
        crs=METRIC_CRS,
    )
    # the data's edge: the bounding box of all buildings, a little widened
    outer = shapely.box(*footprints.total_bounds).buffer(30, join_style="mitre")
    blocks = road_blocks(roads_m[roads_m["main"]].union_all(), outer)
    households_in = _households_in(blocks, homes)
    blocks = [b for b, n in zip(blocks, households_in, strict=True) if n >= BLOCK_HOUSEHOLDS]
    lanes = roads_m[roads_m["highway"].isin(LANE_CLASSES)].union_all()
    pieces = []
    for block, hh in zip(blocks, _households_in(blocks, homes), strict=True):
        parts = int(np.ceil(hh / MAX_HOUSEHOLDS))
        pieces += split_block(block, lanes, homes, parts) if parts > 1 else [block]
    polygons, hh = merge_small(pieces, list(_households_in(pieces, homes)))
    out = gpd.GeoDataFrame({"hh": hh}, geometry=[_fill_slivers(p) for p in polygons])
    out = out.set_crs(METRIC_CRS)
    left_out = out[out["hh"] < KEEP_HOUSEHOLDS]
    for hh, area in zip(left_out["hh"], left_out.area, strict=True):
        print(f"left out: {area / 1e4:.1f} ha with only {hh:.0f} estimated households")
    return out[out["hh"] >= KEEP_HOUSEHOLDS].reset_index(drop=True)


def _road_name(polygon, roads_m: gpd.GeoDataFrame, used: set[str]) -> str | None:
    """Return the named main road running longest along the polygon's edge, not used yet."""
    edge = polygon.boundary.buffer(25)
    named = roads_m[roads_m["main"] & roads_m["name"].notna()]
    named = named[~named["name"].str.contains("|".join(NOT_A_COMMUNITY_NAME))]
    along = named.geometry.intersection(edge).length.groupby(named["name"]).sum()
    for name in along.sort_values(ascending=False).index:
        if along[name] > 100 and name not in used:
            return name
    return None


def code_communities(communities: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Code communities west to east, then north to south, and name them after a road."""
    point = communities.representative_point()
    order = np.lexsort((point.x.to_numpy(), -np.round(point.y.to_numpy() / 500)))
    communities = communities.iloc[order].reset_index(drop=True)
    roads_m = roads.to_crs(METRIC_CRS)
    used: set[str] = set()
    names = []
    for n, polygon in enumerate(communities.geometry, start=1):
        road = _road_name(polygon, roads_m, used)
        used.add(road)
        names.append(f"{road}社区" if road else f"新街口第{n}社区")
    return gpd.GeoDataFrame(
        {
            "code": [f"{STREET_CODE}{n:03d}" for n in range(1, len(communities) + 1)],
            "name": names,
            "street_code": STREET_CODE,
            "street_name": STREET_NAME,
            "hh": communities["hh"].round().astype(int),
        },
        geometry=communities.geometry,
        crs=METRIC_CRS,
    )


def community_of(layer: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> pd.Series:
    """Code of the community holding each feature's representative point, else null."""
    points = gpd.GeoDataFrame(geometry=layer.representative_point(), crs=layer.crs)
    hit = gpd.sjoin(points, communities[["code", "geometry"]], predicate="within")
    return hit.groupby(level=0)["code"].first().reindex(layer.index)


def read_facilities(path: Path) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Map OSM points to facility classes; returns the facilities and the dropped tags."""
    raw = gpd.read_file(path)
    code = pd.Series(pd.NA, index=raw.index, dtype="string")
    for column, value, class_code in FACILITY_RULES:
        if column in raw:
            code = code.fillna(pd.Series(class_code, index=raw.index).where(raw[column] == value))
    if "manhole" in raw:
        code = code.fillna(raw["manhole"].map(MANHOLE_CLASSES).astype("string"))
    kept = raw[code.notna()]
    tags = [c for c in ("amenity", "highway", "healthcare", "man_made", "emergency") if c in raw]
    dropped = raw.loc[code.isna(), tags].bfill(axis=1).iloc[:, 0].fillna("(untagged)")
    facilities = gpd.GeoDataFrame(
        {
            "source_id": kept["osm_id"].astype(str),
            "name": kept["name"],
            "class_code": code[code.notna()].astype(str),
            "class_name": code[code.notna()].map(CLASS_NAMES).astype(str),
            "status": "intact",
        },
        geometry=kept.geometry,
        crs=raw.crs,
    )
    return facilities.reset_index(drop=True), dropped.value_counts()


def build(source: Path) -> tuple[dict[str, gpd.GeoDataFrame], pd.Series]:
    """Build every layer (EPSG:4326); also returns the tags of dropped facility points."""
    roads = read_roads(source / "osm_bbox.osm.xml")
    compounds = read_compounds(source / "nanjing_landuse_amenity_areas_wgs84.gpkg")
    buildings = read_buildings(source / "nanjing_buildings_wgs84.gpkg", compounds)
    drawn = draw_communities(roads, buildings, estimate_households(buildings))
    communities = code_communities(drawn, roads).to_crs("EPSG:4326")
    streets = gpd.GeoDataFrame(
        {"code": [STREET_CODE], "name": [STREET_NAME]},
        geometry=[drawn.union_all()],
        crs=METRIC_CRS,
    ).to_crs("EPSG:4326")
    compounds["community_code"] = community_of(compounds, communities)
    buildings["community_code"] = community_of(buildings, communities)
    facilities, dropped = read_facilities(source / "nanjing_facility_points_wgs84.gpkg")
    facilities["community_code"] = community_of(facilities, communities)
    layers = {
        "roads": roads,
        "streets": streets,
        "communities": communities,
        "compounds": compounds,
        "buildings": buildings,
        "facilities": facilities,
    }
    return layers, dropped


def write(layers: dict[str, gpd.GeoDataFrame], out: Path) -> None:
    """Write one GeoPackage per layer; fixed timestamps keep rebuilds byte-identical."""
    out.mkdir(parents=True, exist_ok=True)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": OSM_BASE})
    for name, frame in layers.items():
        path = out / f"{name}.gpkg"
        path.unlink(missing_ok=True)
        frame = frame.drop(columns=["hh"], errors="ignore")
        frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")


def report(layers: dict[str, gpd.GeoDataFrame], dropped: pd.Series) -> None:
    """Print counts per layer, community sizes and the facility points left out."""
    for name, frame in layers.items():
        print(f"{name:12s} {len(frame):6d}")
    b = layers["buildings"]
    print(f"residential buildings: {(b['use'] == 'residential').sum()}")
    print("estimated households per community (footprint × floors ÷ 90 m²):")
    area = layers["communities"].to_crs(METRIC_CRS).area / 1e4
    for (_, row), ha in zip(layers["communities"].iterrows(), area, strict=True):
        print(f"  {row['code']} {row['name']:<10s} {row['hh']:6d} households {ha:6.1f} ha")
    tags = ", ".join(f"{tag} {n}" for tag, n in dropped.items())
    print(f"facility points dropped: {dropped.sum()} ({tags})")


def plot(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    """Draw communities, compounds, buildings and roads to a PNG, to look at."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "WenQuanYi Zen Hei", "DejaVu Sans"]
    fig, ax = plt.subplots(figsize=(14, 10))
    communities = layers["communities"]
    communities.plot(ax=ax, column="code", cmap="Pastel1", edgecolor="purple", linewidth=1.5)
    layers["compounds"].plot(ax=ax, facecolor="none", edgecolor="green", linewidth=1)
    b = layers["buildings"]
    b.plot(ax=ax, color=np.where(b["use"] == "residential", "#c0392b", "#999999"))
    roads = layers["roads"]
    roads[~roads["main"]].plot(ax=ax, color="#aaaaaa", linewidth=0.5)
    roads[roads["main"]].plot(ax=ax, color="black", linewidth=1.2)
    for _, row in communities.iterrows():
        p = row.geometry.representative_point()
        ax.annotate(f"{row['name']}\n{row['code'][-3:]} · {row['hh']}户", (p.x, p.y), ha="center")
    x0, y0, x1, y1 = layers["buildings"].total_bounds
    ax.set_xlim(x0 - 0.002, x1 + 0.002)
    ax.set_ylim(y0 - 0.002, y1 + 0.002)
    ax.set_title("新街口 sample: demo communities (illustrative) · © OpenStreetMap contributors")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build, write, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE_DIR, help="OSM extract folder")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    parser.add_argument("--plot", type=Path, help="also draw the result to this PNG")
    args = parser.parse_args(argv)
    source = args.source
    if (source / "nanjing_xinjiekou_osm").is_dir():
        source = source / "nanjing_xinjiekou_osm"
    layers, dropped = build(source)
    write(layers, args.out)
    report(layers, dropped)
    if args.plot:
        plot(layers, args.plot)


if __name__ == "__main__":
    main()
