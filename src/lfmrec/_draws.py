"""Compiled popularity draws of the synthetic generator at large scale
(:meth:`lfmrec.synthetic._ArtistSampler.draw` from ``BISECT_MIN_DRAWS`` draws on).

The numpy form of a draw makes about fifteen passes over the draws (masks, gathers of the pool
bounds, boolean selections) with a temporary array each; at LFM-1b scale (120 M draws) that is
about 24 s. Here one pass decides each draw's pool, one computes the values to bisect, the
lockstep bisection of :mod:`lfmrec._bisect` finds them, and one pass clips and gathers. The same
random numbers are consumed in the same order, and every value is computed by the same floating
point operations, so the artists drawn are the numpy form's.
"""

from __future__ import annotations

import numpy as np

from ._bisect import _search_right
from ._numba import njit


@njit(cache=True)
def _pools(country, group, r_local, p_local, r_group, p_group, n_groups, cg_start, c_start, g_start, n_all,
           fam, lo, hi):
    """Per draw: its family (1: the country-ordered pools, 2: the group-ordered ones) and its
    segment [lo, hi) of that ordering; returns how many draws are of family 1.

    A draw is local with probability p_local (``p_local`` of size 1: the same for all draws) and
    in-group with p_group: local and in-group -> the (country, group) pool if not empty, else
    local -> the country pool if not empty; otherwise in-group -> the group pool, else all."""
    n1 = 0
    one = p_local.size == 1
    for i in range(country.size):
        local = r_local[i] < (p_local[0] if one else p_local[i])
        in_group = r_group[i] < p_group[i]
        c = np.int64(country[i])
        g = np.int64(group[i])
        cg = c * n_groups + g
        if local and in_group and cg_start[cg + 1] > cg_start[cg]:
            fam[i], lo[i], hi[i] = 1, cg_start[cg], cg_start[cg + 1]
        elif local and c_start[c + 1] > c_start[c]:
            fam[i], lo[i], hi[i] = 1, c_start[c], c_start[c + 1]
        elif in_group:
            fam[i], lo[i], hi[i] = 2, g_start[g], g_start[g + 1]
        else:
            fam[i], lo[i], hi[i] = 2, 0, n_all
        n1 += fam[i] == 1
    return n1


@njit(cache=True)
def _values(fam, which, lo, hi, u, cum):
    """``cum[lo] + u * (cum[hi] - cum[lo])`` for the draws of family ``which``, in order (``u``:
    one random number per such draw)."""
    out = np.empty(u.size)
    k = 0
    for i in range(fam.size):
        if fam[i] == which:
            out[k] = cum[lo[i]] + u[k] * (cum[hi[i]] - cum[lo[i]])
            k += 1
    return out


@njit(cache=True)
def _gather(fam, lo, hi, pos1, pos2, order_cg, order_g, out):
    """``order[clip(pos - 1, lo, hi - 1)]`` of each draw's family, the positions in draw order."""
    k1 = 0
    k2 = 0
    for i in range(fam.size):
        if fam[i] == 1:
            p = pos1[k1] - 1
            k1 += 1
            out[i] = order_cg[min(max(p, lo[i]), hi[i] - 1)]
        else:
            p = pos2[k2] - 1
            k2 += 1
            out[i] = order_g[min(max(p, lo[i]), hi[i] - 1)]


def padded(cum: np.ndarray) -> np.ndarray:
    """``cum`` padded with +inf to a power of two, as the lockstep bisection reads it."""
    out = np.full(1 << int(max(cum.size, 1) - 1).bit_length(), np.inf)
    out[: cum.size] = cum
    return out


def draw(sampler, country, group, r_local, p_local, r_group, p_group, rng) -> np.ndarray:
    """The artists of :meth:`lfmrec.synthetic._ArtistSampler.draw`, whose random numbers for the
    local and in-group choices are ``r_local`` and ``r_group``; the uniform numbers of the two
    families' popularity draws come from ``rng`` (family 1's, then family 2's)."""
    s = sampler
    n = country.size
    fam = np.empty(n, np.int8)
    lo = np.empty(n, np.int64)
    hi = np.empty(n, np.int64)
    n1 = _pools(country, group, r_local, np.atleast_1d(np.asarray(p_local, np.float64)), r_group,
                np.asarray(p_group, np.float64), s.n_groups, s.cg_start, s.c_start, s.g_start, s.order_g.size,
                fam, lo, hi)
    u1 = rng.random(n1)
    u2 = rng.random(n - n1)
    pos1 = np.zeros(n1, np.int64)
    pos2 = np.zeros(n - n1, np.int64)
    if s.cum_cg.size:
        _search_right(s.padded_cg, _values(fam, 1, lo, hi, u1, s.cum_cg), pos1, s.cum_cg.size)
    if s.cum_g.size:
        _search_right(s.padded_g, _values(fam, 2, lo, hi, u2, s.cum_g), pos2, s.cum_g.size)
    out = np.empty(n, np.int32)
    _gather(fam, lo, hi, pos1, pos2, s.order_cg, s.order_g, out)
    return out
