"""The building-level problem every peer solves, and the peers themselves.

Each community becomes the same problem for every peer: momepy's enclosed tessellation
along the road lines (:func:`gis.tessellation.tessellate`); one unit per building cell and
one zero-household unit per filler cell (land without buildings, and stray pieces of a
building's cell), built by wangge's own :func:`gis.partition.units.build_units` with no
compounds; the tolerant rook adjacency of :func:`gis.partition.units.unit_graph`; and
k = :func:`gis.partition.search.choose_grid_count`. Unlike wangge, the peers get no
compounds, no main roads and no other help: they see cells, households and adjacency.

A peer returns one label per cell; :func:`solve` then draws the grids with
:func:`gis.coverage.tile` exactly as wangge does (cells without households may move when
cut off from their grid), so polygons are comparable.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

from gis.coverage import tile
from gis.partition.community import CommunityInput
from gis.partition.params import PartitionParams
from gis.partition.search import choose_grid_count
from gis.partition.units import build_units, unit_graph
from gis.tessellation import tessellate


@dataclass
class Problem:
    """One community as cells with households and adjacency (metric CRS, metres).

    Attributes
    ----------
    code : str
        Community code.
    boundary : Polygon or MultiPolygon
        The community.
    cells : ndarray of Polygon
        One region per unit: building cells first, then filler cells.
    households : ndarray of int
        Households per cell (filler cells 0).
    building_households : ndarray of int
        Households per building, by position in ``index``.
    of_building : ndarray of int
        The cell of each building, by position in ``index``.
    index : Index
        Index of the community's buildings in the input layer.
    centres : ndarray, shape (cells, 2)
        A point on each cell's surface, metres.
    building_centres : ndarray, shape (buildings, 2)
        Footprint centroids, metres.
    i, j : ndarray of int
        Rook adjacency, each edge once (i < j).
    length : ndarray of float
        Shared boundary length of each edge, metres.
    k : int
        Number of grids asked for.
    """

    code: str
    boundary: BaseGeometry
    cells: np.ndarray
    households: np.ndarray
    building_households: np.ndarray
    of_building: np.ndarray
    index: pd.Index
    centres: np.ndarray
    building_centres: np.ndarray
    i: np.ndarray
    j: np.ndarray
    length: np.ndarray
    k: int

    @property
    def n(self) -> int:
        """Number of cells."""
        return len(self.cells)

    def components(self) -> int:
        """Number of connected components of the cell graph."""
        adjacency = coo_matrix((np.ones(len(self.i)), (self.i, self.j)), shape=(self.n, self.n))
        return int(connected_components(adjacency, directed=False)[0])

    def neighbours(self) -> list[list[int]]:
        """Per cell, its neighbours."""
        out: list[list[int]] = [[] for _ in range(self.n)]
        for a, b in zip(self.i.tolist(), self.j.tolist(), strict=True):
            out[a].append(b)
            out[b].append(a)
        return out


def make_problem(item: CommunityInput, params: PartitionParams) -> Problem:
    """Tessellate one community and build its cells, households and adjacency.

    The units are wangge's own (:func:`gis.partition.units.build_units`) with every
    building its own unit: no compound is passed, so none is kept whole.
    """
    buildings = item.buildings.reset_index(drop=True)
    barriers = None
    if item.roads is not None and not item.roads.empty:
        barriers = item.roads.geometry.reset_index(drop=True)
    tess = tessellate(item.boundary, buildings.geometry, barriers=barriers)
    per_building = buildings["households"].fillna(0).to_numpy(dtype=int)
    no_compounds = pd.Series(None, index=buildings.index, dtype=object)
    units = build_units(per_building, no_compounds, tess, params.upper)
    graph = unit_graph(units)
    cells = np.asarray(units.regions.values, dtype=object)
    present = ~(shapely.is_missing(cells) | shapely.is_empty(cells))
    centres = np.tile(
        shapely.get_coordinates(item.boundary.representative_point()), (len(cells), 1)
    )
    centres[present] = shapely.get_coordinates(shapely.point_on_surface(cells[present]))
    return Problem(
        code=item.code,
        boundary=item.boundary,
        cells=cells,
        households=units.households,
        building_households=per_building,
        of_building=units.of_building,
        index=item.buildings.index,
        centres=centres,
        building_centres=shapely.get_coordinates(shapely.centroid(buildings.geometry.values)),
        i=graph.i,
        j=graph.j,
        length=graph.length,
        k=choose_grid_count(int(per_building.sum()), params),
    )


# --- the peers: (problem, seed, params) -> one label per cell ------------------------------


def metis(problem: Problem, seed: int, params: PartitionParams) -> np.ndarray:
    """METIS k-way partition of the cell graph, contiguous parts asked for.

    Vertex weights are households (at least 1, so filler cells count), edge weights the
    shared boundary in whole metres.
    """
    import pymetis

    if problem.k == 1:
        return np.zeros(problem.n, dtype=int)
    rows = np.concatenate([problem.i, problem.j])
    cols = np.concatenate([problem.j, problem.i])
    weights = np.maximum(1, np.rint(np.concatenate([problem.length, problem.length])))
    order = np.lexsort((cols, rows))
    xadj = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=problem.n))])
    try:
        result = pymetis.part_graph(
            problem.k,
            adjacency=pymetis.CSRAdjacency(xadj.astype(np.int64), cols[order].astype(np.int64)),
            vweights=np.maximum(problem.households, 1).astype(np.int64),
            eweights=weights[order].astype(np.int64),
            options=pymetis.Options(contig=True, seed=seed),
        )
    except RuntimeError as exc:  # METIS says why on stdout only
        pieces = problem.components()
        raise RuntimeError(f"{exc} (the cell graph has {pieces} components)") from exc
    return np.asarray(result.vertex_part, dtype=int)


def gerrychain(problem: Problem, seed: int, params: PartitionParams) -> np.ndarray:
    """GerryChain's ``recursive_tree_part``: carve k parts off random spanning trees.

    ``pop_target`` = households / k and ``epsilon`` = the band's tolerance (0.15). It
    raises when the tree cuts cannot meet the band (lumpy household counts).
    """
    import networkx as nx
    from gerrychain.graph import Graph
    from gerrychain.partition import recursive_tree_part

    if problem.k == 1:
        return np.zeros(problem.n, dtype=int)
    nxg = nx.Graph()
    nxg.add_nodes_from((c, {"households": int(h)}) for c, h in enumerate(problem.households))
    nxg.add_edges_from(zip(problem.i.tolist(), problem.j.tolist(), strict=True))
    with warnings.catch_warnings():  # importing gerrychain turns every warning on ("once")
        warnings.simplefilter("ignore")
        assignment = recursive_tree_part(
            Graph.from_networkx(nxg),
            parts=list(range(problem.k)),
            pop_target=problem.households.sum() / problem.k,
            pop_col="households",
            epsilon=params.tolerance,
            rng=seed,
        )
    return np.array([assignment[c] for c in range(problem.n)], dtype=int)


def spopt_maxp(problem: Problem, seed: int, params: PartitionParams) -> np.ndarray:
    """spopt's max-p-regions heuristic: as many regions as possible of ≥ 255 households.

    k is not given: max-p chooses it. Heterogeneity is measured on the cells' centre
    coordinates (so regions are compact); ``top_n=2``, 99 construction iterations and
    10 simulated-annealing iterations are spopt's defaults. spopt draws from the global
    ``numpy.random`` state, so it is seeded here.
    """
    from libpysal.weights import W
    from spopt.region import MaxPHeuristic

    neighbours = problem.neighbours()
    frame = gpd.GeoDataFrame(
        {
            "households": problem.households,
            "x": problem.centres[:, 0],
            "y": problem.centres[:, 1],
        },
        geometry=problem.cells,
    )
    weights = W({c: nb for c, nb in enumerate(neighbours)}, silence_warnings=True)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - spopt's maxp uses the global state
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MaxPHeuristic(frame, weights, ["x", "y"], "households", params.lower)
        model.solve()
    labels = np.asarray(model.labels_)
    return np.unique(labels, return_inverse=True)[1].astype(int)


def kmeans(problem: Problem, seed: int, params: PartitionParams) -> np.ndarray:
    """k-means of building centroids weighted by households; no contiguity is asked for.

    Filler cells (and cells of buildings without households) go to the nearest centre.
    """
    from sklearn.cluster import KMeans

    k = min(problem.k, len(problem.building_centres))
    per_building = problem.building_households
    if k <= 1 or per_building.sum() <= 0:
        return np.zeros(problem.n, dtype=int)
    model = KMeans(n_clusters=k, random_state=seed % 2**32, n_init=10)
    model.fit(problem.building_centres, sample_weight=per_building)
    labels = model.predict(problem.centres)
    # A building cell takes the label k-means gave its (heaviest) building.
    order = np.argsort(per_building)
    labels[problem.of_building[order]] = model.labels_[order]
    return labels.astype(int)


PEERS = {"metis": metis, "gerrychain": gerrychain, "spopt": spopt_maxp, "kmeans": kmeans}
SETTINGS = {
    "metis": "pymetis.part_graph, k-way, Options(contig=True); vertex weights "
    "max(households, 1), edge weights shared metres",
    "gerrychain": "partition.recursive_tree_part, epsilon 0.15, pop_target households/k, "
    "default bipartition_tree (max_attempts 100000)",
    "spopt": "region.MaxPHeuristic, threshold 255 households (lower band), attributes cell "
    "centre x/y, top_n 2, 99 construction and 10 annealing iterations (defaults)",
    "kmeans": "sklearn KMeans(n_clusters=k, n_init=10), households as sample weights; "
    "filler cells to the nearest centre",
}


@dataclass
class Solution:
    """A peer's grids of one community: polygons by label and each building's label."""

    code: str
    polygons: dict[int, BaseGeometry]
    building_labels: np.ndarray
    index: pd.Index


def solve(name: str, problem: Problem, seed: int, params: PartitionParams) -> Solution:
    """Run peer ``name`` on one community and draw its grids with :func:`gis.coverage.tile`."""
    labels = PEERS[name](problem, seed, params)
    polygons = tile(problem.cells, labels, problem.boundary, loose=problem.households == 0)
    return Solution(problem.code, polygons, labels[problem.of_building], problem.index)
