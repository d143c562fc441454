"""Local search over boundary units: simulated annealing that ends greedy.

A move takes one unit from its grid to a neighbouring grid. Moves that would break the
donor grid into pieces or empty it are never made, so contiguity holds throughout. The
best state seen is returned.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque

import numpy as np

from gis.partition.search import balance_penalty

_T_START, _T_END = 0.02, 1e-5  # annealing temperatures, in objective units
_GREEDY_SHARE = 0.3  # last share of passes run at zero temperature


class LocalSearch:
    """Improve a contiguous assignment of units to grids.

    Parameters
    ----------
    labels : ndarray of int
        Grid per unit; modified copy is kept.
    households : ndarray
        Households per unit.
    neighbours : list of lists
        ``(unit, shared length m, barrier length m)`` per unit.
    compound : ndarray of object
        Compound key of units of split compounds, else None.
    movable : ndarray of bool
        Units that may move; grids holding an immovable unit accept nothing.
    side_m : float
        Side of a typical grid in metres, to make lengths dimensionless.
    params : PartitionParams
        Target, band and weights.
    rng : numpy.random.Generator
        The only source of randomness.
    """

    def __init__(self, labels, households, neighbours, compound, movable, side_m, params, rng):  # noqa: ANN001, PLR0913
        self.labels = labels.copy()
        self.grid = self.labels.tolist()  # the same labels, for fast reads one unit at a time
        self.w = households.astype(float)
        self.weight = self.w.tolist()
        self.nbrs = neighbours
        self.compound = compound
        self.movable = movable
        self.params = params
        self.rng = rng
        self.cut_w = params.cut_weight / side_m
        self.bar_w = params.barrier_weight / side_m
        self.members: dict[int, set[int]] = defaultdict(set)
        for u, g in enumerate(self.labels):
            self.members[int(g)].add(u)
        self.h = {g: float(self.w[list(m)].sum()) for g, m in self.members.items()}
        self.closed = {int(self.labels[u]) for u in np.flatnonzero(~movable)}
        self.penalty: dict[float, float] = {}  # balance_penalty by households, memoised
        self.split_count: dict[object, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for u, c in enumerate(compound):
            if c is not None:
                self.split_count[c][int(self.labels[u])] += 1

    # ------------------------------------------------------------------ deltas
    def _balance(self, h: float) -> float:
        """``balance_penalty(h)``; households are whole numbers, so few values recur."""
        value = self.penalty.get(h)
        if value is None:
            value = self.penalty[h] = balance_penalty(h, self.params)
        return value

    def _delta(self, u: int, a: int, b: int, len_to, bar_to) -> float:  # noqa: ANN001
        w, p = self.weight[u], self.params
        balance = self._balance
        delta = (
            balance(self.h[a] - w)
            - balance(self.h[a])
            + balance(self.h[b] + w)
            - balance(self.h[b])
            + self.cut_w * (len_to[a] - len_to[b])
            + self.bar_w * (bar_to[b] - bar_to[a])
        )
        c = self.compound[u]
        if c is not None:
            counts = self.split_count[c]
            change = (counts[b] == 0) - (counts[a] == 1)
            delta += p.split_weight * change
        return delta

    def _stays_connected(self, u: int, a: int) -> bool:
        rest = self.members[a] - {u}
        if not rest:
            return False
        start = next(iter(rest))
        seen, queue = {start}, deque([start])
        while queue:
            v = queue.popleft()
            for x, _, _ in self.nbrs[v]:
                if x in rest and x not in seen:
                    seen.add(x)
                    queue.append(x)
        return len(seen) == len(rest)

    def _move(self, u: int, a: int, b: int) -> None:
        self.labels[u] = b
        self.grid[u] = b
        self.members[a].discard(u)
        self.members[b].add(u)
        self.h[a] -= self.weight[u]
        self.h[b] += self.weight[u]
        c = self.compound[u]
        if c is not None:
            self.split_count[c][a] -= 1
            self.split_count[c][b] += 1

    # ------------------------------------------------------------------ search
    def _candidate(self, u: int, temperature: float) -> tuple[int, float] | None:
        grid = self.grid
        a = grid[u]
        len_to: dict[int, float] = defaultdict(float)
        bar_to: dict[int, float] = defaultdict(float)
        for v, length, bar in self.nbrs[u]:
            g = grid[v]
            len_to[g] += length
            bar_to[g] += bar
        options = [g for g in len_to if g != a and g not in self.closed]
        if not options:
            return None
        deltas = [(self._delta(u, a, b, len_to, bar_to), b) for b in sorted(options)]
        delta, b = min(deltas)
        if delta < -1e-12 or (
            temperature > 0 and self.rng.random() < math.exp(-delta / temperature)
        ):
            return b, delta
        return None

    def run(self) -> np.ndarray:
        """Search and return the best labels found."""
        movable = np.flatnonzero(self.movable)
        if len(movable) == 0 or len(self.members) < 2:
            return self.labels
        passes = self.params.max_passes
        hot = int(passes * (1 - _GREEDY_SHARE))
        best, best_score, score = self.labels.copy(), 0.0, 0.0
        for step in range(passes):
            temperature = (
                _T_START * (_T_END / _T_START) ** (step / max(1, hot)) if step < hot else 0.0
            )
            moved = 0
            for u in self.rng.permutation(movable).tolist():
                a = self.grid[u]
                if self.closed and a in self.closed:
                    continue
                found = self._candidate(u, temperature)
                if found is None or not self._stays_connected(u, a):
                    continue
                self._move(u, a, found[0])
                score += found[1]
                moved += 1
                if score < best_score - 1e-12:
                    best, best_score = self.labels.copy(), score
            if moved == 0 and temperature == 0.0:
                break
        return best
