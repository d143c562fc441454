"""Buildings of a synthetic city: cell styles, buildings, households and compounds."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.synthetic.layout import _Grid, _line_names, _names
from gis.synthetic.params import (
    CAPACITY_BAND,
    COMPOUND,
    COMPOUND_ENDINGS,
    DEPTH_M,
    DWELLING_M2,
    FLOORS,
    GAP_M,
    HOUSEHOLDS,
    MARGIN_M,
    MAX_HOUSEHOLDS,
    METRIC_CRS,
    MIN_HOUSEHOLDS,
    P_EMPTY,
    P_SERVICE,
    PLACE_WORDS,
    PLOT,
    PLOT_FLOORS,
    PLOT_LABELS,
    PLOT_PITCH,
    PLOT_USE_P,
    PLOT_USES,
    SERVICE,
    SERVICE_USES,
    STYLE_MIX,
    STYLE_PITCH,
    STYLE_START,
    WALL_M,
)


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
