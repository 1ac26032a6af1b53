"""Exact top-n lists of user-based msd kNN without every item's estimate (phase 2 at LFM-1b scale).

A list needs the best few candidates of a user, not the estimates of all 581,417 artists. This
module computes, for a block of users, exact estimates (Surprise's bits, clipped) of every
candidate that can reach the lists a consumer makes, and a *filler* (below every possible estimate)
for the others. What "can reach the lists" means is a :class:`lfmrec.scoring.Depth`: the ``overall`` best
candidates (the initial top-n, or a re-ranker's pool), the ``foreign`` best candidates from another
country than the user's (the paper's final list), and a ``margin`` in score units (a soft
re-ranker that moves an artist down by at most ``margin``). Every candidate whose estimate is at
least ``T = min(overall-th best, foreign-th best) - margin`` is exact; every other one is below
``T``. So any list built from the block by score (ties by column), by score minus at most
``margin``, or from the ``overall`` best, is the list of the fully scored block
(``tests/test_knn_topn.py`` checks the hard rule, the initial lists, the soft and calibrated
re-rankers and the ranking metrics against the dense route).

How, per user u (the item's raters split at ``heavy_raters``):

- **Popular ("heavy") items** (at least ``heavy_raters`` raters): the push of
  :func:`lfmrec.knn_estimate.knn_block` restricted to their ratings: the users with sim > 0 in
  descending similarity, each adds its ratings of heavy items to those with fewer than k
  neighbours. The walk stops as soon as every heavy candidate has k neighbours (checked every
  ``_CHECK`` users): those are their exact k nearest raters (the neighbour order is a total order,
  see :mod:`.knn_stream`). An item with n raters fills after about k / n of the users, so the
  walk reads a fraction of the heavy items' ratings instead of all ratings of all users.
- **The other ("light") items**, in descending order of an upper bound of their estimate:
  ``mean_u + max(0, max over raters of (r - mean_v))`` for KNNWithMeans (a weighted average of
  deviations is at most the largest), ``max(global mean, max rating)`` for KNNBasic (plus a
  relative 1e-9 for the rounding of the sums), clipped like the estimates. Each is estimated
  exactly from the similarity row (the selection of :func:`lfmrec.knn_estimate.knn_pairs`, cost
  O(n_i + k**2)) until the bound of the next one falls below ``T``.

Cost per user (measured figures: docs/knn_stream.md): the similarity row (sum of n_i over u's
items), a sort of the users with sim > 0, the walk (the heavy ratings of the users walked) and the
light items estimated (sum of their n_i). :func:`prune_stats` reports the last three per user.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit
from ..knn_estimate import (
    _K,
    _RATINGS,
    _SIM,
    _add_group,
    _add_user,
    _estimate,
    _kth_largest,
    _neighbours,
    ir_in_id_order,
    user_ratings,
)

# Users walked between two checks whether every heavy candidate has its k neighbours.
_CHECK = 128
# Users sorted by similarity at first (then twice as many each time the walk needs more).
_CHUNK = 2048
# Relative slack of the light items' bound: a weighted average of values at most x rounds to at
# most x (1 + k eps); 1e-9 is far above that for any k of practical size.
_SLACK = 1e-9


@njit(cache=True, inline="always")
def _insert(top, count, cap, v):
    """Insert v into ``top[:count]`` (descending, at most ``cap`` kept); returns the new count."""
    if cap == 0:
        return 0
    if count == cap:
        if v <= top[cap - 1]:
            return count
        count -= 1
    h = count
    while h > 0 and top[h - 1] < v:
        top[h] = top[h - 1]
        h -= 1
    top[h] = v
    return count + 1


@njit(cache=True, inline="always")
def _threshold(top_o, co, n_over, top_f, cf, n_for, margin):
    if co < n_over or cf < n_for:
        return -np.inf
    t = top_o[n_over - 1]
    if n_for > 0 and top_f[n_for - 1] < t:
        t = top_f[n_for - 1]
    return t - margin


@njit(cache=True, inline="always")
def _bound(mu, b, with_means, gm, lo, hi):
    """The clipped upper bound of an estimate whose neighbour values are at most ``b``: a weighted
    average of values <= b is <= b (KNNWithMeans adds the user's mean; too few neighbours give
    the mean, or for KNNBasic the global mean), plus the rounding slack."""
    ub = mu + max(b, 0.0) if with_means else max(b, gm)
    return max(lo, min(hi, ub + _SLACK * (1.0 + abs(ub))))


@njit(cache=True, inline="always")
def _partial_bound(sum_sim, sum_r, w, b, mu, with_means, gm, lo, hi):
    """The bound of an item's estimate from its neighbour sums so far and at most ``w`` more
    similarity weight of values <= ``b``: (sum_r + y b) / (sum_sim + y) is monotone in y, so its
    largest value over [0, w] is at an end."""
    best = -np.inf
    if sum_sim > 0.0:
        best = sum_r / sum_sim
    if w > 0.0:
        best = max(best, (sum_r + w * b) / (sum_sim + w))
    if best == -np.inf:
        best = 0.0 if with_means else gm
    return _bound(mu, best, with_means, gm, lo, hi)


@njit(cache=True, nogil=True)
def _pruned_rows(
    srows,
    users,
    mean_u,
    ucc,
    with_means,
    k,
    min_k,
    gm,
    lo,
    hi,
    ur_ptr,
    ur_items,
    ir_ptr,
    ir_users,
    values,
    h_ptr,
    h_item,
    h_pos,
    h_value,
    in_id_order,
    heavy,
    heavy_bound,
    light,
    light_bound,
    col_of_item,
    cand_cc,
    skip,
    unknown_cols,
    n_over,
    n_for,
    margin,
    filler,
    chunk_users,
    check_users,
    out,
    stats,
):
    """The pruned scores of the users ``users`` (inner ids; similarity rows ``srows``) into
    ``out`` (b, n_columns), filler where not needed; ``stats[r]``: users walked, heavy ratings read,
    light items estimated, their raters read."""
    n_users = srows.shape[1]
    n_items = ir_ptr.size - 1
    n_heavy = heavy.size  # the walk's arrays are over the heavy items only (h_item: their index)
    acc = np.zeros((max(n_heavy, 1), 3))
    full = np.zeros(max(n_heavy, 1), np.bool_)
    saved = np.zeros((max(n_heavy, 1), 3))
    book = np.full((max(n_heavy, 1), 2), -1, np.int64)
    redo = np.empty(max(n_heavy, 1), np.int64)
    seg = np.empty(max(h_item.size, 1), np.int64)
    positive = np.empty(n_users, np.int64)
    desc = np.empty(n_users, np.int64)
    chunk = np.empty(n_users, np.int64)
    pos_sim = np.empty(n_users)
    played = np.zeros(n_items, np.bool_)
    need = np.zeros(max(n_heavy, 1), np.bool_)
    open_q = np.empty(max(heavy.size, 1), np.int64)
    n_max = 1
    for t in range(light.size):
        it = light[t]
        n_max = max(n_max, ir_ptr[it + 1] - ir_ptr[it])
    kk = max(k, 1)
    cand_sim, cand_pos, scratch = np.empty(n_max), np.empty(n_max, np.int64), np.empty(n_max)
    nb_sim, nb_pos = np.empty(kk), np.empty(kk, np.int64)
    top_o = np.empty(max(n_over, 1))
    top_f = np.empty(max(n_for, 1))
    gid = 0
    for r in range(users.size):
        u = users[r]
        srow = srows[r]
        uc = ucc[r]
        mu = mean_u[r]
        row = out[r]
        row[:] = filler
        for x in range(ur_ptr[u], ur_ptr[u + 1]):
            played[ur_items[x]] = True
        co = 0
        cf = 0
        for q in range(unknown_cols.size):  # unknown items: the impossible prediction
            c = unknown_cols[q]
            if skip[c]:
                continue
            v = max(lo, min(hi, gm))
            row[c] = v
            co = _insert(top_o, co, n_over, v)
            if cand_cc[c] != uc or cand_cc[c] < 0:
                cf = _insert(top_f, cf, n_for, v)
        # light items: exact estimates in descending order of their bound, while it reaches T
        evaluated = 0
        raters = 0
        for t in range(light.size):
            if _bound(mu, light_bound[t], with_means, gm, lo, hi) < _threshold(top_o, co, n_over, top_f, cf, n_for, margin):
                break
            it = light[t]
            c = col_of_item[it]
            if c < 0 or skip[c] or played[it]:
                continue
            a, e = ir_ptr[it], ir_ptr[it + 1]
            cnt = _neighbours(srow, ir_users, a, e, k, cand_sim, cand_pos, scratch, nb_sim, nb_pos)
            sum_k = 0.0
            sum_sim = 0.0
            sum_r = 0.0
            for h in range(cnt):  # Surprise's sums, in neighbour order
                sum_k += 1.0
                sum_sim += nb_sim[h]
                sum_r += nb_sim[h] * values[nb_pos[h]]
            v = max(lo, min(hi, _estimate(sum_k, sum_sim, sum_r, min_k, with_means, mu, gm)))
            row[c] = v
            co = _insert(top_o, co, n_over, v)
            if cand_cc[c] != uc or cand_cc[c] < 0:
                cf = _insert(top_f, cf, n_for, v)
            evaluated += 1
            raters += e - a
        # heavy items whose bound reaches T: walk the users by similarity until each has k
        # neighbours, or its bound from the sums so far falls below T
        T = _threshold(top_o, co, n_over, top_f, cf, n_for, margin)
        n_open = 0  # open_q[:n_open]: the heavy items (indices into heavy) still needed
        for q in range(heavy.size):
            it = heavy[q]
            c = col_of_item[it]
            need[q] = c >= 0 and not skip[c] and not played[it] and _bound(mu, heavy_bound[q], with_means, gm, lo, hi) >= T
            open_q[n_open] = q
            n_open += need[q]
        walked = 0
        read = 0
        if n_open > 0 and k > 0:
            m = 0
            for v in range(n_users):  # branch-free: the users with sim > 0, ascending id
                positive[m] = v
                m += srow[v] > 0.0
            # desc[:n_desc]: the users in descending similarity, equal ones by ascending id, sorted
            # a chunk at a time (the walk rarely needs them all): users with cut <= sim < upper
            n_desc = 0
            upper = np.inf
            want = chunk_users
            j = 0
            check = check_users
            while True:
                if j == n_desc:
                    if n_desc == m:
                        break
                    cnt = 0
                    for x in range(m):
                        sv = srow[positive[x]]
                        if sv < upper:
                            pos_sim[cnt] = sv
                            cnt += 1
                    cut = -np.inf if cnt <= want else _kth_largest(pos_sim, cnt, want)
                    cnt = 0
                    for x in range(m):  # ascending id
                        v = positive[x]
                        sv = srow[v]
                        if sv >= cut and sv < upper:
                            chunk[cnt] = v
                            cnt += 1
                    o = np.argsort(-srow[chunk[:cnt]], kind="mergesort")
                    for x in range(cnt):
                        desc[n_desc + x] = chunk[o[x]]
                    n_desc += cnt
                    upper = cut
                    want *= 2
                s = srow[desc[j]]
                j1 = j
                while j1 + 1 < n_desc and srow[desc[j1 + 1]] == s:
                    j1 += 1
                if j1 == j or in_id_order:
                    for jj in range(j, j1 + 1):
                        _add_user(desc[jj], s, k, h_ptr, h_item, h_value, acc, full)
                else:
                    gid += 1
                    _add_group(desc, j, j1, s, gid, k, h_ptr, h_item, h_pos, h_value, acc, full, saved, book, redo, seg)
                for jj in range(j, j1 + 1):
                    read += h_ptr[desc[jj] + 1] - h_ptr[desc[jj]]
                walked += j1 - j + 1
                j = j1 + 1
                if walked >= check and j < m:
                    check = walked + check_users
                    # the next users have sim <= s_next: an open item's estimate is bounded by its
                    # sums so far and at most k - count more neighbours of weight <= s_next
                    s_next = srow[desc[j]] if j < n_desc else upper
                    T = _threshold(top_o, co, n_over, top_f, cf, n_for, margin)
                    still = 0
                    for h in range(n_open):
                        q = open_q[h]
                        it = heavy[q]
                        if full[q]:
                            v = _estimate(acc[q, _K], acc[q, _SIM], acc[q, _RATINGS], min_k, with_means, mu, gm)
                            v = max(lo, min(hi, v))
                            c = col_of_item[it]
                            row[c] = v
                            co = _insert(top_o, co, n_over, v)
                            if cand_cc[c] != uc or cand_cc[c] < 0:
                                cf = _insert(top_f, cf, n_for, v)
                            need[q] = False
                            continue
                        w = (k - acc[q, _K]) * s_next
                        if _partial_bound(acc[q, _SIM], acc[q, _RATINGS], w, heavy_bound[q], mu, with_means, gm, lo, hi) < T:
                            need[q] = False
                            continue
                        open_q[still] = q
                        still += 1
                    n_open = still
                    if n_open == 0:
                        break
        for q in range(heavy.size):
            it = heavy[q]
            if need[q]:
                c = col_of_item[it]
                v = _estimate(acc[q, _K], acc[q, _SIM], acc[q, _RATINGS], min_k, with_means, mu, gm)
                v = max(lo, min(hi, v))
                row[c] = v
                co = _insert(top_o, co, n_over, v)
                if cand_cc[c] != uc or cand_cc[c] < 0:
                    cf = _insert(top_f, cf, n_for, v)
                need[q] = False
            acc[q, _K] = 0.0
            acc[q, _SIM] = 0.0
            acc[q, _RATINGS] = 0.0
            full[q] = False
        for x in range(ur_ptr[u], ur_ptr[u + 1]):
            played[ur_items[x]] = False
        stats[r, 0] = walked
        stats[r, 1] = read
        stats[r, 2] = evaluated
        stats[r, 3] = raters


class PrunedKnn:
    """The pruned scorer of one fitted native msd kNN model (ScoringParams with ``trainset``) over
    the candidate items ``inner`` (inner ids per column, -1 unknown): :meth:`score_rows`."""

    def __init__(
        self, params, inner: np.ndarray, heavy_raters: int | None = None, chunk_users: int = _CHUNK, check_users: int = _CHECK
    ):
        p = params
        ts = p.trainset
        if ts is None or p.kind not in ("knn_basic", "knn_means"):
            raise ValueError("PrunedKnn needs a native msd kNN model (ScoringParams with a trainset)")
        self.p = p
        self.chunk_users, self.check_users = max(int(chunk_users), 1), max(int(check_users), 1)
        self.with_means = p.kind == "knn_means"
        ir_ptr = np.asarray(ts.ir_ptr, np.int64)
        ir_users = np.asarray(ts.ir_users, np.int64)
        values = np.asarray(ts.ir_ratings, np.float64)
        if self.with_means:  # Surprise's r - means[v]: the bits knn.estimate uses
            values = values - p.means[ir_users]
        n_i = np.diff(ir_ptr)
        self.heavy_raters = int(heavy_raters if heavy_raters is not None else max(4 * p.k, 16))
        is_heavy = n_i >= self.heavy_raters
        # the bound of each item: the largest value among its raters (every known item has one)
        bound = np.maximum.reduceat(values, ir_ptr[:-1]) if values.size else np.zeros(n_i.size)
        light = np.flatnonzero(~is_heavy)
        order = np.argsort(-bound[light], kind="stable")
        self.light = light[order].astype(np.int64)
        self.light_bound = bound[self.light]
        self.heavy = np.flatnonzero(is_heavy).astype(np.int64)
        self.heavy_bound = bound[self.heavy]
        # the heavy items' ratings by user (knn_block's layout), ir order kept within each item
        keep = np.repeat(is_heavy, n_i)
        h_ptr_items = np.zeros(n_i.size + 1, np.int64)
        np.cumsum(np.where(is_heavy, n_i, 0), out=h_ptr_items[1:])
        h_users = ir_users[keep]
        # over the heavy items alone (index q of heavy: the walk's arrays fit in a core's cache)
        h_ptr_items = np.append(h_ptr_items[:-1][is_heavy], h_ptr_items[-1])
        self.by_user = user_ratings(h_ptr_items, h_users, values[keep], ts.n_users) + (ir_in_id_order(h_ptr_items, h_users),)
        self.ir = (ir_ptr, ir_users, values)
        self.ur = (np.asarray(ts.ur_ptr, np.int64), np.asarray(ts.ur_items, np.int64))
        inner = np.asarray(inner, np.int64)
        self.n_columns = inner.size
        self.col_of_item = np.full(n_i.size, -1, np.int64)
        known = np.flatnonzero(inner >= 0)
        self.col_of_item[inner[known]] = known
        self.unknown_cols = np.flatnonzero(inner < 0).astype(np.int64)
        lo, _ = p.rating_scale
        self.filler = float(lo) - 1.0  # below every clipped estimate

    def score_rows(self, uinner: np.ndarray, depth, ucc: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Pruned scores of the known users ``uinner`` (inner ids) into ``out`` (len, n_columns), to
        ``depth`` (:class:`lfmrec.scoring.Depth`);
        ``ucc``: their country codes. Returns the per-user stats (walked users, heavy ratings read,
        light items estimated, their raters)."""
        from .knn_stream import similarity_rows

        p = self.p
        uinner = np.asarray(uinner, np.int64)
        srows = similarity_rows(p.trainset, p.min_support, uinner)
        mean_u = p.means[uinner] if self.with_means else np.zeros(uinner.size)
        skip = depth.skip if depth.skip is not None else np.zeros(self.n_columns, np.bool_)
        stats = np.zeros((uinner.size, 4), np.int64)
        lo, hi = p.rating_scale
        _pruned_rows(
            srows,
            uinner,
            mean_u,
            np.asarray(ucc, np.int64),
            self.with_means,
            int(p.k),
            int(p.min_k),
            float(p.global_mean),
            float(lo),
            float(hi),
            *self.ur,
            *self.ir,
            *self.by_user,
            self.heavy,
            self.heavy_bound,
            self.light,
            self.light_bound,
            self.col_of_item,
            np.asarray(depth.item_country, np.int64),
            np.asarray(skip, np.bool_),
            self.unknown_cols,
            int(depth.overall),
            int(depth.foreign),
            float(depth.margin),
            self.filler,
            self.chunk_users,
            self.check_users,
            out,
            stats,
        )
        return stats
