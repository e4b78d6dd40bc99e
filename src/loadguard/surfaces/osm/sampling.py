"""Which GPS points the matcher looks at (pure numpy on distances along the track).

A run recorded at 1 s moves ~3 m a point, and its class changes every few hundred
metres: matching every point repeats the same answer. :func:`sample` keeps a point
every ``sample_m`` metres; :func:`first_pass` takes a sparser subset of those for a
first look; :func:`between` lists the samples of the gaps that need a second look.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]


def changes(values: NDArray[np.generic]) -> BoolArray:
    """True at the first value and wherever a value differs from the one before."""
    out = np.ones(len(values), dtype=bool)
    np.not_equal(values[1:], values[:-1], out=out[1:])
    return out


def run_counts(starts: IndexArray, n: int) -> IndexArray:
    """Length of every run of ``n`` values that start at ``starts``."""
    count = np.empty_like(starts)
    np.subtract(starts[1:], starts[:-1], out=count[:-1])
    count[-1:] = n - starts[-1:]
    return count


def _marks(along: FloatArray, step_m: float, breaks: BoolArray | None) -> BoolArray:
    """The first point past every ``step_m`` mark, the first point and every break."""
    keep = changes(np.floor(along / step_m))
    if breaks is not None:
        keep |= breaks
    return keep


def sample(
    along: FloatArray, sample_m: float, breaks: BoolArray | None = None
) -> tuple[IndexArray, IndexArray]:
    """Which points to match, and for every point the one of them it takes its class from.

    ``along``: metres along the track at each point (not decreasing). Kept: the first
    point, the first point past every ``sample_m`` mark, and every point of ``breaks``
    (the first after a gap). Every point goes with the kept point nearest to it along
    the track (the earlier one on a tie). ``sample_m <= 0``: every point.
    """
    n = len(along)
    if sample_m <= 0 or n < 3:
        every = np.arange(n)
        return every, every
    kept = np.flatnonzero(_marks(along, sample_m, breaks))
    kept_along = along[kept]
    before = np.searchsorted(kept_along, along, side="right") - 1
    after = np.minimum(before + 1, len(kept) - 1)
    nearer = kept_along[after] - along < along - kept_along[before]
    return kept, np.where(nearer, after, before)


def first_pass(along: FloatArray, coarse_m: float, breaks: BoolArray | None) -> IndexArray:
    """Positions (into the samples) of the first look: the first sample past every
    ``coarse_m`` mark, every break, and the last sample."""
    keep = _marks(along, coarse_m, breaks)
    keep[-1] = True
    return np.flatnonzero(keep)


def between(top: IndexArray, gaps: IndexArray) -> IndexArray:
    """Positions strictly between ``top[g]`` and ``top[g + 1]`` for every gap ``g``."""
    low = top[gaps] + 1
    count = top[gaps + 1] - low
    done = np.cumsum(count)
    offset = np.repeat(low + count - done, count)  # low minus the positions before it
    return np.asarray(offset + np.arange(done[-1] if len(done) else 0), dtype=np.intp)
