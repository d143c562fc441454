"""Parameters of a grid partition."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PartitionParams:
    """What a good grid is, and how hard the search tries.

    Parameters
    ----------
    target : int
        Households per grid aimed at (default 300).
    tolerance : float
        Allowed relative deviation from the target (default 0.15, i.e. 255–345).
    cut_weight : float
        Weight of the boundary length between grids, in units of a typical grid side:
        higher gives more compact grids at some cost in balance.
    barrier_weight : float
        Weight of main-road length inside a grid (a grid straddling a main road).
    split_weight : float
        Weight of each extra grid a large compound is split across.
    max_passes : int
        Passes of the local search over boundary units.
    restarts : int
        Independent runs per community at most; the best is kept, and runs stop once
        every grid is in band.
    out_of_band_cost : float
        Flat cost of each grid outside the band, on top of the squared deviation.
    retry_out_of_band_cost : float
        The flat cost used by the restarts that follow a run leaving grids out of band:
        they trade some compactness for balance, where it is needed only.
    barrier_retry_factors : tuple of float
        Multipliers of ``barrier_weight`` for the extra runs given to a community whose
        best run leaves a main road through a grid (kept only if no grid more is out of
        band); empty for none.
    """

    target: int = 300
    tolerance: float = 0.15
    cut_weight: float = 0.06
    barrier_weight: float = 0.2
    split_weight: float = 0.02
    max_passes: int = 60
    restarts: int = 6
    out_of_band_cost: float = 0.0
    retry_out_of_band_cost: float = 0.1
    barrier_retry_factors: tuple[float, ...] = (15.0, 50.0)

    def __post_init__(self) -> None:
        if self.target <= 0:
            raise ValueError("target must be a positive number of households")
        if not 0 < self.tolerance < 1:
            raise ValueError("tolerance must be between 0 and 1 (e.g. 0.15)")

    @property
    def lower(self) -> float:
        """Fewest households a grid in band may hold."""
        return self.target * (1 - self.tolerance)

    @property
    def upper(self) -> float:
        """Most households a grid in band may hold."""
        return self.target * (1 + self.tolerance)
