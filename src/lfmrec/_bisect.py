"""Bisection of a sorted stretch, compiled and called from the list passes (whether a column is
among a row's played ones, :mod:`lfmrec.topn`) and the synthetic generator (whether a drawn pair
is already held, :mod:`lfmrec._draws`)."""

from __future__ import annotations

from ._numba import njit


@njit(cache=True)
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
