"""User-based KNNBasic / KNNWithMeans (msd) without the dense n_users x n_users similarity.

Surprise's estimate of (u, i) reads only row u of the similarity (``sim[u, v]`` for the raters v of
i; see :mod:`lfmrec.knn_estimate`). This module computes the rows of a block of users (the same
additions in the same order as :func:`lfmrec.native.knn.msd_similarity`, so the same bits), serves
from them every estimate those users need, and drops them: memory O(block x n_users) instead of
O(n_users**2), and one similarity for several kNN configurations at once.

Neighbour order and the k sweep. ``heapq.nlargest(k, it, key)`` is, by its definition and its
implementation (decoration ``(key, -index)``, ``heapreplace`` only on a strictly larger key; the
``k == 1`` shortcut ``max()`` keeps the first maximum; ``k >= len`` is ``sorted(reverse=True)``),
``sorted(it, key=key, reverse=True)[:k]``: the raters of i in the total order *similarity
descending, equal similarities in ir[i] order*, cut after k. So the neighbours for k are a prefix
of the neighbours for any K >= k, ties included, and as Surprise sums them in that order the sums
for k are the running sums after the k-th neighbour. The kernels here select once for the largest
k and read every smaller k off the running sums (checked against heapq and against
:func:`lfmrec.native.knn.estimate` per k in ``tests/test_knn_stream.py``). Only raters with
sim > 0 count and msd similarities are >= 0, so the positive raters come first in that order: the
neighbours for k are the first ``min(k, m)`` of the m positive raters.

Public functions:

- :func:`similarity_rows`: rows of Surprise's msd similarity for a list of users.
- :func:`predict_streamed`: estimates (before clipping) of (user, item) pairs for several configs.
  Cost per pair: O(n_i + K**2) for an item with n_i raters (the selection of ``knn_pairs``).
- :func:`stream_memory_bytes`, :func:`block_for_memory`: the memory model of both.

Cost of the similarity rows, per user u: ``sum over u's items i of n_i`` additions + O(n_users) for
the row; over all users ``sum_i n_i**2`` (what Surprise's own fit costs).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from .._numba import njit
from ..knn_estimate import _estimate, _neighbours, ir_in_id_order
from .knn import MSD_PASS_USERS, msd_rows, user_means
from .trainset import Trainset

DEFAULT_BLOCK_USERS = 64

_KINDS = {"basic": False, "knn_basic": False, "KNNBasic": False, "means": True, "knn_means": True, "KNNWithMeans": True}


# ----------------------------------------------------------------------------------------------
# Similarity rows


def _check_trainset(ts: Trainset) -> None:
    if ts.ir_ptr is None or ts.ur_by_item_items is None:
        raise ValueError("the trainset needs its item arrays: build it with with_items=True")


def raters_by_id(ts: Trainset) -> tuple[np.ndarray, np.ndarray]:
    """``(ir_users, ir_ratings)`` of ``ts`` with each item's raters in ascending id (a stable sort:
    a user's repeated ratings of an item keep their order). Each cell of the msd similarity gets
    the same additions in the same order from them as from ``ts``'s ir (only the order between
    different raters of an item changes), and :func:`lfmrec.native.knn.msd_rows` builds rows from
    them in cache-sized passes. ``ts``'s own arrays when they are in that order already."""
    _check_trainset(ts)
    if ir_in_id_order(ts.ir_ptr, ts.ir_users):
        return ts.ir_users, ts.ir_ratings
    users = np.empty_like(ts.ir_users)
    ratings = np.empty_like(ts.ir_ratings)
    _fill_by_user(ts.ir_ptr, ts.ur_ptr, ts.ur_items, ts.ur_ratings, users, ratings)
    return users, ratings


@njit(cache=True)
def _fill_by_user(ir_ptr, ur_ptr, ur_items, ur_ratings, users, ratings):
    """A counting sort: the users in ascending id, each one's ratings in row order (ur), into
    their items' slots."""
    fill = ir_ptr[:-1].copy()
    for u in range(ur_ptr.size - 1):
        for x in range(ur_ptr[u], ur_ptr[u + 1]):
            it = ur_items[x]
            users[fill[it]] = u
            ratings[fill[it]] = ur_ratings[x]
            fill[it] += 1


def similarity_rows(
    ts: Trainset,
    min_support: int,
    users: np.ndarray,
    out: np.ndarray | None = None,
    raters: tuple[np.ndarray, np.ndarray] | None = None,
    pass_users: int = MSD_PASS_USERS,
) -> np.ndarray:
    """``msd_similarity(ts, min_support)[users]`` without the full matrix: (len(users), n_users)
    float64, bit for bit. ``out``: optional float64 scratch of at least that many rows, reused
    across calls; ``raters``: :func:`raters_by_id` of ``ts`` when the caller has it (else the rows
    are built from ``ts``'s ir in one pass each); ``pass_users``: see
    :func:`lfmrec.native.knn.msd_rows` (the same bits whatever it is)."""
    _check_trainset(ts)
    users = np.ascontiguousarray(users, dtype=np.int64)
    n = ts.n_users
    if out is None:
        out = np.empty((users.size, n))
    if out.dtype != np.float64 or out.shape[1] != n or out.shape[0] < users.size:
        raise ValueError(f"similarity_rows needs a float64 scratch of at least ({users.size}, {n})")
    if users.size and (users.min() < 0 or users.max() >= n):
        raise ValueError("users must be inner user ids (0..n_users-1)")
    ir_users, ir_ratings = (ts.ir_users, ts.ir_ratings) if raters is None else raters
    msd_rows(
        users,
        ts.ur_ptr,
        ts.ur_by_item_items,
        ts.ur_by_item_ratings,
        ts.ir_ptr,
        ir_users,
        ir_ratings,
        int(min_support),
        raters is not None or bool(ir_in_id_order(ts.ir_ptr, ts.ir_users)),
        int(pass_users),
        out,
    )
    return out[: users.size]


# ----------------------------------------------------------------------------------------------
# Configurations


def _configs(configs: Sequence[tuple]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(levels: the distinct k ascending, int64; per config its level, with_means, min_k)."""
    if len(configs) == 0:
        raise ValueError("configs is empty: give at least one (kind, k, min_k)")
    kinds, ks, min_ks = [], [], []
    for c in configs:
        if len(c) != 3 or c[0] not in _KINDS:
            raise ValueError(f"a config is (kind, k, min_k) with kind in {sorted(_KINDS)}, got {c!r}")
        kind, k, min_k = _KINDS[c[0]], int(c[1]), int(c[2])
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k} in {c!r}")
        if not kind and min_k < 1:
            raise ValueError(
                f"KNNBasic needs min_k >= 1 (got {min_k}): with min_k < 1 Surprise's "
                "predict() raises ZeroDivisionError when no neighbour has sim > 0"
            )
        kinds.append(kind)
        ks.append(k)
        min_ks.append(min_k)
    levels = np.unique(np.array(ks, np.int64))
    return (levels, np.searchsorted(levels, ks).astype(np.int64), np.array(kinds, np.bool_), np.array(min_ks, np.int64))


def _values(ts: Trainset, cfg_means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """KNNWithMeans' ``means`` and ``r - means[v]`` per ir position (computed as
    :func:`lfmrec.native.knn.estimate` does: Surprise's bits); empty arrays without a means
    config."""
    if not cfg_means.any():
        return np.zeros(0), np.zeros(0)
    means = user_means(ts)
    dev = means[ts.ir_users]
    np.subtract(ts.ir_ratings, dev, out=dev)
    return means, dev


# ----------------------------------------------------------------------------------------------
# Pairs


@njit(cache=True, nogil=True)
def _predict_pairs(
    rows,
    items,
    dest,
    mean_u,
    srows,
    ir_ptr,
    ir_users,
    ir_ratings,
    ir_dev,
    levels,
    cfg_level,
    cfg_means,
    cfg_min_k,
    global_mean,
    n_max,
    out,
):
    """Estimates of the pairs (user of ``srows[rows[p]]``, ``items[p]``) (known ids) for every
    config, into ``out[:, dest[p]]``.

    Per pair, as :func:`lfmrec.knn_estimate.knn_pairs` with k = K (the largest k): its neighbours
    (:func:`lfmrec.knn_estimate._neighbours`); then one pass over the neighbours with Surprise's running
    sums, read at every k of ``levels`` (prefixes of the same order)."""
    n_lev = levels.size
    kmax = levels[n_lev - 1]
    kk = max(kmax, 1)
    cand_sim, cand_pos, scratch = np.empty(n_max), np.empty(n_max, np.int64), np.empty(n_max)
    nb_sim, nb_pos = np.empty(kk), np.empty(kk, np.int64)
    lev_n = np.zeros(n_lev)
    lev_sim, lev_basic, lev_means = np.zeros(n_lev), np.zeros(n_lev), np.zeros(n_lev)
    want_basic = False
    want_means = False
    for q in range(cfg_means.size):
        if cfg_means[q]:
            want_means = True
        else:
            want_basic = True
    for p in range(rows.size):
        srow = srows[rows[p]]
        ii = items[p]
        a, b = ir_ptr[ii], ir_ptr[ii + 1]
        c = _neighbours(srow, ir_users, a, b, kmax, cand_sim, cand_pos, scratch, nb_sim, nb_pos)
        # Surprise's sums (sum_sim += s; sum_ratings += s * value), read after min(k, c) terms
        sum_sim = 0.0
        sum_basic = 0.0
        sum_means = 0.0
        lev = 0
        for j in range(c):
            while lev < n_lev and levels[lev] <= j:
                lev_n[lev] = j
                lev_sim[lev] = sum_sim
                lev_basic[lev] = sum_basic
                lev_means[lev] = sum_means
                lev += 1
            s = nb_sim[j]
            sum_sim += s
            if want_basic:
                sum_basic += s * ir_ratings[nb_pos[j]]
            if want_means:
                sum_means += s * ir_dev[nb_pos[j]]
        while lev < n_lev:
            lev_n[lev] = c
            lev_sim[lev] = sum_sim
            lev_basic[lev] = sum_basic
            lev_means[lev] = sum_means
            lev += 1
        d = dest[p]
        for q in range(cfg_level.size):
            lv = cfg_level[q]
            if cfg_means[q]:
                out[q, d] = _estimate(lev_n[lv], lev_sim[lv], lev_means[lv], cfg_min_k[q], True, mean_u[p], global_mean)
            else:
                out[q, d] = _estimate(lev_n[lv], lev_sim[lv], lev_basic[lv], cfg_min_k[q], False, 0.0, global_mean)


def predict_streamed(
    ts: Trainset,
    min_support: int,
    pairs_u: np.ndarray,
    pairs_i: np.ndarray,
    configs: Sequence[tuple],
    block_users: int = DEFAULT_BLOCK_USERS,
    threads: int = 1,
) -> np.ndarray:
    """Estimates (not clipped) of the pairs ``(pairs_u[p], pairs_i[p])`` of inner ids (-1: unknown)
    for each config ``(kind, k, min_k)`` (kind ``"basic"`` or ``"means"``, also ``"knn_basic"`` /
    ``"knn_means"`` / ``"KNNBasic"`` / ``"KNNWithMeans"``): float64 (len(configs), n_pairs),
    row q bit for bit ``knn.estimate(ts.global_mean, knn.msd_similarity(ts, min_support), ...)``
    of config q, i.e. Surprise's ``predict(u, i, clip=False).est``.

    The pairs are grouped by user; the similarity rows of ``block_users`` users at a time are
    computed once and serve every pair and every config of those users. Memory: see
    :func:`stream_memory_bytes`. Cost per pair O(n_i + K**2) (n_i raters of the item, K the
    largest k), once for all configs. ``threads`` > 1: that many threads (the kernels release the
    GIL) each take the next block of users when done with one, with a similarity block each; the
    same result."""
    _check_trainset(ts)
    if block_users < 1:
        raise ValueError(f"block_users must be >= 1, got {block_users}")
    levels, cfg_level, cfg_means, cfg_min_k = _configs(configs)
    u = np.asarray(pairs_u, dtype=np.int64).ravel()
    i = np.asarray(pairs_i, dtype=np.int64).ravel()
    if u.shape != i.shape:
        raise ValueError("pairs_u and pairs_i must have the same length")
    nu, ni = ts.n_users, ts.n_items
    if u.size and (u.max() >= nu or u.min() < -1 or i.max() >= ni or i.min() < -1):
        raise ValueError("pair ids must be inner ids (0..n-1) or -1 for unknown")
    out = np.full((cfg_level.size, u.size), float(ts.global_mean))  # unknown: impossible
    known = np.flatnonzero((u >= 0) & (i >= 0))
    if known.size == 0:
        return out
    means, dev = _values(ts, cfg_means)
    order = known[np.argsort(u[known], kind="stable")]
    users, first = np.unique(u[order], return_index=True)
    bounds = np.append(first, order.size)
    n_max = max(int(np.diff(ts.ir_ptr).max(initial=1)), 1)
    b = min(block_users, users.size)
    raters = raters_by_id(ts)

    def block(start: int, srows: np.ndarray) -> None:  # users[start:start + b]
        stop = min(start + b, users.size)
        similarity_rows(ts, min_support, users[start:stop], srows, raters)
        sel = order[bounds[start] : bounds[stop]]
        rows = np.repeat(np.arange(stop - start, dtype=np.int64), np.diff(bounds[start : stop + 1]))
        mean_u = means[u[sel]] if means.size else np.zeros(sel.size)
        _predict_pairs(
            rows,
            i[sel],
            sel,
            mean_u,
            srows,
            ts.ir_ptr,
            ts.ir_users,
            ts.ir_ratings,
            dev,
            levels,
            cfg_level,
            cfg_means,
            cfg_min_k,
            float(ts.global_mean),
            n_max,
            out,
        )

    starts = range(0, users.size, b)
    threads = max(1, min(int(threads), len(starts)))
    if threads == 1:
        srows = np.empty((b, nu))
        for start in starts:
            block(start, srows)
        return out
    from concurrent.futures import ThreadPoolExecutor

    # each thread takes the next block of users as it finishes one (a block's pairs and similarity
    # rows cost very different amounts), with a similarity block of its own; a pair's estimate
    # depends on its user's row alone, so the result is the same whichever thread computes it
    queue = iter(starts)
    lock = threading.Lock()

    def worker() -> None:
        srows = np.empty((b, nu))
        while True:
            with lock:
                start = next(queue, None)
            if start is None:
                return
            block(start, srows)

    with ThreadPoolExecutor(threads) as pool:
        for f in [pool.submit(worker) for _ in range(threads)]:
            f.result()
    return out


# ----------------------------------------------------------------------------------------------
# Memory


def stream_memory_bytes(
    n_users: int,
    n_items: int,
    nnz: int,
    block_users: int,
    n_configs: int = 1,
    n_pairs: int = 0,
    means: bool = True,
    trainset: bool = True,
) -> int:
    """Peak bytes of :func:`predict_streamed` on a trainset of ``nnz`` ratings, as the sum of the
    arrays it holds::

        trainset (if ``trainset``): 36 nnz + 8 (n_users + n_items)   ur, ir, ur_by_item arrays
        means configs (``means``):  8 nnz + 8 n_users                 r - means[v], means
        similarity block:           8 block_users n_users + 16 n_users   rows; one row of sums, counts
        pairs:                      (40 + 8 n_configs) n_pairs         ids, grouping, output
                                    + 24 n_max_raters <= 24 n_users    selection scratch

    (per thread of ``predict_streamed``: the similarity block and the selection scratch). The
    dense route holds ``8 n_users**2`` for the similarity alone."""
    total = 0
    if trainset:
        total += 36 * nnz + 8 * (n_users + n_items)
    if means:
        total += 8 * nnz + 8 * n_users
    total += 8 * block_users * n_users + 16 * n_users
    if n_pairs:
        total += (40 + 8 * n_configs) * n_pairs + 24 * n_users
    return int(total)


def block_for_memory(
    n_users: int,
    n_items: int,
    nnz: int,
    max_bytes: float,
    n_configs: int = 1,
    n_pairs: int = 0,
    means: bool = True,
    trainset: bool = True,
) -> int:
    """The largest ``block_users`` (at most ``n_users``) for which :func:`stream_memory_bytes`
    stays within ``max_bytes``; 0 when not even one user fits (the caller refuses up front)."""
    kw = {"n_configs": n_configs, "n_pairs": n_pairs, "means": means, "trainset": trainset}
    fixed = stream_memory_bytes(n_users, n_items, nnz, 0, **kw)
    per_block = stream_memory_bytes(n_users, n_items, nnz, 1, **kw) - fixed
    if max_bytes < fixed + per_block:
        return 0
    return int(min(n_users, (max_bytes - fixed) // per_block)) if per_block else int(n_users)
