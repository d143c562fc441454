"""Recombination: merge two neighbouring grids and split them again along a spanning tree.

The move of GerryChain's ReCom chain (DeFord, Duchin, Solomon 2021), used here as an
optimiser: for a pair of adjacent grids, draw random spanning trees of their merged units
(edge weights random, so any tree can come up), and among the cuts of tree edges, whose
two sides are connected by construction, keep the one that scores best on balance,
boundary length and barriers. A pair is only changed when the new split scores better.
It repairs imbalances that single-unit moves cannot: a grid of two large buildings next to
a grid of many small ones.
"""

from __future__ import annotations

import numpy as np

from gis.partition.search import balance_penalties
from gis.partition.treepart import random_tree
from gis.partition.units import UnitGraph

_TREES = 24  # spanning trees drawn per pair holding a grid out of band
_POLISH_TREES = 6  # per pair in the final sweep for compactness
_SHORTLIST = 12  # cuts scored fully per tree


class Recombiner:
    """Improve an assignment by recombining pairs of adjacent grids.

    Parameters
    ----------
    graph : UnitGraph
        Unit adjacency with shared and barrier lengths (metres).
    households, compound : ndarray
        Per unit.
    side_m : float
        Side of a typical grid, metres.
    params : PartitionParams
        Target, band and weights.
    rng : numpy.random.Generator
        The only source of randomness.
    """

    def __init__(self, graph: UnitGraph, households, compound, side_m, params, rng):  # noqa: ANN001
        self.g = graph
        self.w = households.astype(float)
        self.compound = compound
        self.params = params
        self.rng = rng
        self.cut_w = params.cut_weight / side_m
        self.bar_w = params.barrier_weight / side_m
        # households are whole numbers: the balance penalty of every total, looked up
        whole = bool(np.all(self.w == np.round(self.w)))
        span = np.arange(self.w.sum() + 1.0) if whole else None
        self.table = None if span is None else balance_penalties(span, params)

    def _balance(self, h: np.ndarray) -> np.ndarray:
        if self.table is None:
            return balance_penalties(h, self.params)
        return self.table[h.astype(np.int64)]

    def _pair_context(self, members: np.ndarray) -> dict:
        """Local arrays of the merged units of a pair, computed once per pair."""
        local = {int(u): k for k, u in enumerate(members)}
        inside = np.isin(self.g.i, members) & np.isin(self.g.j, members)
        keys = [self.compound[u] for u in members]
        groups: dict[object, list[int]] = {}
        for k, key in enumerate(keys):
            if key is not None:
                groups.setdefault(key, []).append(k)
        a = [local[int(u)] for u in self.g.i[inside]]
        b = [local[int(u)] for u in self.g.j[inside]]
        return {
            "n": len(members),
            "w": self.w[members],
            "a": np.array(a, dtype=int),
            "b": np.array(b, dtype=int),
            "edges": (a, b),
            "length": self.g.length[inside],
            "barrier": self.g.barrier[inside],
            "compounds": [np.array(v) for v in groups.values() if len(v) > 1],
        }

    def _score(self, ctx: dict, side: np.ndarray) -> float:
        """Objective of the two grids of a pair for a split (``side`` True = first grid)."""
        return float(self._scores(ctx, side[None, :])[0])

    def _scores(self, ctx: dict, sides: np.ndarray) -> np.ndarray:
        """:meth:`_score` of every split, one per row of ``sides`` (True = first grid)."""
        p = self.params
        ha = sides @ ctx["w"]
        hb = ctx["w"].sum() - ha
        differ = sides[:, ctx["a"]] != sides[:, ctx["b"]]
        cut = differ @ ctx["length"]
        barrier_in = ~differ @ ctx["barrier"]
        split = np.zeros(len(sides))
        for idx in ctx["compounds"]:
            part = sides[:, idx]
            split += part.any(axis=1) & ~part.all(axis=1)
        return (
            self._balance(ha)
            + self._balance(hb)
            + self.cut_w * cut
            + self.bar_w * barrier_in
            + p.split_weight * split
        )

    def _tree_cuts(self, ctx: dict) -> np.ndarray:
        """Candidate splits from one random spanning tree of the pair, one mask per row.

        The cuts whose two sides come closest to the target each, at most ``_SHORTLIST``,
        best first; each mask is the subtree below the cut edge.
        """
        n = ctx["n"]
        a, b = ctx["edges"]
        tree = random_tree(n, a, b, self.rng)
        if tree is None:
            return np.zeros((0, n), dtype=bool)
        order, parent = tree
        sub = ctx["w"].tolist()
        for v in order[:0:-1]:
            sub[parent[v]] += sub[v]
        total = sub[0]
        p = self.params
        below = np.array(sub)[order[1:]]
        dev = np.abs(below - p.target) + np.abs(total - below - p.target)
        best = np.asarray(order[1:])[np.argsort(dev, kind="stable")[:_SHORTLIST]]
        return _subtree_masks(order, parent, best.tolist(), n)

    def recombine(self, labels: np.ndarray, a: int, b: int, trees: int = _TREES) -> bool:
        """Try to improve grids ``a`` and ``b``; change ``labels`` in place if it helps."""
        members = np.flatnonzero((labels == a) | (labels == b))
        if len(members) < 2:
            return False
        ctx = self._pair_context(members)
        best_score = self._score(ctx, labels[members] == a)
        best_mask = None
        for _ in range(trees):
            cuts = self._tree_cuts(ctx)
            if not len(cuts):
                continue
            for mask, score in zip(cuts, self._scores(ctx, cuts).tolist(), strict=True):
                if score < best_score - 1e-12:
                    best_score, best_mask = score, mask
        if best_mask is None:
            return False
        labels[members] = np.where(best_mask, a, b)
        return True

    def run(self, labels: np.ndarray, movable: np.ndarray, rounds: int = 8) -> np.ndarray:
        """Recombine pairs with a grid out of band until none improves, then every pair once.

        The last sweep over all pairs trades boundary length for nothing in balance, so
        grids come out more compact.
        """
        labels = labels.copy()
        closed = set(labels[~movable].tolist())
        for _ in range(rounds):
            pairs = self._pairs(labels, closed, all_pairs=False)
            if not sum(self.recombine(labels, a, b) for a, b in pairs):
                break
        for a, b in self._pairs(labels, closed, all_pairs=True):
            self.recombine(labels, a, b, trees=_POLISH_TREES)
        return labels

    def _pairs(self, labels: np.ndarray, closed: set, all_pairs: bool) -> list[tuple[int, int]]:
        la, lb = labels[self.g.i], labels[self.g.j]
        pairs = {(min(x, y), max(x, y)) for x, y in zip(la, lb, strict=True) if x != y}
        pairs = {pr for pr in pairs if pr[0] not in closed and pr[1] not in closed}
        h = np.bincount(labels, weights=self.w)
        lo, hi = self.params.lower, self.params.upper
        if not all_pairs:
            pairs = {pr for pr in pairs if not all(lo <= h[g] <= hi for g in pr)}
        dev = {pr: abs(h[pr[0]] - self.params.target) + abs(h[pr[1]] - self.params.target)
               for pr in pairs}  # fmt: skip
        ordered = sorted(pairs, key=lambda pr: (-dev[pr], pr))
        return [(int(x), int(y)) for x, y in ordered]


def _subtree_masks(order: list[int], parent: list[int], roots: list[int], n: int) -> np.ndarray:
    """One row per root: the units of the tree at or below it (``order`` from the tree's root).

    A unit's row bits are its parent's plus its own, so one pass down the tree does all.
    """
    bit = {v: 1 << c for c, v in enumerate(roots)}
    bits = [0] * n
    for v in order[1:]:
        bits[v] = bits[parent[v]] | bit.get(v, 0)
    rows = np.arange(len(roots), dtype=np.int64)[:, None]
    return ((np.array(bits, dtype=np.int64)[None, :] >> rows) & 1).astype(bool)
