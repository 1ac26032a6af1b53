"""The kNN estimate: Surprise's user-based KNNBasic / KNNWithMeans ``predict()``, bit for bit.

scikit-surprise 1.1.5 (prediction_algorithms/knns.py, algo_base.py), for user u and item i::

    unknown u or i -> impossible -> global mean
    neighbours = heapq.nlargest(k, [(v, sim[u, v], r_vi) for (v, r_vi) in ir[i]], key=sim)
    sum_sim = sum_ratings = actual_k = 0
    for (v, s, r) in neighbours:                     # in nlargest's order
        if s > 0:
            sum_sim += s
            sum_ratings += s * r                     # KNNBasic
            sum_ratings += s * (r - means[v])        # KNNWithMeans
            actual_k += 1
    KNNBasic:     actual_k < min_k -> impossible -> global mean; else sum_ratings / sum_sim
    KNNWithMeans: est = means[u]; if actual_k < min_k: sum_ratings = 0
                  est += sum_ratings / sum_sim  (no neighbour: ZeroDivisionError -> means[u])

``heapq.nlargest`` is stable: it returns the k largest similarities in descending order, equal
similarities in their order in ``ir[i]``, and at the cut the earlier raters win. As only
``s > 0`` counts, the neighbours are *the raters of i with sim > 0, visited by similarity
descending, equal similarities in ir[i] order, the first k of them*.

Both functions below visit exactly those neighbours in exactly that order and hand each to
:func:`_add_neighbour` (the loop body above, Surprise's operations, no fastmath); :func:`_estimate`
applies the fallbacks. So the estimate is ``predict().est``'s bits, clipping aside. They differ
only in how they find the order, each suited to its caller:

- :func:`knn_pairs` (the native engine's ``predict_pairs``): per pair, from the item's raters --
  the k-th largest positive similarity T by quickselect, the raters above T put in order by a
  stable (insertion) sort, then those equal to T in ir order while fewer than k are taken:
  O(n + k**2) per pair for an item with n raters.
- :func:`knn_block` (phase 2, ``lfmrec.scoring``): all items of a user at once. The users are
  sorted by similarity to u once (stable argsort: equal similarities by ascending inner id), then
  walked from the most similar down to the last positive one, each adding its ratings to the
  items' running sums while an item has fewer than k neighbours: every item sees its neighbours
  by similarity descending, with one sort per user instead of one per (user, item). Within a
  group of users with equal similarity an item's ratings must come in ir order; a trainset built
  user by user (the phase-2 fit on triples sorted by user) has ir order = inner id order, so they
  do; when they do not, the item is restored to its sums before the group and the group's
  ratings of it are added again in ir order (kept, up to the free slots, by an insertion sort).

The functions live together so that numba's on-disk cache, which it invalidates per source file,
never keeps a caller compiled against an older copy of the shared code.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _add_neighbour(cnt, acc, it, s, value):
    """Surprise's loop body for neighbour (s, value) of item ``it``: ``sum_sim += s``,
    ``sum_ratings += s * value`` (``value`` is r, or r - means[v]), ``actual_k += 1``."""
    cnt[it] += 1
    acc[it, 0] += s
    acc[it, 1] += s * value


@njit(cache=True, inline="always")
def _estimate(actual_k, sum_sim, sum_ratings, min_k, with_means, mean_u, global_mean):
    """Surprise's estimate from the neighbour sums, with predict()'s fallbacks (not clipped)."""
    if with_means:
        est = mean_u
        if actual_k > 0:  # no neighbour: sum_sim is the int 0 -> ZeroDivisionError -> means[u]
            est += sum_ratings / sum_sim if actual_k >= min_k else 0.0
        return est
    if actual_k > 0 and actual_k >= min_k:
        return sum_ratings / sum_sim
    return global_mean  # PredictionImpossible


# ----------------------------------------------------------------------------------------------
# Pairs: one (user, item) at a time, from the item's raters


@njit(cache=True, inline="always")
def _kth_largest(a, m, k):
    """The k-th largest of ``a[:m]`` (1 <= k <= m), by quickselect; reorders ``a[:m]``."""
    lo, hi = 0, m - 1
    target = k - 1
    while lo < hi:
        x, y, z = a[lo], a[(lo + hi) >> 1], a[hi]
        if x < y:
            x, y = y, x
        if y < z:
            y = z if x >= z else x
        pivot = y  # median of three
        lt, i, gt = lo, lo, hi  # three-way partition, descending: > pivot | == pivot | < pivot
        while i <= gt:
            v = a[i]
            if v > pivot:
                a[i] = a[lt]
                a[lt] = v
                lt += 1
                i += 1
            elif v < pivot:
                a[i] = a[gt]
                a[gt] = v
                gt -= 1
            else:
                i += 1
        if target < lt:
            hi = lt - 1
        elif target > gt:
            lo = gt + 1
        else:
            return pivot
    return a[lo]


@njit(cache=True, inline="always")
def _sort_descending_stable(sims, pos, m):
    """Insertion sort of ``sims[:m]`` (``pos`` alongside) by similarity descending; equal
    similarities keep their order."""
    for j in range(1, m):
        s = sims[j]
        p = pos[j]
        h = j
        while h > 0 and sims[h - 1] < s:
            sims[h] = sims[h - 1]
            pos[h] = pos[h - 1]
            h -= 1
        sims[h] = s
        pos[h] = p


@njit(cache=True)
def knn_pairs(u, i, sim, ir_ptr, ir_users, ir_values, means, k, min_k, with_means,
              global_mean):
    """Estimates (not clipped) of the pairs (u[p], i[p]) of inner ids, -1 for an unknown id.

    The raters of item i are ``ir_users[ir_ptr[i]:ir_ptr[i+1]]`` in ``trainset.ir[i]`` order,
    ``ir_values`` their ratings (KNNBasic) or ``r - means[v]`` (KNNWithMeans, computed once as
    Surprise computes it per neighbour: the same bits); ``means`` is read only ``with_means``.
    """
    n_max = 1
    for q in range(ir_ptr.size - 1):
        n_max = max(n_max, ir_ptr[q + 1] - ir_ptr[q])
    kk = max(k, 1)
    cand_sim, cand_pos, scratch = np.empty(n_max), np.empty(n_max, np.int64), np.empty(n_max)
    nb_sim, nb_pos = np.empty(kk), np.empty(kk, np.int64)
    cnt = np.zeros(1, np.int64)
    acc = np.zeros((1, 2))
    out = np.empty(u.size)
    for p in range(u.size):
        uu, ii = u[p], i[p]
        if uu < 0 or ii < 0:
            out[p] = global_mean
            continue
        srow = sim[uu]
        a, b = ir_ptr[ii], ir_ptr[ii + 1]
        c = 0  # neighbours, in nb_sim / nb_pos
        if k > 0:
            m = 0
            for t in range(a, b):  # branch-free: the raters with sim > 0, in ir order
                s = srow[ir_users[t]]
                cand_sim[m] = s
                cand_pos[m] = t
                m += s > 0.0
            if m > k:
                for j in range(m):
                    scratch[j] = cand_sim[j]
                cut = _kth_largest(scratch, m, k)  # T > 0
                for j in range(m):  # branch-free: those above T (fewer than k), in ir order
                    s = cand_sim[j]
                    nb_sim[c] = s
                    nb_pos[c] = cand_pos[j]
                    c += s > cut
                _sort_descending_stable(nb_sim, nb_pos, c)
                for j in range(m):  # those equal to T, in ir order, while slots remain
                    if c == k:
                        break
                    if cand_sim[j] == cut:
                        nb_sim[c] = cut
                        nb_pos[c] = cand_pos[j]
                        c += 1
            else:  # every positive rater is a neighbour
                for j in range(m):
                    nb_sim[j] = cand_sim[j]
                    nb_pos[j] = cand_pos[j]
                c = m
                _sort_descending_stable(nb_sim, nb_pos, c)
        cnt[0] = 0
        acc[0, 0] = acc[0, 1] = 0.0
        for j in range(c):
            _add_neighbour(cnt, acc, 0, nb_sim[j], ir_values[nb_pos[j]])
        out[p] = _estimate(cnt[0], acc[0, 0], acc[0, 1], min_k, with_means,
                           means[uu] if with_means else 0.0, global_mean)
    return out


# ----------------------------------------------------------------------------------------------
# Blocks: all items of a user at once, walking the users by similarity


@njit(cache=True)
def user_ratings(ir_ptr, ir_users, ir_values, n_users):
    """Each user's ratings, in ascending ir position: CSR ``ptr`` over users, and per rating its
    item (int32), its position t in the ir arrays (int64) and ``ir_values[t]``."""
    n = ir_users.size
    ptr = np.zeros(n_users + 1, np.int64)
    for t in range(n):
        ptr[ir_users[t] + 1] += 1
    for v in range(n_users):
        ptr[v + 1] += ptr[v]
    fill = ptr[:-1].copy()
    item = np.empty(n, np.int32)
    pos = np.empty(n, np.int64)
    value = np.empty(n)
    for it in range(ir_ptr.size - 1):
        for t in range(ir_ptr[it], ir_ptr[it + 1]):
            x = fill[ir_users[t]]
            item[x] = it
            pos[x] = t
            value[x] = ir_values[t]
            fill[ir_users[t]] = x + 1
    return ptr, item, pos, value


# knn_block's per-item state within a group of equal similarities (last_pos >= 0: the ir
# position of the group's latest rating of the item, all in order so far)
_FULL = -2  # the item had k neighbours before the group: the group adds none
_REDO = -1  # the group's ratings came out of ir order: redone from the group's log


@njit(cache=True, nogil=True)
def knn_block(sim, urows, items, by_user_ptr, by_user_item, by_user_pos, by_user_value, k,
              min_k, with_means, means, global_mean, out):
    """Estimates (not clipped) of the known users ``urows`` x the items ``items`` (inner ids),
    into ``out`` (len(urows), len(items)).

    ``by_user_*`` are :func:`user_ratings` of the trainset's ir arrays (values: r, or
    r - means[v] for KNNWithMeans); ``means`` is read only ``with_means``.
    """
    n_users = sim.shape[0]
    n_items = 0
    for x in range(by_user_item.size):
        n_items = max(n_items, by_user_item[x] + 1)
    for q in range(items.size):
        n_items = max(n_items, items[q] + 1)
    n = max(by_user_item.size, 1)
    cnt = np.zeros(n_items, np.int64)
    acc = np.zeros((n_items, 2))
    # a group's state per item (valid where group[it] is the group's id), its log, its redos
    group = np.full(n_items, -1, np.int64)
    last_pos = np.zeros(n_items, np.int64)
    saved_cnt = np.zeros(n_items, np.int64)
    saved_acc = np.zeros((n_items, 2))
    logged = np.zeros(n_items, np.int64)
    seg_end = np.zeros(n_items, np.int64)
    redo = np.empty(n_items, np.int64)
    log = np.empty(n, np.int64)
    seg = np.empty(n, np.int64)
    positive = np.empty(n_users, np.int64)
    gid = 0
    for r in range(urows.size):
        u = urows[r]
        srow = sim[u]
        cnt[:] = 0
        acc[:] = 0.0
        m = 0
        for v in range(n_users):  # branch-free: the users with sim > 0, ascending id
            positive[m] = v
            m += srow[v] > 0.0
        # ascending similarity, equal similarities by ascending id (a stable sort)
        order = positive[:m][np.argsort(srow[positive[:m]], kind="mergesort")]
        j = m - 1 if k > 0 else -1
        while j >= 0:
            s = srow[order[j]]
            j0 = j
            while j0 > 0 and srow[order[j0 - 1]] == s:
                j0 -= 1
            if j0 == j:  # one user with this similarity
                v = order[j]
                for x in range(by_user_ptr[v], by_user_ptr[v + 1]):
                    it = by_user_item[x]
                    if cnt[it] < k:
                        _add_neighbour(cnt, acc, it, s, by_user_value[x])
                j -= 1
                continue
            # users order[j0..j] share similarity s: each item takes their ratings in ir order
            gid += 1
            n_log = 0
            n_redo = 0
            for jj in range(j0, j + 1):  # ascending inner id
                v = order[jj]
                for x in range(by_user_ptr[v], by_user_ptr[v + 1]):
                    it = by_user_item[x]
                    t = by_user_pos[x]
                    if group[it] != gid:  # the group's first rating of it
                        group[it] = gid
                        if cnt[it] >= k:
                            last_pos[it] = _FULL
                            continue
                        saved_cnt[it] = cnt[it]
                        saved_acc[it, 0] = acc[it, 0]
                        saved_acc[it, 1] = acc[it, 1]
                        logged[it] = 0
                        last_pos[it] = t
                    elif last_pos[it] == _FULL:
                        continue
                    elif last_pos[it] >= 0:
                        if t < last_pos[it]:  # out of ir order: redo the item below
                            redo[n_redo] = it
                            n_redo += 1
                            last_pos[it] = _REDO
                        else:
                            last_pos[it] = t
                    log[n_log] = x
                    n_log += 1
                    logged[it] += 1
                    if last_pos[it] != _REDO and cnt[it] < k:
                        _add_neighbour(cnt, acc, it, s, by_user_value[x])
            if n_redo:
                end = 0
                for h in range(n_redo):  # a segment of seg per redone item
                    it = redo[h]
                    end += logged[it]
                    seg_end[it] = end - logged[it]
                for e in range(n_log):
                    it = by_user_item[log[e]]
                    if group[it] == gid and last_pos[it] == _REDO:
                        seg[seg_end[it]] = log[e]
                        seg_end[it] += 1
                for h in range(n_redo):
                    it = redo[h]
                    a = seg_end[it] - logged[it]
                    cnt[it] = saved_cnt[it]
                    acc[it, 0] = saved_acc[it, 0]
                    acc[it, 1] = saved_acc[it, 1]
                    slots = min(k - cnt[it], logged[it])
                    size = 0  # seg[a:a+size]: the smallest ir positions seen, ascending
                    for e in range(a, seg_end[it]):
                        x = seg[e]
                        t = by_user_pos[x]
                        if size == slots and t >= by_user_pos[seg[a + size - 1]]:
                            continue
                        q = a + min(size, slots - 1)
                        while q > a and by_user_pos[seg[q - 1]] > t:
                            seg[q] = seg[q - 1]
                            q -= 1
                        seg[q] = x
                        size = min(size + 1, slots)
                    for e in range(a, a + size):
                        _add_neighbour(cnt, acc, it, s, by_user_value[seg[e]])
            j = j0 - 1
        mean_u = means[u] if with_means else 0.0
        for q in range(items.size):
            it = items[q]
            out[r, q] = _estimate(cnt[it], acc[it, 0], acc[it, 1], min_k, with_means, mean_u,
                                  global_mean)
