"""Standard 15-digit grid codes: the community's 12-digit code + a 3-digit sequence.

Sequences run west to east within a row, rows from north to south (Beijing DB11/T
2157-2023; Suzhou's published grids follow the same pattern). Codes are never reused: when
a partition is re-run, a grid that keeps most of its buildings keeps its code, and a new
grid gets the next unused number. When 999 is used up the code space is exhausted and
that is an error, never a wrap-around.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from gis.errors import ConflictError

MAX_SEQ = 999


def reading_order(x: np.ndarray, y: np.ndarray, row_height: float) -> np.ndarray:
    """Order points in rows from north to south, west to east within a row.

    Parameters
    ----------
    x, y : ndarray
        Centres of the grids, in a metric CRS with northing ``y`` (metres).
    row_height : float
        Height of a row, metres (about the side of a typical grid).

    Returns
    -------
    ndarray of int
        Positions of the points in reading order.
    """
    order = np.argsort(-y, kind="stable")
    rows = np.empty(len(y), dtype=int)
    row, top = 0, None
    for pos in order:
        if top is None or top - y[pos] > row_height / 2:
            if top is not None:
                row += 1
            top = y[pos]
        rows[pos] = row
    return np.lexsort((x, rows))


def match_previous(new: Sequence[frozenset], previous: Mapping[int, frozenset]) -> dict[int, int]:
    """Which new grid keeps which previous sequence number.

    A new grid keeps a previous grid's number when it holds more than half of that
    grid's buildings and those are more than half of its own; each number goes to one
    grid at most.

    Parameters
    ----------
    new : sequence of frozenset
        Building keys of each new grid.
    previous : mapping
        ``{sequence number: building keys}`` of the previous partition.
    """
    pairs = []
    for i, grid in enumerate(new):
        for seq, old in previous.items():
            shared = len(grid & old)
            if shared * 2 > len(old) and shared * 2 > len(grid):
                pairs.append((shared, -seq, i, seq))
    kept: dict[int, int] = {}
    for _, _, i, seq in sorted(pairs, reverse=True):
        if i not in kept and seq not in kept.values():
            kept[i] = seq
    return kept


def assign_sequences(
    order: np.ndarray,
    kept: Mapping[int, int] | None = None,
    used: set[int] | None = None,
    community: str = "",
) -> np.ndarray:
    """Sequence numbers for grids given in reading order.

    Grids in ``kept`` keep theirs; the others get fresh numbers, never one in ``used``
    (every number the community has ever had), in reading order.

    Raises
    ------
    ConflictError
        If more than 999 numbers would be needed.
    """
    kept = dict(kept or {})
    taken = set(used or ()) | set(kept.values())
    seqs = np.zeros(len(order), dtype=int)
    nxt = max(taken, default=0) + 1 if taken else 1
    for pos in order:
        if pos in kept:
            seqs[pos] = kept[pos]
            continue
        while nxt in taken:
            nxt += 1
        if nxt > MAX_SEQ:
            raise ConflictError(
                f"community {community} has used all {MAX_SEQ} grid sequence numbers",
                fix="codes are never reused: ask the code authority for a new community code",
            )
        seqs[pos] = nxt
        taken.add(nxt)
    return seqs


def grid_code(community_code: str, seq: int) -> str:
    """The 15-digit code of grid ``seq`` of a community.

    Examples
    --------
    >>> grid_code("320505006023", 1)
    '320505006023001'
    """
    return f"{community_code}{seq:03d}"
