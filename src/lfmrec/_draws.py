"""Compiled popularity draws of the synthetic generator at large scale
(:meth:`lfmrec.synthetic.sampler.ArtistSampler.draw` from ``COMPILED_MIN_DRAWS`` draws on).

The numpy form of a draw makes about fifteen passes over the draws (masks, gathers of the pool
bounds, boolean selections) with a temporary array each; at LFM-1b scale (120 M draws) that is
about 24 s. Here one pass decides each draw's pool, one computes the values to bisect, the
search of a guide table (:class:`Guide`) finds their positions, and one pass clips and gathers. The same
random numbers are consumed in the same order, and every value is computed by the same floating
point operations, so the artists drawn are the numpy form's.
"""

from __future__ import annotations

import numpy as np

from ._bisect import in_sorted
from ._numba import njit

#: Buckets of the guide tables (:class:`Guide`): about two per artist at LFM-1b scale.
GUIDE_BUCKETS = 1 << 20


@njit(cache=True)
def _pools(
    country,
    group,
    r_local,
    p_local,
    p_region,
    r_group,
    p_group,
    n_groups,
    cg_start,
    c_start,
    r_lo,
    r_hi,
    g_start,
    n_all,
    fam,
    lo,
    hi,
):
    """Per draw: its family (1: the country-ordered pools, 2: the group-ordered ones) and its
    segment [lo, hi) of that ordering; returns how many draws are of family 1.

    ``country`` holds country ranks (:class:`lfmrec.synthetic.sampler.ArtistSampler`). A draw is local
    with probability p_local, else regional with p_region (if the country has a region), and
    in-group with p_group (``p_local`` / ``p_region`` of size 1: the same for all draws): local
    and in-group -> the (country, group) pool if not empty, else local -> the country pool if not
    empty; regional -> the region pool; otherwise in-group -> the group pool, else all."""
    n1 = 0
    one = p_local.size == 1
    one_r = p_region.size == 1
    for i in range(country.size):
        pl = p_local[0] if one else p_local[i]
        pr = p_region[0] if one_r else p_region[i]
        local = r_local[i] < pl
        in_group = r_group[i] < p_group[i]
        c = np.int64(country[i])
        g = np.int64(group[i])
        cg = c * n_groups + g
        if local and in_group and cg_start[cg + 1] > cg_start[cg]:
            fam[i], lo[i], hi[i] = 1, cg_start[cg], cg_start[cg + 1]
        elif local and c_start[c + 1] > c_start[c]:
            fam[i], lo[i], hi[i] = 1, c_start[c], c_start[c + 1]
        elif not local and r_local[i] < pl + (1.0 - pl) * pr and r_hi[c] > r_lo[c]:
            fam[i], lo[i], hi[i] = 1, r_lo[c], r_hi[c]
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


class Guide:
    """``np.searchsorted(cum, v, side="right")`` through a guide table: the value range
    ``[0, cum[-1]]`` cut into ``GUIDE_BUCKETS`` equal buckets, and for each bucket edge its
    position in ``cum``. A value's answer lies between those of the edges around it, so a
    bisection of that short stretch (a few entries, in the caches) finds it; the numpy form
    bisects all 585,095 entries, about 20 dependent loads that miss the nearer caches."""

    def __init__(self, cum: np.ndarray):
        self.cum = np.ascontiguousarray(cum, dtype=np.float64)
        top = float(self.cum[-1]) if self.cum.size else 0.0
        self.width = top / GUIDE_BUCKETS if top > 0 else 1.0
        self.edges = np.arange(GUIDE_BUCKETS + 1) * self.width
        self.at = np.searchsorted(self.cum, self.edges, side="right")

    def search(self, values: np.ndarray, out: np.ndarray) -> None:
        _guided_search(self.cum, self.edges, self.at, self.width, values, out)


@njit(cache=True)
def _guided_search(cum, edges, at, width, values, out):
    """``out[k] = searchsorted(cum, values[k], side="right")`` (see :class:`Guide`)."""
    last = edges.size - 1
    for k in range(values.size):
        v = values[k]
        if v != v:  # NaN: after every entry, as numpy sorts it
            out[k] = cum.size
            continue
        if v < 0.0:  # below the first edge: bisect everything
            lo, hi = 0, cum.size
        elif v >= edges[last]:  # at or beyond the last edge
            lo, hi = at[last], cum.size
        else:
            b = min(int(v / width), last - 1)
            while b > 0 and edges[b] > v:  # the bucket whose edges hold v, whatever the rounding
                b -= 1
            while edges[b + 1] <= v:  # b < last - 1 here, as edges[last] > v
                b += 1
            lo, hi = at[b], at[b + 1]
        # the first position in [lo, hi) whose entry is > v (hi if none)
        while lo < hi:
            mid = (lo + hi) >> 1
            if cum[mid] <= v:
                lo = mid + 1
            else:
                hi = mid
        out[k] = lo


def draw(sampler, country, group, r_local, p_local, r_group, p_group, p_region, rng) -> np.ndarray:
    """The artists of :meth:`lfmrec.synthetic.sampler.ArtistSampler.draw` (``country``: country ranks),
    whose random numbers for the local / regional and in-group choices are ``r_local`` and
    ``r_group``; the uniform numbers of the two families' popularity draws come from ``rng``
    (family 1's, then family 2's)."""
    s = sampler
    n = country.size
    fam = np.empty(n, np.int8)
    lo = np.empty(n, np.int64)
    hi = np.empty(n, np.int64)
    n1 = _pools(
        country,
        group,
        r_local,
        np.atleast_1d(np.asarray(p_local, np.float64)),
        np.atleast_1d(np.asarray(p_region, np.float64)),
        r_group,
        np.asarray(p_group, np.float64),
        s.n_groups,
        s.cg_start,
        s.c_start,
        s.r_lo,
        s.r_hi,
        s.g_start,
        s.order_g.size,
        fam,
        lo,
        hi,
    )
    u1 = rng.random(n1)
    u2 = rng.random(n - n1)
    pos1 = np.zeros(n1, np.int64)
    pos2 = np.zeros(n - n1, np.int64)
    s.guide_cg.search(_values(fam, 1, lo, hi, u1, s.cum_cg), pos1)
    s.guide_g.search(_values(fam, 2, lo, hi, u2, s.cum_g), pos2)
    out = np.empty(n, np.int32)
    _gather(fam, lo, hi, pos1, pos2, s.order_cg, s.order_g, out)
    return out


@njit(cache=True)
def _not_held(held, keys, width):
    """Whether each of ``keys`` is absent from the sorted ``held`` (keys ``owner * width +
    artist``): each key is looked up in its owner's stretch of ``held`` only."""
    n_owners = 0
    for t in range(keys.size):
        n_owners = max(n_owners, keys[t] // width + 1)
    if held.size:
        n_owners = max(n_owners, held[held.size - 1] // width + 1)
    start = np.zeros(n_owners + 1, np.int64)  # held[start[o]:start[o + 1]]: owner o's keys
    for t in range(held.size):
        start[held[t] // width + 1] += 1
    for o in range(n_owners):
        start[o + 1] += start[o]
    out = np.empty(keys.size, np.bool_)
    for t in range(keys.size):
        o = keys[t] // width
        out[t] = not in_sorted(held, start[o], start[o + 1], keys[t])
    return out


def not_held(held: np.ndarray, keys: np.ndarray, width: int) -> np.ndarray:
    """``keys`` not in ``held`` (sorted, non-negative int64 keys ``owner * width + artist``), as
    ``held[min(searchsorted(held, keys), len(held) - 1)] != keys`` finds them, by owner."""
    return _not_held(np.ascontiguousarray(held, np.int64), np.ascontiguousarray(keys, np.int64), np.int64(width))
