"""Benjamini–Hochberg false-discovery-rate adjustment of p-values."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["bh_adjust"]


def bh_adjust(pvalues: ArrayLike) -> NDArray[np.float64]:
    """Benjamini–Hochberg adjusted p-values ("q-values"), in the input's order.

    A test is significant at false discovery rate ``alpha`` when its adjusted p-value is
    at most ``alpha``; this is the BH step-up procedure (Benjamini & Hochberg 1995),
    valid under independence and positive dependence, which is the case of Gi* on
    neighbouring cells. It gives the same values as
    ``scipy.stats.false_discovery_control(p, method="bh")`` and R's
    ``p.adjust(p, "BH")``. ``esda.fdr`` returns only a cut-off (and falls back to
    Bonferroni when every test is rejected), so it is not used.

    Parameters
    ----------
    pvalues : array_like
        p-values in [0, 1]; NaN values stay NaN and do not count as tests.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, ``min(1, min_{j >= i} p_(j) * m / j)`` for sorted rank ``i``.

    Examples
    --------
    >>> bh_adjust([0.01, 0.04, 0.03, 0.5]).round(3).tolist()
    [0.04, 0.053, 0.053, 0.5]
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ValueError("pvalues must be one-dimensional")
    out = np.full(p.shape, np.nan)
    valid = ~np.isnan(p)
    tested = p[valid]
    if tested.size == 0:
        return out
    if (tested < 0).any() or (tested > 1).any():
        raise ValueError("p-values must lie in [0, 1]")
    m = tested.size
    order = np.argsort(tested, kind="stable")
    scaled = tested[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    back = np.empty(m)
    back[order] = np.minimum(adjusted, 1.0)
    out[valid] = back
    return out
