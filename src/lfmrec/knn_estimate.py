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
  the k-th largest positive similarity T by a min-heap of the k largest, the raters above T put in order by a
  stable (insertion) sort, then those equal to T in ir order while fewer than k are taken:
  O(n + k**2) per pair for an item with n raters.
- :func:`knn_block` (phase 2, ``lfmrec.scoring``): all items of a user at once. The users are
  sorted by similarity to u once (a stable argsort: equal similarities by ascending inner id),
  then walked from the most similar down to the last positive one, each adding its ratings to the
  running sums of the items that have fewer than k neighbours: every item sees its neighbours by
  similarity descending, with one sort per user instead of one per (user, item). Within a group
  of users of equal similarity an item must take their ratings in ir order. A trainset built user
  by user (the phase-2 fit on the triples, sorted by user) lists every item's raters in inner-id
  order (:func:`ir_in_id_order`), so the group walked in id order gives exactly that. Otherwise
  (a shuffled fold) the group's ratings are added in id order with their ir positions checked,
  and an item that got them out of order is set back to its sums before the group and takes them
  again in ir order.

The functions live together so that numba's on-disk cache, which it invalidates per source file,
never keeps a caller compiled against an older copy of the shared code.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit

# Columns of the running sums of an item: actual_k (a float64, exact), sum_sim, sum_ratings.
_K, _SIM, _RATINGS = 0, 1, 2


@njit(cache=True)
def _add_neighbour(acc, it, s, value):
    """Surprise's loop body for neighbour (s, value) of item ``it``: ``sum_sim += s``,
    ``sum_ratings += s * value`` (``value`` is r, or r - means[v]), ``actual_k += 1``."""
    acc[it, _K] += 1.0
    acc[it, _SIM] += s
    acc[it, _RATINGS] += s * value


@njit(cache=True)
def _add_neighbour_models(acc, it, s, values, x):
    """:func:`_add_neighbour` for several models that share the neighbours (one trainset, k and
    similarity; e.g. KNNBasic and KNNWithMeans): ``acc[it]`` holds actual_k, sum_sim and one
    sum_ratings per model (``values[x, m]``: model m's value of the rating). Each model's sums are
    the bits it gets alone: actual_k and sum_sim do not depend on the values."""
    acc[it, _K] += 1.0
    acc[it, _SIM] += s
    for m in range(values.shape[1]):
        acc[it, _RATINGS + m] += s * values[x, m]


@njit(cache=True)
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


@njit(cache=True)
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


@njit(cache=True)
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
def _heap_push(h, n, v):
    """Push ``v`` onto the min-heap ``h[:n]`` (room for one more); returns n + 1."""
    i = n
    while i > 0:
        parent = (i - 1) >> 1
        if h[parent] <= v:
            break
        h[i] = h[parent]
        i = parent
    h[i] = v
    return n + 1


@njit(cache=True)
def _heap_replace_top(h, n, v):
    """Replace the smallest of the min-heap ``h[:n]`` by ``v`` (>= it) and restore the heap."""
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and h[c + 1] < h[c]:
            c += 1
        if h[c] >= v:
            break
        h[i] = h[c]
        i = c
    h[i] = v


@njit(cache=True)
def _neighbours(srow, ir_users, a, b, k, cand_sim, cand_pos, scratch, nb_sim, nb_pos):
    """Surprise's neighbours of one (user, item) pair: ``heapq.nlargest(k, raters, key=sim)`` of
    the item's raters ``ir_users[a:b]`` with sim > 0 (``srow``: the user's similarity row), into
    ``nb_sim`` / ``nb_pos`` (their sims and ir positions, best first, ties in ir order); returns
    how many. The raters with sim > 0 are gathered in ir order, the k-th largest found by
    a min-heap of the k largest, those above it sorted stably, those equal to it added in ir order
    while slots remain. ``cand_*`` / ``scratch``: scratch of the item's rater count (``scratch``:
    at least k)."""
    c = 0
    if k > 0:
        m = 0
        n_heap = 0  # scratch[:n_heap]: a min-heap of the k largest similarities so far
        for t in range(a, b):  # the raters with sim > 0, in ir order
            s = srow[ir_users[t]]
            cand_sim[m] = s
            cand_pos[m] = t
            if s > 0.0:
                m += 1
                if n_heap < k:
                    n_heap = _heap_push(scratch, n_heap, s)
                elif s > scratch[0]:
                    _heap_replace_top(scratch, n_heap, s)
        if m > k:
            cut = scratch[0]  # the k-th largest (T > 0)
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
    return c


@njit(cache=True)
def knn_pairs(u, i, sim, ir_ptr, ir_users, ir_values, means, k, min_k, with_means, global_mean):
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
    acc = np.zeros((1, 3))
    out = np.empty(u.size)
    for p in range(u.size):
        uu, ii = u[p], i[p]
        if uu < 0 or ii < 0:
            out[p] = global_mean
            continue
        srow = sim[uu]
        a, b = ir_ptr[ii], ir_ptr[ii + 1]
        c = _neighbours(srow, ir_users, a, b, k, cand_sim, cand_pos, scratch, nb_sim, nb_pos)
        acc[0, _K] = acc[0, _SIM] = acc[0, _RATINGS] = 0.0
        for j in range(c):
            _add_neighbour(acc, 0, nb_sim[j], ir_values[nb_pos[j]])
        out[p] = _estimate(
            acc[0, _K], acc[0, _SIM], acc[0, _RATINGS], min_k, with_means, means[uu] if with_means else 0.0, global_mean
        )
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


# Columns of knn_block's bookkeeping within a group of users of equal similarity: the group that
# last rated the item, and the ir position of its latest rating of the item (all in ir order so
# far), or _REDO (not in ir order: redone after the group).
_GROUP, _LAST = 0, 1
_REDO = -1


@njit(cache=True)
def ir_in_id_order(ir_ptr, ir_users):
    """Whether every item's raters come in ascending inner id in ir (a trainset built user by
    user, as from triples sorted by user): then users of equal similarity, taken in ascending
    id, give every item its ratings in ir order."""
    for it in range(ir_ptr.size - 1):
        for t in range(ir_ptr[it] + 1, ir_ptr[it + 1]):
            if ir_users[t] < ir_users[t - 1]:
                return False
    return True


@njit(cache=True)
def _add_user(v, s, k, by_user_ptr, by_user_item, by_user_value, acc, full):
    """User v (similarity s) as a neighbour of each item it rated that has fewer than k
    (``by_user_value``: (n_ratings, n_models), ``acc``: (n_items, 2 + n_models))."""
    for x in range(by_user_ptr[v], by_user_ptr[v + 1]):
        it = by_user_item[x]
        if not full[it]:
            _add_neighbour_models(acc, it, s, by_user_value, x)
            full[it] = acc[it, _K] >= k


@njit(cache=True)
def _add_group(order, j0, j, s, gid, k, by_user_ptr, by_user_item, by_user_pos, by_user_value, acc, full, saved, book, redo, seg):
    """The users ``order[j0..j]`` (ascending id; all of similarity s) as neighbours: each item
    takes their ratings in ir order while it has fewer than k. They are added in id order, the
    item's ir positions checked on the way; an item whose ratings came out of ir order is set back
    to its sums before the group (``saved``) and the group's ratings of it are added again in ir
    order: an insertion sort keeps the smallest positions, as many as there are free slots."""
    n_redo = 0
    for jj in range(j0, j + 1):
        v = order[jj]
        for x in range(by_user_ptr[v], by_user_ptr[v + 1]):
            it = by_user_item[x]
            t = by_user_pos[x]
            if book[it, _GROUP] != gid:  # the group's first rating of it
                if full[it]:  # full before the group: it adds none
                    continue
                book[it, _GROUP] = gid
                for col in range(acc.shape[1]):
                    saved[it, col] = acc[it, col]
            elif book[it, _LAST] == _REDO:
                continue
            elif t < book[it, _LAST]:  # out of ir order: redo the item below
                redo[n_redo] = it
                n_redo += 1
                book[it, _LAST] = _REDO
                continue
            book[it, _LAST] = t
            if not full[it]:
                _add_neighbour_models(acc, it, s, by_user_value, x)
                full[it] = acc[it, _K] >= k
    if n_redo == 0:
        return
    mark = -gid - 1  # tags the items redone (group ids are >= 1, the initial tag -1)
    for h in range(n_redo):
        book[redo[h], _GROUP] = mark
        book[redo[h], _LAST] = 0  # the item's ratings in the group, then its segment of seg
    for jj in range(j0, j + 1):
        v = order[jj]
        for x in range(by_user_ptr[v], by_user_ptr[v + 1]):
            if book[by_user_item[x], _GROUP] == mark:
                book[by_user_item[x], _LAST] += 1
    end = 0
    for h in range(n_redo):
        it = redo[h]
        end += book[it, _LAST]
        book[it, _LAST] = end - book[it, _LAST]  # the segment's start, then how far it is filled
    for jj in range(j0, j + 1):
        v = order[jj]
        for x in range(by_user_ptr[v], by_user_ptr[v + 1]):
            it = by_user_item[x]
            if book[it, _GROUP] == mark:
                seg[book[it, _LAST]] = x
                book[it, _LAST] += 1
    a = 0
    for h in range(n_redo):
        it = redo[h]
        b = book[it, _LAST]  # the item's segment is seg[a:b]
        for col in range(acc.shape[1]):
            acc[it, col] = saved[it, col]
        slots = min(k - int(acc[it, _K]), b - a)
        size = 0  # seg[a:a+size]: the smallest ir positions seen, ascending
        for e in range(a, b):
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
            _add_neighbour_models(acc, it, s, by_user_value, seg[e])
        full[it] = acc[it, _K] >= k
        a = b


@njit(cache=True, nogil=True)
def knn_block(
    sim,
    urows,
    items,
    by_user_ptr,
    by_user_item,
    by_user_pos,
    by_user_value,
    in_id_order,
    k,
    min_k,
    with_means,
    means,
    global_mean,
    out,
):
    """Estimates (not clipped) of the known users ``urows`` x the items ``items`` (inner ids; -1
    for an unknown item, whose estimate is ``global_mean``: Surprise's impossible prediction),
    into ``out`` (len(urows), len(items)).

    ``by_user_*`` are :func:`user_ratings` of the trainset's ir arrays (values: r, or
    r - means[v] for KNNWithMeans), ``in_id_order`` :func:`ir_in_id_order` of them; ``means`` is
    read only ``with_means``, as ``means[urows[r]]``. ``sim`` may be the whole similarity or just
    the rows of some users (then ``urows`` index those rows and ``means`` is given per row).
    """
    n_users = sim.shape[1]
    n_items = 0
    for x in range(by_user_item.size):
        n_items = max(n_items, by_user_item[x] + 1)
    for q in range(items.size):
        n_items = max(n_items, items[q] + 1)
    acc = np.zeros((n_items, 3))  # the running sums
    full = np.zeros(n_items, np.bool_)  # acc[it, _K] == k, in a small array: cheap to test
    saved = np.zeros((n_items, 3))  # an item's sums before the current group
    values = by_user_value.reshape((by_user_value.size, 1))  # one model
    book = np.full((n_items, 2), -1, np.int64)
    redo = np.empty(n_items, np.int64)
    seg = np.empty(max(by_user_item.size, 1), np.int64)
    positive = np.empty(n_users, np.int64)
    gid = 0
    for r in range(urows.size):
        u = urows[r]
        srow = sim[u]
        acc[:] = 0.0
        full[:] = False
        m = 0
        for v in range(n_users):  # branch-free: the users with sim > 0, ascending id
            positive[m] = v
            m += srow[v] > 0.0
        # ascending similarity, equal similarities by ascending id (a stable sort)
        order = positive[:m][np.argsort(srow[positive[:m]], kind="mergesort")]
        j = m - 1 if k > 0 else -1
        while j >= 0:  # similarity descending
            s = srow[order[j]]
            j0 = j
            while j0 > 0 and srow[order[j0 - 1]] == s:
                j0 -= 1
            if j0 == j or in_id_order:  # one user, or users whose ratings come in ir order
                for jj in range(j0, j + 1):
                    _add_user(order[jj], s, k, by_user_ptr, by_user_item, values, acc, full)
            else:
                gid += 1
                _add_group(
                    order,
                    j0,
                    j,
                    s,
                    gid,
                    k,
                    by_user_ptr,
                    by_user_item,
                    by_user_pos,
                    values,
                    acc,
                    full,
                    saved,
                    book,
                    redo,
                    seg,
                )
            j = j0 - 1
        mean_u = means[u] if with_means else 0.0
        for q in range(items.size):
            it = items[q]
            if it < 0:
                out[r, q] = global_mean
            else:
                out[r, q] = _estimate(acc[it, _K], acc[it, _SIM], acc[it, _RATINGS], min_k, with_means, mean_u, global_mean)
