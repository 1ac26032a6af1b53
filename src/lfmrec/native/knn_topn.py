"""Exact top-n lists of user-based msd kNN without every item's estimate (phase 2 at LFM-1b scale).

A list needs the best few candidates of a user, not the estimates of all 581,417 artists. This
module computes, for a block of users, exact estimates (Surprise's bits, clipped) of every
candidate that can reach the lists a consumer makes, and a *filler* (below every possible estimate)
for the others. What "can reach the lists" means is a :class:`lfmrec.scoring.Depth`: the
``overall`` best candidates (the initial top-n, or a re-ranker's pool), the ``foreign`` best
candidates from another country than the user's (the paper's final list), and for each soft
re-ranker (``soft``: its lambdas) the ``soft_n`` best of ``score - lam * similarity[user country,
artist country]``. A candidate is estimated exactly unless an upper bound of its estimate shows it
is below the last entry of every list it could enter; so any list built from the block by score
(ties by column), by a soft penalty, or from the ``overall`` best, is the list of the fully scored
block (``tests/test_knn_topn.py`` checks the hard rule, the initial lists, the soft and calibrated
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
from .knn_stream import raters_by_id, similarity_rows

# Users walked between two checks whether every heavy candidate has its k neighbours.
_CHECK = 128
# Users sorted by similarity at first (then twice as many each time the walk needs more).
_CHUNK = 2048
# The walk hands its open heavy items over to the pull of the light items (each item's neighbours
# selected from its raters) as soon as pulling them all reads at most _PULL_RATIO times as many
# ratings as the walk read since its last check: the end of a walk, where a few items with few
# close raters keep it going through thousands of users.
_PULL_RATIO = 1.0
# Relative slack of the light items' bound: a weighted average of values at most x rounds to at
# most x (1 + k eps); 1e-9 is far above that for any k of practical size.
_SLACK = 1e-9


@njit(cache=True)
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


# The lists a block's scores must serve, per user: row 0 of ``tops`` the ``overall`` best values,
# row 1 the ``foreign`` best (another country than the user's), rows 2.. each soft re-ranker's
# ``soft_n`` best of ``score - offs[li, country]`` (``offs``: lam * similarity[user country, .],
# 0 for an unknown country), each descending; ``counts`` / ``caps`` their lengths and sizes.


@njit(cache=True)
def _offset(offs, li, cc, uc):
    if uc < 0 or cc < 0 or cc >= offs.shape[1]:
        return 0.0
    return offs[li, cc]


@njit(cache=True)
def _add(tops, counts, caps, offs, v, cc, uc):
    """Enter the exact estimate ``v`` of an item of country code ``cc`` into every list."""
    counts[0] = _insert(tops[0], counts[0], caps[0], v)
    if cc != uc or cc < 0:
        counts[1] = _insert(tops[1], counts[1], caps[1], v)
    for li in range(offs.shape[0]):
        counts[2 + li] = _insert(tops[2 + li], counts[2 + li], caps[2 + li], v - _offset(offs, li, cc, uc))


@njit(cache=True)
def _relevant(ub, cc, uc, tops, counts, caps, offs, any_country, min_off):
    """Whether an item whose estimate is at most ``ub`` can enter a list: of country ``cc``, or of
    any country (``any_country``: the best case, ``min_off`` the smallest penalty per soft list)."""
    if caps[0] > 0 and (counts[0] < caps[0] or ub >= tops[0, caps[0] - 1]):
        return True
    if caps[1] > 0 and (any_country or cc != uc or cc < 0) and (counts[1] < caps[1] or ub >= tops[1, caps[1] - 1]):
        return True
    for li in range(offs.shape[0]):
        r = 2 + li
        if counts[r] < caps[r]:
            return True
        off = min_off[li] if any_country else _offset(offs, li, cc, uc)
        if ub - off >= tops[r, caps[r] - 1]:
            return True
    return False


@njit(cache=True)
def _bound(mu, b, with_means, gm, lo, hi):
    """The clipped upper bound of an estimate whose neighbour values are at most ``b``: a weighted
    average of values <= b is <= b (KNNWithMeans adds the user's mean; too few neighbours give
    the mean, or for KNNBasic the global mean), plus the rounding slack."""
    ub = mu + max(b, 0.0) if with_means else max(b, gm)
    return max(lo, min(hi, ub + _SLACK * (1.0 + abs(ub))))


@njit(cache=True)
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


@njit(cache=True)
def _pulled(nb_sim, nb_pos, cnt, values, m, min_k, with_means, mu, gm, lo, hi):
    """Model m's clipped estimate from an item's ``cnt`` neighbours (``_neighbours``' order):
    Surprise's sums, in neighbour order."""
    sum_k = 0.0
    sum_sim = 0.0
    sum_r = 0.0
    for h in range(cnt):
        sum_k += 1.0
        sum_sim += nb_sim[h]
        sum_r += nb_sim[h] * values[m, nb_pos[h]]
    return max(lo, min(hi, _estimate(sum_k, sum_sim, sum_r, min_k, with_means, mu, gm)))


@njit(cache=True)
def _walked(acc, q, m, min_k, with_means, mu, gm, lo, hi):
    """Model m's clipped estimate of heavy item q from the walk's running sums."""
    return max(lo, min(hi, _estimate(acc[q, _K], acc[q, _SIM], acc[q, _RATINGS + m], min_k, with_means, mu, gm)))


@njit(cache=True)
def _enter(out, tops, counts, caps, offs, m, r, c, v, cc, uc):
    """Model m's exact estimate ``v`` of column c for user row r: into its scores and its lists."""
    out[m, r, c] = v
    _add(tops[m], counts[m], caps, offs, v, cc, uc)


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
    caps,
    lams,
    sim,
    filler,
    chunk_users,
    check_users,
    out,
    stats,
):
    """The pruned scores of the users ``users`` (inner ids; similarity rows ``srows``) into
    ``out[m]`` (b, n_columns) for each model m of one trainset and one k (the leading axis of
    ``mean_u``, ``with_means``, ``min_k``, ``values``, ``heavy_bound``, ``light``, ``light_bound``
    and ``out``; the last axis of ``h_value``), filler where not needed; ``stats[r]``: users
    walked, heavy ratings read, light items estimated, their raters read. The models share the
    similarity rows, the walk (its order, its length: until no model needs a heavy item, and its
    pass over each user's ratings: one update of every model's sums per rating) and each light
    item's neighbours; each keeps its own sums and lists, so each model's scores are those it gets
    alone."""
    n_models = out.shape[0]
    n_users = srows.shape[1]
    n_items = ir_ptr.size - 1
    n_heavy = heavy.size  # the walk's arrays are over the heavy items only (h_item: their index)
    nh = max(n_heavy, 1)
    # the walk's running sums, all models side by side (actual_k, sum_sim, each model's sum_ratings):
    # the models take the same neighbours, so one pass over a user's ratings serves them all
    acc = np.zeros((nh, 2 + n_models))
    full = np.zeros(nh, np.bool_)
    saved = np.zeros((nh, 2 + n_models))
    book = np.full((nh, 2), -1, np.int64)
    redo = np.empty(nh, np.int64)
    seg = np.empty(max(h_item.size, 1), np.int64)
    positive = np.empty(n_users, np.int64)
    desc = np.empty(n_users, np.int64)
    chunk = np.empty(n_users, np.int64)
    pos_sim = np.empty(n_users)
    played = np.zeros(n_items, np.bool_)
    need = np.zeros((n_models, nh), np.bool_)
    open_q = np.empty(nh, np.int64)
    pull = np.zeros(n_models, np.int64)  # ratings a model's open items would read if pulled
    to_pull = np.zeros(n_models, np.bool_)
    n_max = 1  # the most raters of an item (light items, and heavy items handed over by the walk)
    for it in range(n_items):
        n_max = max(n_max, ir_ptr[it + 1] - ir_ptr[it])
    kk = max(k, 1)
    cand_sim, cand_pos, scratch = np.empty(n_max), np.empty(n_max, np.int64), np.empty(n_max)
    nb_sim, nb_pos = np.empty(kk), np.empty(kk, np.int64)
    # each light item's neighbours, once per user for all models: slot of the item (-1: not yet)
    shared = n_models > 1
    slot_of = np.full(n_items if shared else 1, -1, np.int64)
    slot_items = np.empty(light.shape[1] if shared else 1, np.int64)
    slot_cnt = np.empty(light.shape[1] if shared else 1, np.int64)
    slot_sim = np.empty((light.shape[1] if shared else 1, kk))
    slot_pos = np.empty((light.shape[1] if shared else 1, kk), np.int64)
    n_soft = lams.size
    tops = np.empty((n_models, 2 + n_soft, max(caps.max(), 1)))
    counts = np.zeros((n_models, 2 + n_soft), np.int64)
    offs = np.zeros((n_soft, sim.shape[1]))
    min_off = np.zeros(max(n_soft, 1))
    gid = 0
    for r in range(users.size):
        u = users[r]
        srow = srows[r]
        uc = ucc[r]
        for m in range(n_models):
            out[m, r, :] = filler
        for x in range(ur_ptr[u], ur_ptr[u + 1]):
            played[ur_items[x]] = True
        counts[:, :] = 0
        for li in range(n_soft):  # soft's penalties, as it computes them: sim[u, c] * lam
            min_off[li] = 0.0  # an unknown country's
            for c in range(sim.shape[1]):
                offs[li, c] = sim[uc, c] * lams[li] if uc >= 0 and uc < sim.shape[0] else 0.0
                min_off[li] = min(min_off[li], offs[li, c])
        for q in range(unknown_cols.size):  # unknown items: the impossible prediction
            c = unknown_cols[q]
            if skip[c]:
                continue
            v = max(lo, min(hi, gm))
            for m in range(n_models):
                _enter(out, tops, counts, caps, offs, m, r, c, v, cand_cc[c], uc)
        # light items: exact estimates in descending order of their bound, while it reaches T
        evaluated = 0
        raters = 0
        n_slots = 0
        for m in range(n_models):
            mu = mean_u[m, r]
            for t in range(light.shape[1]):
                ub = _bound(mu, light_bound[m, t], with_means[m], gm, lo, hi)
                if not _relevant(ub, -1, uc, tops[m], counts[m], caps, offs, True, min_off):
                    break
                it = light[m, t]
                c = col_of_item[it]
                if (
                    c < 0
                    or skip[c]
                    or played[it]
                    or not _relevant(ub, cand_cc[c], uc, tops[m], counts[m], caps, offs, False, min_off)
                ):
                    continue
                a, e = ir_ptr[it], ir_ptr[it + 1]
                if not shared:
                    cnt = _neighbours(srow, ir_users, a, e, k, cand_sim, cand_pos, scratch, nb_sim, nb_pos)
                    evaluated += 1
                    raters += e - a
                else:
                    sl = slot_of[it]
                    if sl < 0:
                        sl = n_slots
                        n_slots += 1
                        slot_of[it] = sl
                        slot_items[sl] = it
                        slot_cnt[sl] = _neighbours(
                            srow, ir_users, a, e, k, cand_sim, cand_pos, scratch, slot_sim[sl], slot_pos[sl]
                        )
                        evaluated += 1
                        raters += e - a
                    cnt = slot_cnt[sl]
                    for h in range(cnt):
                        nb_sim[h] = slot_sim[sl, h]
                        nb_pos[h] = slot_pos[sl, h]
                v = _pulled(nb_sim, nb_pos, cnt, values, m, min_k[m], with_means[m], mu, gm, lo, hi)
                _enter(out, tops, counts, caps, offs, m, r, c, v, cand_cc[c], uc)
        for sl in range(n_slots):
            slot_of[slot_items[sl]] = -1
        # heavy items whose bound reaches T: walk the users by similarity until each has k
        # neighbours, or its bound from the sums so far falls below T (for every model)
        n_open = 0  # open_q[:n_open]: the heavy items (indices into heavy) some model still needs
        for q in range(heavy.size):
            it = heavy[q]
            c = col_of_item[it]
            any_need = False
            for m in range(n_models):
                need[m, q] = (
                    c >= 0
                    and not skip[c]
                    and not played[it]
                    and _relevant(
                        _bound(mean_u[m, r], heavy_bound[m, q], with_means[m], gm, lo, hi),
                        cand_cc[c],
                        uc,
                        tops[m],
                        counts[m],
                        caps,
                        offs,
                        False,
                        min_off,
                    )
                )
                any_need = any_need or need[m, q]
            open_q[n_open] = q
            n_open += any_need
        walked = 0
        read = 0
        if n_open > 0 and k > 0:
            m_pos = 0
            for v in range(n_users):  # branch-free: the users with sim > 0, ascending id
                positive[m_pos] = v
                m_pos += srow[v] > 0.0
            # desc[:n_desc]: the users in descending similarity, equal ones by ascending id, sorted
            # a chunk at a time (the walk rarely needs them all): users with cut <= sim < upper
            n_desc = 0
            upper = np.inf
            want = chunk_users
            j = 0
            check = check_users
            last_read = 0
            while True:
                if j == n_desc:
                    if n_desc == m_pos:
                        break
                    cnt = 0
                    for x in range(m_pos):
                        sv = srow[positive[x]]
                        if sv < upper:
                            pos_sim[cnt] = sv
                            cnt += 1
                    cut = -np.inf if cnt <= want else _kth_largest(pos_sim, cnt, want)
                    cnt = 0
                    for x in range(m_pos):  # ascending id
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
                # every model's sums at once, each as alone (the same neighbours)
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
                if walked >= check and j < m_pos:
                    check = walked + check_users
                    # the next users have sim <= s_next: an open item's estimate is bounded by its
                    # sums so far and at most k - count more neighbours of weight <= s_next
                    s_next = srow[desc[j]] if j < n_desc else upper
                    still = 0
                    for h in range(n_open):
                        q = open_q[h]
                        it = heavy[q]
                        c = col_of_item[it]
                        keep = False
                        for m in range(n_models):
                            if not need[m, q]:
                                continue
                            mu = mean_u[m, r]
                            if full[q]:
                                v = _walked(acc, q, m, min_k[m], with_means[m], mu, gm, lo, hi)
                                _enter(out, tops, counts, caps, offs, m, r, c, v, cand_cc[c], uc)
                                need[m, q] = False
                                continue
                            w = (k - acc[q, _K]) * s_next
                            pb = _partial_bound(
                                acc[q, _SIM], acc[q, _RATINGS + m], w, heavy_bound[m, q], mu, with_means[m], gm, lo, hi
                            )
                            if not _relevant(pb, cand_cc[c], uc, tops[m], counts[m], caps, offs, False, min_off):
                                need[m, q] = False
                                continue
                            keep = True
                        if keep:
                            open_q[still] = q
                            still += 1
                    n_open = still
                    if n_open == 0:
                        break
                    # each model: the rest of the walk against pulling the neighbours of the items it
                    # still needs from their raters (decided per model as alone, so that its scores
                    # do not depend on the other models)
                    pull[:] = 0
                    for h in range(n_open):
                        q = open_q[h]
                        it = heavy[q]
                        for m in range(n_models):
                            if need[m, q]:
                                pull[m] += ir_ptr[it + 1] - ir_ptr[it]
                    any_pull = False
                    for m in range(n_models):
                        to_pull[m] = pull[m] <= _PULL_RATIO * (read - last_read)
                        any_pull = any_pull or to_pull[m]
                    last_read = read
                    if any_pull:
                        still = 0
                        for h in range(n_open):
                            q = open_q[h]
                            it = heavy[q]
                            c = col_of_item[it]
                            cnt = -1
                            keep = False
                            for m in range(n_models):
                                if not need[m, q]:
                                    continue
                                if not to_pull[m]:
                                    keep = True
                                    continue
                                if cnt < 0:  # the item's neighbours, once for the models that pull it
                                    a, e = ir_ptr[it], ir_ptr[it + 1]
                                    cnt = _neighbours(srow, ir_users, a, e, k, cand_sim, cand_pos, scratch, nb_sim, nb_pos)
                                    evaluated += 1
                                    raters += e - a
                                v = _pulled(nb_sim, nb_pos, cnt, values, m, min_k[m], with_means[m], mean_u[m, r], gm, lo, hi)
                                _enter(out, tops, counts, caps, offs, m, r, c, v, cand_cc[c], uc)
                                need[m, q] = False
                            if keep:
                                open_q[still] = q
                                still += 1
                        n_open = still
                        if n_open == 0:
                            break
        for q in range(heavy.size):
            it = heavy[q]
            for m in range(n_models):
                if need[m, q]:
                    c = col_of_item[it]
                    v = _walked(acc, q, m, min_k[m], with_means[m], mean_u[m, r], gm, lo, hi)
                    _enter(out, tops, counts, caps, offs, m, r, c, v, cand_cc[c], uc)
                    need[m, q] = False
            acc[q, :] = 0.0
            full[q] = False
        for x in range(ur_ptr[u], ur_ptr[u + 1]):
            played[ur_items[x]] = False
        stats[r, 0] = walked
        stats[r, 1] = read
        stats[r, 2] = evaluated
        stats[r, 3] = raters


class PrunedKnn:
    """The pruned scorer of fitted native msd kNN models (ScoringParams with ``trainset``) over the
    candidate items ``inner`` (inner ids per column, -1 unknown): :meth:`score_rows`. ``params``:
    one model, or several of one trainset, k and min_support (e.g. KNNBasic and KNNWithMeans at
    k = 40), which share the similarity rows, the walk and the light items' neighbours."""

    def __init__(
        self, params, inner: np.ndarray, heavy_raters: int | None = None, chunk_users: int = _CHUNK, check_users: int = _CHECK
    ):
        self.single = not isinstance(params, (list, tuple))
        models = [params] if self.single else list(params)
        p = models[0]
        ts = p.trainset
        for q in models:
            if q.trainset is None or q.kind not in ("knn_basic", "knn_means"):
                raise ValueError("PrunedKnn needs native msd kNN models (ScoringParams with a trainset)")
            if q.trainset is not ts or (q.k, q.min_support, q.rating_scale) != (p.k, p.min_support, p.rating_scale):
                raise ValueError("PrunedKnn scores several models together only with one trainset, k and min_support")
        self.p, self.models = p, models
        self.chunk_users, self.check_users = max(int(chunk_users), 1), max(int(check_users), 1)
        self.with_means = np.array([q.kind == "knn_means" for q in models])
        ir_ptr = np.asarray(ts.ir_ptr, np.int64)
        ir_users = np.asarray(ts.ir_users, np.int64)
        ratings = np.asarray(ts.ir_ratings, np.float64)
        # Surprise's r - means[v] for KNNWithMeans: the bits knn.estimate uses
        values = np.stack([ratings - q.means[ir_users] if q.kind == "knn_means" else ratings for q in models])
        n_i = np.diff(ir_ptr)
        self.heavy_raters = int(heavy_raters if heavy_raters is not None else max(4 * p.k, 16))
        is_heavy = n_i >= self.heavy_raters
        # each model's bound of each item: the largest value among its raters (every known item has one)
        bound = np.maximum.reduceat(values, ir_ptr[:-1], axis=1) if values.shape[1] else np.zeros((len(models), n_i.size))
        light = np.flatnonzero(~is_heavy)
        self.light = np.stack([light[np.argsort(-b[light], kind="stable")] for b in bound]).astype(np.int64)
        self.light_bound = np.take_along_axis(bound, self.light, axis=1)
        self.heavy = np.flatnonzero(is_heavy).astype(np.int64)
        self.heavy_bound = np.ascontiguousarray(bound[:, self.heavy])
        # the heavy items' ratings by user (knn_block's layout), ir order kept within each item
        keep = np.repeat(is_heavy, n_i)
        h_ptr_items = np.zeros(n_i.size + 1, np.int64)
        np.cumsum(np.where(is_heavy, n_i, 0), out=h_ptr_items[1:])
        h_users = ir_users[keep]
        # over the heavy items alone (index q of heavy: the walk's arrays fit in a core's cache)
        h_ptr_items = np.append(h_ptr_items[:-1][is_heavy], h_ptr_items[-1])
        h_ptr, h_item, h_pos, _ = user_ratings(h_ptr_items, h_users, values[0][keep], ts.n_users)
        # each model's values in the same layout: the value of ir position t, read at h_pos
        # (positions into the heavy ratings, ir order within each item)
        # (n_heavy_ratings, n_models): a rating's values of all models side by side
        h_value = np.ascontiguousarray(values[:, keep][:, h_pos].T)
        self.by_user = (h_ptr, h_item, h_pos, h_value, ir_in_id_order(h_ptr_items, h_users))
        self.ir = (ir_ptr, ir_users, values)
        self.raters = raters_by_id(ts)  # for the similarity rows (lfmrec.native.knn_stream)
        self.ur = (np.asarray(ts.ur_ptr, np.int64), np.asarray(ts.ur_items, np.int64))
        inner = np.asarray(inner, np.int64)
        self.n_columns = inner.size
        self.col_of_item = np.full(n_i.size, -1, np.int64)
        known = np.flatnonzero(inner >= 0)
        self.col_of_item[inner[known]] = known
        self.unknown_cols = np.flatnonzero(inner < 0).astype(np.int64)

    def filler(self, depth) -> float:
        """The value of the entries no list of ``depth`` can reach: below every clipped estimate,
        also after any soft re-ranker's penalty."""
        lo, _ = self.p.rating_scale
        sim = 0.0 if depth.similarity is None or np.size(depth.similarity) == 0 else float(np.abs(depth.similarity).max())
        return float(lo) - 1.0 - sum(abs(float(lam)) for lam in depth.soft) * sim

    def score_rows(self, uinner: np.ndarray, depth, ucc: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Pruned scores of the known users ``uinner`` (inner ids) into ``out`` (len, n_columns; for
        several models (n_models, len, n_columns)), to ``depth`` (:class:`lfmrec.scoring.Depth`);
        ``ucc``: their country codes. Returns the per-user stats (walked users, heavy ratings read,
        light items estimated, their raters)."""

        p = self.p
        uinner = np.asarray(uinner, np.int64)
        srows = similarity_rows(p.trainset, p.min_support, uinner, raters=self.raters)
        mean_u = np.stack([q.means[uinner] if q.kind == "knn_means" else np.zeros(uinner.size) for q in self.models])
        skip = depth.skip if depth.skip is not None else np.zeros(self.n_columns, np.bool_)
        stats = np.zeros((uinner.size, 4), np.int64)
        lo, hi = p.rating_scale
        lams = np.asarray(depth.soft, np.float64)
        sim = np.zeros((1, 1)) if depth.similarity is None else np.ascontiguousarray(depth.similarity, np.float64)
        caps = np.array([depth.overall, depth.foreign] + [depth.soft_n] * lams.size, np.int64)
        _pruned_rows(
            srows,
            uinner,
            mean_u,
            np.asarray(ucc, np.int64),
            self.with_means,
            int(p.k),
            np.array([q.min_k for q in self.models], np.int64),
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
            caps,
            lams,
            sim,
            self.filler(depth),
            self.chunk_users,
            self.check_users,
            out[None] if self.single else out,
            stats,
        )
        return stats


_TRAINSET_ARRAYS = (
    "ur_ptr",
    "ur_items",
    "ur_ratings",
    "ir_ptr",
    "ir_users",
    "ir_ratings",
    "ur_by_item_items",
    "ur_by_item_ratings",
)


def share_trainset(models) -> None:
    """Make fitted native kNN models that were fit on the same triples (each pickled with its own
    copy of the trainset) hold one trainset, the first's, so that :class:`PrunedKnn` scores them
    together; ValueError if their trainsets differ in any array, id or mean."""
    ts = models[0].trainset
    for q in models[1:]:
        other = q.trainset
        same = (
            other is ts
            or other is not None
            and other.global_mean == ts.global_mean
            and other.user_raw2inner == ts.user_raw2inner
            and other.item_raw2inner == ts.item_raw2inner
            and all(np.array_equal(getattr(other, a), getattr(ts, a)) for a in _TRAINSET_ARRAYS)
        )
        if not same:
            raise ValueError("the models to score together were not fit on the same triples (their trainsets differ)")
        q.trainset = ts
