"""Synthetic cities for scale work: streets, communities, compounds, buildings and roads.

``make_city`` lays a city out the way Chinese cities are built: main roads in a grid of
superblocks; each community (社区) is one superblock or two side by side, and a street
(街道) is a panel of up to 4 × 3 superblocks; inside a superblock, local roads separate
walled compounds (小区) of walk-ups, mid-rises and high-rises, open blocks whose buildings
belong to no compound, and plots of schools, shops, offices and hospitals.

Geometry is built in metres in CGCS2000 / 3-degree Gauss-Krüger CM 114E (EPSG:4547),
centred on Wuhan (114.3° E, 30.6° N), and returned in EPSG:4326. Every layer has the
canonical columns of :mod:`gis.layers`; codes have the real formats (county 420106…,
street 9 digits, community 12 digits with the neighbourhood part in 001–199).

For any seed: buildings are rectangles that never overlap and lie inside their compound
and community; compounds never overlap; the communities of a street tile it (their shared
edges carry the same vertices, so they stay exact after reprojection); each community
holds 1,500–6,000 households; the same seed gives the same city.

Examples
--------
>>> import numpy as np
>>> city = make_city("tiny", rng=np.random.default_rng(1))
>>> len(city.communities)
2
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

METRIC_CRS = "EPSG:4547"
CENTRE_LONLAT = (114.3, 30.6)
SIZES = {"tiny": 2, "district": 30, "city": 290}  # communities
# Wuhan's districts (GB/T 2260): 武昌, 江岸, 江汉, 硚口, 汉阳, 青山, 洪山, 东西湖…
COUNTIES = (
    "420106 420102 420103 420104 420105 420107 420111 420112 420113 420114 420115 420116 420117"
).split()
PANEL = (4, 3)  # superblocks per street: columns, rows
PAIR_SHARE = 0.3  # share of communities made of two superblocks
SUPERBLOCK_M = (520.0, 760.0)
MAIN_HALF_M, LOCAL_HALF_M = 15.0, 6.0  # half widths of the roads
WALL_M, MARGIN_M, GAP_M = 2.0, 5.0, 8.0  # wall to road, building to wall, between buildings
MIN_HOUSEHOLDS, MAX_HOUSEHOLDS = 1500, 6000  # per community, guaranteed
TARGET_SINGLE, TARGET_PAIR = (1800, 4000), (3800, 5600)  # households wanted per community
CAPACITY_BAND = (1.2, 1.5)  # room for households in a community, × its target
THREE_CELLS_M = (620.0, 720.0)  # a superblock side longer than this gets 3 cells, else 2

# Building kinds: walk-up, mid-rise, high-rise, then service buildings inside compounds.
WALKUP, MIDRISE, HIGHRISE, SERVICE = range(4)
FLOORS = np.array([[5, 7], [9, 12], [18, 33], [2, 4]])
HOUSEHOLDS = np.array([[12, 36], [40, 90], [100, 200], [0, 0]])
DEPTH_M = np.array([[10.0, 12.5], [12.0, 16.0], [16.0, 26.0], [12.0, 20.0]])
DWELLING_M2 = (85.0, 125.0)  # gross floor area of one dwelling
# Compound styles: slot pitch (x, y) in metres, and the mix of walk-up, mid-rise, high-rise.
STYLE_PITCH = np.array([[64.0, 30.0], [70.0, 42.0], [56.0, 60.0]])
STYLE_MIX = np.array([[0.88, 0.12, 0.0], [0.45, 0.40, 0.15], [0.0, 0.30, 0.70]])
STYLE_START = (0.62, 0.26, 0.12)
P_SERVICE, P_EMPTY = 0.05, 0.06  # of compound slots: shops or kindergarten; green space
SERVICE_USES = ("commercial", "kindergarten")
# Cells between local roads: compound, open block (no compound), non-residential plot.
COMPOUND, OPEN, PLOT = range(3)
CELL_KINDS = (0.74, 0.10, 0.16)
PLOT_PITCH = (85.0, 55.0)
PLOT_USES = ("school", "commercial", "office", "hospital")
PLOT_USE_P = (0.35, 0.35, 0.2, 0.1)
PLOT_FLOORS = np.array([[3, 5], [2, 8], [8, 25], [5, 15]])
PLOT_LABELS = ("小学", "商业楼", "办公楼", "医院")

ROAD_WORDS = (
    "中山 解放 建设 和平 友谊 民主 胜利 光明 复兴 长江 汉江 黄鹤 珞珈 东湖 南湖 沙湖 楚河 武珞 "
    "雄楚 中南 中北 徐东 团结 青年 江汉 首义 紫阳 积玉 三阳 车站 花桥 临江 滨江 晴川 鹦鹉 梅苑 "
    "杨园 友爱 新华 白沙"
).split()
PLACE_WORDS = (
    "幸福 阳光 锦绣 翠园 金色 丽都 华庭 桂花 紫荆 银杏 枫林 碧水 新华 永安 康居 和美 怡景 春晖 "
    "海棠 芳草 水岸 文昌 宝通 卓刀 粮道 昙华 石洞 静安 福星 瑞祥 惠民 兴隆 丰收 育才 书城 "
    "东亭 晒湖 傅家 徐家 南湖"
).split()
PLACE_ENDINGS = ("", "新村", "花园", "里", "苑", "坊", "湾", "桥", "门", "路")
COMPOUND_ENDINGS = ("小区", "花园", "家园", "新村", "苑", "公寓", "雅居", "名城")
CN_NUMBERS = "一二三四五六七八九十"

Size = Literal["tiny", "district", "city"]


@dataclass(frozen=True)
class SyntheticCity:
    """The layers of a synthetic city, in EPSG:4326, with canonical columns.

    Attributes
    ----------
    streets, communities, compounds, buildings : GeoDataFrame
        The import layers of :mod:`gis.layers`; buildings carry ``households`` and
        ``floors``.
    roads : GeoDataFrame
        Road centrelines: ``name``, ``highway``, ``main`` (true for the superblock grid).
    """

    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame

    @property
    def households(self) -> int:
        """Total households in the city."""
        return int(self.buildings["households"].sum())


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


def make_city(size: Size | int = "district", *, rng: np.random.Generator) -> SyntheticCity:
    """Generate a synthetic city.

    Parameters
    ----------
    size : {"tiny", "district", "city"} or int
        ``"tiny"``: 2 communities, about 6,000 households (unit tests); ``"district"``:
        30 communities, about 105,000 households, 3,000 buildings, 150 compounds;
        ``"city"``: 290 communities, about 1,000,000 households. An int is the number of
        communities.
    rng : numpy.random.Generator
        The only source of randomness: the same seed gives the same city.

    Returns
    -------
    SyntheticCity
        Layers in EPSG:4326. Lengths and areas were laid out in EPSG:4547 (metres).

    Examples
    --------
    >>> import numpy as np
    >>> city = make_city(3, rng=np.random.default_rng(7))
    >>> city.communities["code"].str.len().unique().tolist()
    [12]
    """
    n = _n_communities(size)
    grid = _grid(n, rng)
    streets, communities = _admin(grid, rng)
    roads = _main_roads(grid)
    cells, local_roads = _cells(grid, rng)
    target = _targets(grid, rng)
    cells["kind"], cells["style"] = _styles(cells, grid.community, target, rng)
    cells, buildings = _fill(cells, grid.community, rng)
    buildings = _trim(buildings, cells, grid.community, target, rng)
    compounds = _compounds(cells, buildings, grid.community, communities, rng)
    buildings = _building_layer(buildings, cells, compounds, grid, communities, rng)
    layers = {
        "streets": streets,
        "communities": communities,
        "compounds": compounds,
        "buildings": buildings,
        "roads": pd.concat([roads, local_roads], ignore_index=True),
    }
    return SyntheticCity(**{k: _to_lonlat(v) for k, v in layers.items()})


def _n_communities(size: Size | int) -> int:
    """Number of communities for a size name or count."""
    if isinstance(size, str) and size in SIZES:
        return SIZES[size]
    if isinstance(size, int | np.integer) and not isinstance(size, bool) and size >= 1:
        return int(size)
    raise ValueError(f"size must be one of {', '.join(SIZES)} or a positive int, not {size!r}")


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


def _slot_counts(cells: pd.DataFrame, pitch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Building slots across and down each cell for a slot pitch (per cell, metres)."""
    inset = 2 * (WALL_M + MARGIN_M)
    across = np.floor((cells["x1"].to_numpy() - cells["x0"].to_numpy() - inset) / pitch[:, 0])
    down = np.floor((cells["y1"].to_numpy() - cells["y0"].to_numpy() - inset) / pitch[:, 1])
    return np.maximum(across, 0).astype(int), np.maximum(down, 0).astype(int)


def _styles(
    cells: pd.DataFrame, community: np.ndarray, target: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Choose each cell's style (walk-up, mixed, high-rise estate) to fit the targets.

    Styles start at random; then, community by community, the cell that gains most is
    made denser while the expected households fall short of ``CAPACITY_BAND[0]`` × the
    target (plots become compounds if even high-rises fall short), and the one that loses
    least is made sparser while they pass ``CAPACITY_BAND[1]`` × the target. Returns the
    cells' kinds and styles.
    """
    per_slot = (1 - P_SERVICE - P_EMPTY) * STYLE_MIX @ HOUSEHOLDS[:3].mean(axis=1)
    room = (
        np.column_stack(
            [np.prod(_slot_counts(cells, np.tile(p, (len(cells), 1))), axis=0) for p in STYLE_PITCH]
        )
        * per_slot
    )
    style = rng.choice(3, size=len(cells), p=STYLE_START)
    kind = cells["kind"].to_numpy().copy()
    cell_comm = community[cells["superblock"].to_numpy()]
    for c, want in enumerate(target):
        mine = np.flatnonzero(cell_comm == c)
        lo, hi = CAPACITY_BAND[0] * want, CAPACITY_BAND[1] * want
        while True:
            res = mine[kind[mine] != PLOT]
            have = room[res, style[res]].sum()
            gain = np.where(
                style[res] < 2, room[res, np.minimum(style[res] + 1, 2)] - room[res, style[res]], -1
            )
            if have < lo and gain.max(initial=-1) > 0:
                style[res[np.argmax(gain)]] += 1
            elif have < lo and (kind[mine] == PLOT).any():
                kind[mine[kind[mine] == PLOT][0]] = COMPOUND
            else:
                break
        while True:
            loss = np.where(
                style[res] > 0,
                room[res, style[res]] - room[res, np.maximum(style[res] - 1, 0)],
                np.inf,
            )
            if have <= hi or not np.isfinite(loss).any() or have - loss.min() < lo:
                break
            style[res[np.argmin(loss)]] -= 1
            have = room[res, style[res]].sum()
    return kind, style


def _slots(cells: pd.DataFrame) -> pd.DataFrame:
    """Every building slot of every cell: centre, size and order (north-west first)."""
    plot = cells["kind"].to_numpy() == PLOT
    pitch = np.where(plot[:, None], PLOT_PITCH, STYLE_PITCH[cells["style"].to_numpy()])
    across, down = _slot_counts(cells, pitch)
    count = across * down
    cell = np.repeat(np.arange(len(cells)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    inset = WALL_M + MARGIN_M
    width = (cells["x1"].to_numpy() - cells["x0"].to_numpy() - 2 * inset) / np.maximum(across, 1)
    height = (cells["y1"].to_numpy() - cells["y0"].to_numpy() - 2 * inset) / np.maximum(down, 1)
    ix, iy = k % across[cell], k // across[cell]
    return pd.DataFrame(
        {
            "cell": cell,
            "order": k,
            "cx": cells["x0"].to_numpy()[cell] + inset + (ix + 0.5) * width[cell],
            "cy": cells["y1"].to_numpy()[cell] - inset - (iy + 0.5) * height[cell],
            "room_x": width[cell] - GAP_M,
            "room_y": height[cell] - GAP_M,
        }
    )


def _residential(
    slots: pd.DataFrame, cells: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Fill the slots of compounds and open blocks: homes, a few service buildings, lawns."""
    kind = cells["kind"].to_numpy()[slots["cell"]]
    style = cells["style"].to_numpy()[slots["cell"]]
    u = rng.random(len(slots))
    mix = STYLE_MIX[style].cumsum(axis=1)
    building = (rng.random(len(slots))[:, None] > mix[:, :2]).sum(axis=1)
    building[(u < P_EMPTY + P_SERVICE) & (kind == COMPOUND)] = SERVICE
    keep = u >= P_EMPTY
    slots, building = slots[keep].reset_index(drop=True), building[keep]
    n = len(slots)
    floors = rng.integers(FLOORS[building, 0], FLOORS[building, 1], endpoint=True)
    households = rng.integers(HOUSEHOLDS[building, 0], HOUSEHOLDS[building, 1], endpoint=True)
    depth = rng.uniform(DEPTH_M[building, 0], DEPTH_M[building, 1])
    footprint = np.where(
        building == SERVICE,
        rng.uniform(300.0, 900.0, n),
        households / floors * rng.uniform(*DWELLING_M2, n),
    )
    service_use = np.array(SERVICE_USES)[rng.integers(0, len(SERVICE_USES), n)]
    return slots.assign(
        use=np.where(building == SERVICE, service_use, "residential"),
        floors=floors,
        households=households,
        length=np.maximum(footprint / depth, depth),
        depth=depth,
    )


def _plots(slots: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Fill one to three slots of each non-residential plot: schools, offices, shops."""
    rank = pd.Series(rng.random(len(slots))).groupby(slots["cell"].to_numpy()).rank().to_numpy()
    wanted = rng.integers(1, 3, endpoint=True, size=slots["cell"].max() + 1 if len(slots) else 0)
    slots = slots[rank <= wanted[slots["cell"]]].reset_index(drop=True)
    n = len(slots)
    use = rng.choice(len(PLOT_USES), size=n, p=PLOT_USE_P)
    return slots.assign(
        use=np.array(PLOT_USES)[use],
        floors=rng.integers(PLOT_FLOORS[use, 0], PLOT_FLOORS[use, 1], endpoint=True),
        households=0,
        length=rng.uniform(30.0, 70.0, n),
        depth=rng.uniform(15.0, 30.0, n),
    )


def _buildings(cells: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Buildings as rectangles ``bx0 by0 bx1 by1`` inside their slots (EPSG:4547)."""
    slots = _slots(cells)
    plot = cells["kind"].to_numpy()[slots["cell"]] == PLOT
    b = pd.concat(
        [_residential(slots[~plot], cells, rng), _plots(slots[plot], rng)], ignore_index=True
    )
    b = b.sort_values(["cell", "order"]).reset_index(drop=True)
    length = np.minimum(b["length"], b["room_x"]).to_numpy()
    depth = np.minimum(b["depth"], b["room_y"]).to_numpy()
    cx = b["cx"].to_numpy() + rng.uniform(-0.5, 0.5, len(b)) * (b["room_x"].to_numpy() - length)
    cy = b["cy"].to_numpy() + rng.uniform(-0.5, 0.5, len(b)) * (b["room_y"].to_numpy() - depth)
    return b.assign(
        bx0=cx - length / 2, by0=cy - depth / 2, bx1=cx + length / 2, by1=cy + depth / 2
    )


def _fill(
    cells: pd.DataFrame, community: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate buildings until every community has room for ``MIN_HOUSEHOLDS``.

    Styles were chosen on expected counts; when the draw leaves a community short (rare),
    one of its cells is made denser (or a plot becomes a compound) and the buildings are
    drawn again. Returns the cells, so changed, and the buildings.
    """
    cells = cells.copy()
    cell_comm = community[cells["superblock"].to_numpy()]
    n_comm = int(community.max()) + 1
    for _ in range(100):
        buildings = _buildings(cells, rng)
        hh = buildings["households"].to_numpy()
        room = np.bincount(cell_comm[buildings["cell"]], weights=hh, minlength=n_comm)
        short = np.flatnonzero(room < MIN_HOUSEHOLDS)
        if not len(short):
            return cells, buildings
        for c in short:
            mine = np.flatnonzero(cell_comm == c)
            sparse = mine[
                (cells["kind"].to_numpy()[mine] != PLOT) & (cells["style"].to_numpy()[mine] < 2)
            ]
            plots = mine[cells["kind"].to_numpy()[mine] == PLOT]
            if len(sparse):
                cells.loc[sparse[0], "style"] += 1
            elif len(plots):
                cells.loc[plots[0], "kind"] = COMPOUND
    raise RuntimeError("a synthetic community has no room for enough households")


def _trim(
    buildings: pd.DataFrame,
    cells: pd.DataFrame,
    community: np.ndarray,
    target: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Leave out homes, at random, until each community is within its household target."""
    comm = community[cells["superblock"].to_numpy()[buildings["cell"]]]
    key = rng.random(len(buildings))
    order = np.lexsort((key, comm))
    running = pd.Series(buildings["households"].to_numpy()[order]).groupby(comm[order]).cumsum()
    keep = np.ones(len(buildings), dtype=bool)
    keep[order] = running.to_numpy() <= target[comm[order]]
    keep |= buildings["households"].to_numpy() == 0
    kept = buildings[keep].reset_index(drop=True)
    totals = np.bincount(comm[keep], weights=kept["households"], minlength=len(target))
    if totals.min() < MIN_HOUSEHOLDS or totals.max() > MAX_HOUSEHOLDS:  # cannot happen
        raise RuntimeError(
            f"synthetic community households out of range: {totals.min()}–{totals.max()}"
        )
    return kept


def _compounds(
    cells: pd.DataFrame,
    buildings: pd.DataFrame,
    community: np.ndarray,
    communities: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Walled compounds: the compound cells that kept a building, inside their wall."""
    used = np.isin(np.arange(len(cells)), buildings["cell"].to_numpy())
    mine = cells[(cells["kind"].to_numpy() == COMPOUND) & used]
    x0, y0, x1, y1 = mine[["x0", "y0", "x1", "y1"]].to_numpy().T
    walls = shapely.box(x0 + WALL_M, y0 + WALL_M, x1 - WALL_M, y1 - WALL_M)
    codes = communities["code"].to_numpy()[community[mine["superblock"].to_numpy()]]
    return gpd.GeoDataFrame(
        {
            "name": _names(len(mine), PLACE_WORDS, COMPOUND_ENDINGS, rng),
            "community_code": codes,
            "source_id": [f"XQ{i + 1:06d}" for i in range(len(mine))],
            "cell": mine.index.to_numpy(),
        },
        geometry=walls,
        crs=METRIC_CRS,
    )


def _building_layer(
    b: pd.DataFrame,
    cells: pd.DataFrame,
    compounds: gpd.GeoDataFrame,
    grid: _Grid,
    communities: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Buildings with canonical columns: names (``3栋``), addresses, heights, codes."""
    compound = (
        pd.Series(compounds["source_id"].to_numpy(), index=compounds["cell"])
        .reindex(b["cell"])
        .to_numpy()
    )
    superblock = cells["superblock"].to_numpy()[b["cell"]]
    comm = grid.community[superblock]
    number = b.groupby("cell").cumcount().to_numpy() + 1
    stems = communities["name"].str.removesuffix("社区").to_numpy()[comm]
    labels = dict(zip(PLOT_USES, PLOT_LABELS, strict=True)) | {"kindergarten": "幼儿园"}
    use = b["use"].to_numpy()
    name = np.where(pd.notna(compound), [f"{k}栋" for k in number], [f"{k}号楼" for k in number])
    name = np.where(
        use == "residential",
        name,
        [f"{s}{labels.get(u, '商业楼')}" for s, u in zip(stems, use, strict=True)],
    )
    road = _line_names(len(grid.ys), "路", 0)[grid.row[superblock]]
    door = pd.Series(superblock).groupby(superblock).cumcount().to_numpy() * 2 + 1
    floors = b["floors"].to_numpy()
    return gpd.GeoDataFrame(
        {
            "name": name,
            "address": [f"{r}{d}号" for r, d in zip(road, door, strict=True)],
            "use": use,
            "floors": floors.astype("int64"),
            "height_m": np.round(floors * 3.0 + rng.uniform(0.3, 1.5, len(b)), 1),
            "households": b["households"].to_numpy().astype("int64"),
            "compound": pd.array(compound, dtype="string"),
            "community_code": communities["code"].to_numpy()[comm],
            "source_id": [f"LD{i + 1:07d}" for i in range(len(b))],
        },
        geometry=shapely.box(*b[["bx0", "by0", "bx1", "by1"]].to_numpy().T),
        crs=METRIC_CRS,
    )


def _to_lonlat(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326 and drop helper columns."""
    return frame.drop(columns=["cell"], errors="ignore").to_crs("EPSG:4326")
