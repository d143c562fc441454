"""Layout of a synthetic city: superblocks, streets, communities, roads and cells."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from gis.synthetic.params import (
    CELL_KINDS,
    CENTRE_LONLAT,
    CN_NUMBERS,
    COUNTIES,
    LOCAL_HALF_M,
    MAIN_HALF_M,
    METRIC_CRS,
    PAIR_SHARE,
    PANEL,
    PLACE_ENDINGS,
    PLACE_WORDS,
    ROAD_WORDS,
    SUPERBLOCK_M,
    TARGET_PAIR,
    TARGET_SINGLE,
    THREE_CELLS_M,
)


@dataclass(frozen=True)
class _Grid:
    """Superblocks on a grid of main roads; indices count from the south-west."""

    xs: np.ndarray  # main road x, metres (columns + 1)
    ys: np.ndarray  # main road y, metres (rows + 1)
    col: np.ndarray  # per superblock
    row: np.ndarray
    community: np.ndarray  # per superblock: its community
    street: np.ndarray  # per community: its street
    pair: np.ndarray  # per community: two superblocks?


def _grid(n: int, rng: np.random.Generator) -> _Grid:
    """Lay out superblocks, pair some into two-superblock communities, group streets."""
    pairs = int(PAIR_SHARE * n)
    while True:  # fewer pairs when the panels cannot hold them
        blocks = n + pairs
        cols = int(np.ceil(np.sqrt(blocks)))
        row_widths = [min(cols, blocks - r * cols) for r in range(int(np.ceil(blocks / cols)))]
        segments = [
            (r, c0, min(c0 + PANEL[0], w))
            for r, w in enumerate(row_widths)
            for c0 in range(0, w, PANEL[0])
        ]
        room = np.array([(c1 - c0) // 2 for _, c0, c1 in segments])
        if room.sum() >= pairs:
            break
        pairs -= 1
    slot_segment = np.repeat(np.arange(len(segments)), room)
    chosen = np.bincount(
        slot_segment[rng.permutation(len(slot_segment))[:pairs]], minlength=len(segments)
    )
    members = []  # per community: (row, first column, width)
    for (r, c0, c1), k in zip(segments, chosen, strict=True):
        widths = rng.permutation([2] * k + [1] * (c1 - c0 - 2 * k))
        starts = c0 + np.concatenate([[0], np.cumsum(widths)[:-1]])
        members += [(r, s, w) for s, w in zip(starts, widths, strict=True)]
    comm = pd.DataFrame(members, columns=["row", "col", "width"])
    # streets and communities are numbered west to east, then north to south
    comm["band_y"], comm["band_x"] = comm["row"] // PANEL[1], comm["col"] // PANEL[0]
    comm = comm.sort_values(
        ["band_y", "band_x", "row", "col"], ascending=[False, True, False, True]
    ).reset_index(drop=True)
    comm["street"] = comm.groupby(["band_y", "band_x"], sort=False).ngroup()
    sb = comm.loc[comm.index.repeat(comm["width"])]
    sb_col = sb["col"].to_numpy() + sb.groupby(level=0).cumcount().to_numpy()
    widths = rng.uniform(*SUPERBLOCK_M, size=cols)
    heights = rng.uniform(*SUPERBLOCK_M, size=len(row_widths))
    x0, y0 = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True).transform(*CENTRE_LONLAT)
    xs = x0 - widths.sum() / 2 + np.concatenate([[0.0], np.cumsum(widths)])
    ys = y0 - heights.sum() / 2 + np.concatenate([[0.0], np.cumsum(heights)])
    return _Grid(
        xs=xs,
        ys=ys,
        col=sb_col,
        row=sb["row"].to_numpy(),
        community=sb.index.to_numpy(),
        street=comm["street"].to_numpy(),
        pair=comm["width"].to_numpy() == 2,
    )


def _names(
    count: int, words: list[str], endings: tuple[str, ...], rng: np.random.Generator
) -> list[str]:
    """``count`` distinct names ``word + ending``, numbered once the combinations run out."""
    combos = len(words) * len(endings)
    pick = rng.permutation(combos)[np.arange(count) % combos].tolist()
    rounds = (np.arange(count) // combos).tolist()
    return [
        f"{words[q % len(words)]}{'' if k == 0 else _cn(k + 1)}{endings[q // len(words)]}"
        for q, k in zip(pick, rounds, strict=True)
    ]


def _cn(k: int) -> str:
    """Chinese numeral for 1–99 (``二``, ``十二``…), else Arabic digits."""
    if k <= 10:
        return CN_NUMBERS[k - 1]
    if k < 100:
        tens, ones = divmod(k, 10)
        return (
            f"{'' if tens == 1 else CN_NUMBERS[tens - 1]}十{CN_NUMBERS[ones - 1] if ones else ''}"
        )
    return str(k)


def _line_names(count: int, ending: str, offset: int) -> np.ndarray:
    """Names of ``count`` main roads (``中山路``, then ``中山二路`` once the words run out)."""
    q = range(offset, offset + count)
    n = len(ROAD_WORDS)
    return np.array([f"{ROAD_WORDS[k % n]}{'' if k < n else _cn(k // n + 1)}{ending}" for k in q])


def _grid_polygon(grid: _Grid, cols: np.ndarray, rows: np.ndarray) -> shapely.Polygon:
    """Union of superblocks, with a vertex at every grid node along its edge (metres).

    The union is made in grid-index space, where it is exact, and densified to unit steps
    before mapping to metres, so polygons that share an edge share all its vertices.
    """
    union = shapely.union_all(shapely.box(cols, rows, cols + 1, rows + 1))
    union = shapely.segmentize(union, 1.0)

    def to_metres(ij: np.ndarray) -> np.ndarray:
        i, j = np.rint(ij).astype(int).T
        return np.column_stack([grid.xs[i], grid.ys[j]])

    return shapely.transform(union, to_metres)


def _admin(grid: _Grid, rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Streets and communities with codes and names (EPSG:4547)."""
    n_streets = int(grid.street.max()) + 1
    per_county = max(12, int(np.ceil(n_streets / len(COUNTIES))))
    if per_county > 99:
        raise ValueError(
            f"{n_streets} streets do not fit the code space of {len(COUNTIES)} counties"
        )
    county, part = np.divmod(np.arange(n_streets), per_county)
    street_codes = np.array(
        [f"{COUNTIES[c]}{p + 1:03d}" for c, p in zip(county, part, strict=True)]
    )
    street_names = np.array([f"{n}街道" for n in _names(n_streets, PLACE_WORDS, ("",), rng)])
    n_comm = len(grid.street)
    seq = pd.Series(grid.street).groupby(grid.street).cumcount().to_numpy() + 1
    comm_codes = np.array(
        [f"{street_codes[s]}{k:03d}" for s, k in zip(grid.street, seq, strict=True)]
    )
    comm_names = [f"{n}社区" for n in _names(n_comm, PLACE_WORDS, PLACE_ENDINGS, rng)]
    comm_geoms = [
        _grid_polygon(grid, grid.col[grid.community == c], grid.row[grid.community == c])
        for c in range(n_comm)
    ]
    street_of_block = grid.street[grid.community]
    street_geoms = [
        _grid_polygon(grid, grid.col[street_of_block == s], grid.row[street_of_block == s])
        for s in range(n_streets)
    ]
    streets = gpd.GeoDataFrame(
        {"code": street_codes, "name": street_names, "source_id": street_codes},
        geometry=street_geoms,
        crs=METRIC_CRS,
    )
    communities = gpd.GeoDataFrame(
        {
            "code": comm_codes,
            "name": comm_names,
            "street_code": street_codes[grid.street],
            "street_name": street_names[grid.street],
            "source_id": comm_codes,
        },
        geometry=comm_geoms,
        crs=METRIC_CRS,
    )
    return streets, communities


def _main_roads(grid: _Grid) -> gpd.GeoDataFrame:
    """Main roads along the superblock edges, one line per edge (EPSG:4547)."""
    c, r = grid.col, grid.row
    # edges in grid-index space: (x0, y0, x1, y1)
    edges = np.concatenate(
        [
            np.column_stack([c, r, c + 1, r]),
            np.column_stack([c, r + 1, c + 1, r + 1]),
            np.column_stack([c, r, c, r + 1]),
            np.column_stack([c + 1, r, c + 1, r + 1]),
        ]
    )
    edges = np.unique(edges, axis=0)
    east_west = edges[:, 1] == edges[:, 3]
    line_no = np.where(east_west, edges[:, 1], edges[:, 0])
    ew_names = _line_names(len(grid.ys), "路", 0)
    ns_names = _line_names(len(grid.xs), "大道", len(grid.ys))
    names = np.empty(len(edges), dtype=object)
    names[east_west] = ew_names[line_no[east_west]]
    names[~east_west] = ns_names[line_no[~east_west]]
    coords = np.stack(
        [grid.xs[edges[:, 0]], grid.ys[edges[:, 1]], grid.xs[edges[:, 2]], grid.ys[edges[:, 3]]], 1
    ).reshape(-1, 2, 2)
    return gpd.GeoDataFrame(
        {
            "name": names,
            "highway": np.where(line_no % 3 == 0, "primary", "secondary"),
            "main": True,
        },
        geometry=shapely.linestrings(coords),
        crs=METRIC_CRS,
    )


def _splits(lo: float, hi: float, parts: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of ``parts - 1`` local roads across ``[lo, hi]``, evenly spaced ± 8 %."""
    k = np.arange(1, parts)
    return lo + (hi - lo) * (k + rng.uniform(-0.08, 0.08, size=parts - 1)) / parts


def _cells(grid: _Grid, rng: np.random.Generator) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Split each superblock by local roads into cells (EPSG:4547).

    Returns the cells (the land between road edges: ``x0 y0 x1 y1``, ``superblock``,
    ``kind``) and the local roads, cut where they cross so that the network is noded.
    """
    cells, lines, names = [], [], []
    for b, (c, r) in enumerate(zip(grid.col, grid.row, strict=True)):
        bx0, bx1, by0, by1 = grid.xs[c], grid.xs[c + 1], grid.ys[r], grid.ys[r + 1]
        xv = _splits(bx0, bx1, 2 + int(bx1 - bx0 > rng.uniform(*THREE_CELLS_M)), rng)
        yh = _splits(by0, by1, 2 + int(by1 - by0 > rng.uniform(*THREE_CELLS_M)), rng)
        xe, ye = np.concatenate([[bx0], xv, [bx1]]), np.concatenate([[by0], yh, [by1]])
        half_x = np.r_[MAIN_HALF_M, np.full(len(xv), LOCAL_HALF_M), MAIN_HALF_M]
        half_y = np.r_[MAIN_HALF_M, np.full(len(yh), LOCAL_HALF_M), MAIN_HALF_M]
        for i in range(len(xe) - 1):
            for j in range(len(ye) - 1):
                cells.append(
                    (
                        xe[i] + half_x[i],
                        ye[j] + half_y[j],
                        xe[i + 1] - half_x[i + 1],
                        ye[j + 1] - half_y[j + 1],
                        b,
                    )
                )
        for k, x in enumerate(xv):
            lines += [((x, ye[j]), (x, ye[j + 1])) for j in range(len(ye) - 1)]
            names += [f"{PLACE_WORDS[(7 * b + k) % len(PLACE_WORDS)]}街"] * (len(ye) - 1)
        for k, y in enumerate(yh):
            lines += [((xe[i], y), (xe[i + 1], y)) for i in range(len(xe) - 1)]
            names += [f"{PLACE_WORDS[(11 * b + k + 3) % len(PLACE_WORDS)]}巷"] * (len(xe) - 1)
    cells = pd.DataFrame(cells, columns=["x0", "y0", "x1", "y1", "superblock"])
    cells["kind"] = rng.choice(3, size=len(cells), p=CELL_KINDS)
    local = gpd.GeoDataFrame(
        {"name": names, "highway": "residential", "main": False},
        geometry=shapely.linestrings(np.array(lines)),
        crs=METRIC_CRS,
    )
    return cells, local


def _targets(grid: _Grid, rng: np.random.Generator) -> np.ndarray:
    """Households wanted in each community: more in two-superblock ones."""
    single = rng.integers(*TARGET_SINGLE, endpoint=True, size=len(grid.pair))
    pair = rng.integers(*TARGET_PAIR, endpoint=True, size=len(grid.pair))
    return np.where(grid.pair, pair, single)
