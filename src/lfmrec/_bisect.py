"""A compiled ``np.searchsorted(a, v, side="right")`` for many unsorted values in a long array.

numpy bisects ``a`` for one value after the other: about 20 dependent steps at 585,095 entries,
each a load that misses the nearer caches and a branch the processor cannot predict (0.3 us per
value). Here ``GROUP`` values are bisected in lockstep, without branches (binary lifting with
fixed steps over ``a`` padded with +inf to a power of two), so that the loads of the group are in
flight together: the same positions, 2-2.7x faster on 20 M random values (3.4 s or less against
6.3 s).
"""

from __future__ import annotations

import numpy as np

from ._numba import njit

GROUP = 16


def search_right(a: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``np.searchsorted(a, values, side="right")`` (int64) for a non-decreasing float64 ``a``
    and ``values``, neither with NaN."""
    a = np.asarray(a, dtype=np.float64)
    values = np.ascontiguousarray(values, dtype=np.float64)
    out = np.zeros(values.size, np.int64)
    if a.size:
        padded = np.full(1 << int(a.size - 1).bit_length(), np.inf)  # never <= a finite value
        padded[: a.size] = a
        _search_right(padded, values, out, a.size)
    return out


@njit(cache=True)
def _search_right(a, values, out, n):
    pos = np.zeros(GROUP, np.int64)
    for start in range(0, values.size, GROUP):
        g = min(GROUP, values.size - start)
        pos[:] = 0  # the last entry <= the value, found by steps of a.size / 2, ..., 1
        h = a.size >> 1
        while h > 0:
            for i in range(g):
                p = pos[i] + h
                pos[i] = p if a[p] <= values[start + i] else pos[i]
            h >>= 1
        for i in range(g):
            out[start + i] = min(pos[i] + 1, n) if a[0] <= values[start + i] else 0


@njit(cache=True, inline="always")
def in_sorted(a, lo, hi, x) -> bool:
    """Whether ``x`` is in the sorted ``a[lo:hi]`` (a bisection of that stretch only)."""
    end = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo < end and a[lo] == x
