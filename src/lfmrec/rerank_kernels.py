"""The compiled kernels of :mod:`lfmrec.rerank`: the soft selection, the per-country candidate pools
and their merge (hard, soft and none from one pass), and Steck's greedy calibration. Each works on
one block of users, releases the GIL (threads score blocks side by side), and is called only from
:mod:`lfmrec.rerank`, whose module doc defines the methods.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit
from .topn import _push


@njit(cache=True, nogil=True)
def _soft_select(scores, user_country, item_country, sim, lam, n, cols, lens):
    """Per row: the n best finite values of ``scores - lam * sim[user country, item country]``
    (no penalty where either country is unknown, -1), value descending, ties by column, without a
    penalised copy of the block. Writes the columns to ``cols`` (b, n) and the lengths to ``lens``."""
    b, m = scores.shape
    vals = np.empty(max(n, 1))
    for r in range(b):
        u = user_country[r]
        row = scores[r]
        length = 0
        cut = -np.inf  # the list's last value once it is full: only better entries get in
        for j in range(m):
            v = row[j]
            c = item_country[j]
            if u >= 0 and c >= 0:
                v = v - sim[u, c] * lam
            if not v > cut or v == np.inf:  # also skips NaN
                continue
            length = _push(vals, cols[r], length, n, v, j)
            if length == n:
                cut = vals[n - 1]
        lens[r] = length


@njit(cache=True, nogil=True)
def _country_pools(scores, group, k, cols, vals, lens):
    """Per row and per country group (``group[j]``: the item's country code, or the last group for
    unknown countries): the k best finite entries, value descending, ties by column, in
    ``cols``/``vals`` (b, G, k) and ``lens`` (b, G). One pass over the block; an entry is looked
    at closer only when it beats its group's last value."""
    b, m = scores.shape
    G = lens.shape[1]
    cut = np.empty(G)  # a group's last value once it is full, else -inf
    for r in range(b):
        row = scores[r]
        cut[:] = -np.inf
        gv = vals[r]
        gc = cols[r]
        gl = lens[r]
        for j in range(m):
            v = row[j]
            g = group[j]
            if not v > cut[g] or v == np.inf:  # also skips -inf and NaN
                continue
            length = gl[g]
            pos = length if length < k else k - 1
            while pos > 0 and gv[g, pos - 1] < v:  # equal values stay ahead: ties by column
                gv[g, pos] = gv[g, pos - 1]
                gc[g, pos] = gc[g, pos - 1]
                pos -= 1
            gv[g, pos] = v
            gc[g, pos] = j
            if length < k:
                gl[g] = length + 1
                if length + 1 == k:
                    cut[g] = gv[g, k - 1]
            else:
                cut[g] = gv[g, k - 1]


@njit(cache=True, nogil=True)
def _merge_country_pools(cols, vals, lens, user_country, sim, lam, mode, n, out, out_len, exact):
    """The lists of ``mode`` 0 (none), 1 (hard) or 2 (soft, ``lam``) from the per-country pools of
    :func:`_country_pools` (k = n + 1 per country), value descending, ties by column, as
    :func:`lfmrec.topn.top_n`, :func:`lfmrec.topn.foreign_top_n` and :func:`_soft_select` list
    the whole rows.

    Within a country the penalty is one constant p, so a country's entries outside its pool are
    worth at most its pool's last value minus p (rounding keeps the order, but may tie): for
    p = 0 (none, hard, unknown countries, similarity 0) the pools hold every entry that can make
    the list. For p > 0 a full pool whose last value equals the list's n-th value might hide a
    tie that the column would decide: ``exact[r]`` is then False and the caller lists the row
    from the whole row."""
    b, G, k = cols.shape
    vals_out = np.empty(max(n, 1))
    for r in range(b):
        u = user_country[r]
        row = out[r]
        length = 0
        for g in range(G):
            if mode == 1 and u >= 0 and g == u:
                continue
            penalised = mode == 2 and u >= 0 and g < G - 1
            for t in range(lens[r, g]):
                v = vals[r, g, t]
                if penalised:
                    v = v - sim[u, g] * lam
                c = cols[r, g, t]
                if length == n and not (v > vals_out[n - 1] or (v == vals_out[n - 1] and c < row[n - 1])):
                    continue
                pos = length if length < n else n - 1
                while pos > 0 and (vals_out[pos - 1] < v or (vals_out[pos - 1] == v and row[pos - 1] > c)):
                    vals_out[pos] = vals_out[pos - 1]
                    row[pos] = row[pos - 1]
                    pos -= 1
                vals_out[pos] = v
                row[pos] = c
                if length < n:
                    length += 1
        out_len[r] = length
        ok = True
        if mode == 2 and u >= 0 and length == n:
            for g in range(G - 1):
                penalty = sim[u, g] * lam
                if lens[r, g] == k and penalty != 0.0 and vals[r, g, k - 1] - penalty >= vals_out[n - 1]:
                    ok = False
        exact[r] = ok


@njit(cache=True, nogil=True)
def _greedy_calibration(sn, cand, ccode, p, lam, alpha, out):
    """Steck's greedy selection, one user (row) at a time: at rank k, each pool item not yet chosen
    scores ``(1 - lam) * sn - lam * KL(p || q~ with the item added)``; the first maximum (pool
    order) is chosen. KL depends only on the item's country, so it is computed once per country
    (plus once for unknown country, which leaves q unchanged). Writes the chosen columns to
    ``out`` (b, n), -1 where a user has fewer candidates."""
    b, size = sn.shape
    C = p.shape[1]
    n = out.shape[1]
    counts = np.zeros(C)
    log_a = np.zeros(C)
    kl = np.zeros(C + 1)
    chosen = np.zeros(size, dtype=np.bool_)
    for r in range(b):
        plogp = 0.0
        for c in range(C):
            if p[r, c] > 0:
                plogp += p[r, c] * np.log(p[r, c])
        counts[:] = 0.0
        total = 0.0
        for j in range(size):
            chosen[j] = cand[r, j] < 0
        for k in range(n):
            w = (1.0 - alpha) / (total + 1.0)
            cross = 0.0  # sum_c p_c log(q~_c) after adding an item of no target country
            for c in range(C):
                if p[r, c] > 0:
                    log_a[c] = np.log(counts[c] * w + alpha * p[r, c])
                    cross += p[r, c] * log_a[c]
            base = plogp - cross
            for c in range(C):  # adding an item of country c raises q~_c by w
                kl[c] = base
                if p[r, c] > 0:
                    kl[c] = base + p[r, c] * (log_a[c] - np.log(counts[c] * w + alpha * p[r, c] + w))
            wq = (1.0 - alpha) / max(total, 1.0)
            cross = 0.0
            for c in range(C):
                if p[r, c] > 0:
                    cross += p[r, c] * np.log(counts[c] * wq + alpha * p[r, c])
            kl[C] = plogp - cross  # unknown country: q unchanged
            best, pick = -np.inf, -1
            for j in range(size):
                if chosen[j]:
                    continue
                cc = ccode[r, j]
                obj = (1.0 - lam) * sn[r, j] - lam * kl[cc if cc >= 0 else C]
                if obj > best:
                    best, pick = obj, j
            if pick < 0:
                break
            out[r, k] = cand[r, pick]
            chosen[pick] = True
            cc = ccode[r, pick]
            if cc >= 0:
                counts[cc] += 1.0
                total += 1.0
